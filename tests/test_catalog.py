"""CatalogProduct: the import body, the CSV row and everything topi would refuse."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from django_topi.batching import batched
from django_topi.catalog import (
    CSV_COLUMNS,
    CatalogProduct,
    Category,
    ProductReference,
    write_catalog_csv,
)
from tests import openapi_spec
from tests.catalog_helpers import IMPORT_URL, laptop


def full_laptop() -> CatalogProduct:
    return laptop(
        references=[ProductReference("sap", "000123456"), ProductReference("ean", "0719726100000")],
        price_net=Decimal("1299.84"),
        subtitle="14 inch, 32 GB",
        description="A laptop for work.",
        manufacturer="Lenovo",
        product_type="hardware",
        image_url="https://shop.example/img/pro-14.jpg",
        ean="0719726100000",
        mpn="21HD0041GE",
        categories=[Category("laptops", "Laptops", parent_id="it"), Category("it", "IT")],
        url="https://shop.example/p/pro-laptop-14",
        is_active=False,
    )


def test_the_import_body_has_every_field_the_shop_gave():
    assert full_laptop().to_topi() == {
        "title": "Pro Laptop 14",
        "is_active": False,
        "price": {"currency": "EUR", "gross": 154681, "net": 129984, "tax_rate": 1900},
        "seller_product_references": [
            {"source": "sap", "reference": "000123456"},
            {"source": "ean", "reference": "0719726100000"},
        ],
        "subtitle": "14 inch, 32 GB",
        "description": "A laptop for work.",
        "manufacturer": "Lenovo",
        "seller_product_type": "hardware",
        "shop_product_description_url": "https://shop.example/p/pro-laptop-14",
        "image": {"url": "https://shop.example/img/pro-14.jpg"},
        "product_standard_identifiers": [
            {"identifier_type": "EAN", "id": "0719726100000"},
            {"identifier_type": "MPN", "id": "21HD0041GE"},
        ],
        "seller_categories": [
            {"id": "laptops", "name": "Laptops", "parent_category_id": "it"},
            {"id": "it", "name": "IT"},
        ],
    }


def test_the_net_price_is_derived_from_the_gross_price_and_tax_rate():
    product = laptop(price_gross=Decimal("119.00"), tax_rate=Decimal("19"))

    assert product.price_amount() == {"currency": "EUR", "gross": 11900, "net": 10000,
                                      "tax_rate": 1900}  # fmt: skip


def test_a_bare_reference_takes_the_default_source(settings):
    settings.TOPI = {**settings.TOPI, "PRODUCT_REFERENCE_SOURCE": "erp"}

    references = ["SKU-1", ProductReference("ean", "4006381333931")]
    assert laptop(references=references).seller_product_references() == [
        ProductReference("erp", "SKU-1"),
        ProductReference("ean", "4006381333931"),
    ]


def test_a_valid_product_has_no_problems():
    assert full_laptop().problems() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"title": " "}, "no title"),
        ({"references": []}, "no reference"),
        ({"references": ["SKU 1"]}, "the reference 'SKU 1' may only contain letters"),
        (
            {"references": [ProductReference("a|b", "SKU-1")]},
            "the reference source 'a|b' is empty or contains '|'",
        ),
        ({"price_gross": 119.0}, "price: amount must be a Decimal, not a float"),
        (
            {"price_gross": Decimal("1.999")},
            "price: 1.999 EUR has more decimal places than EUR allows",
        ),
        ({"tax_rate": None}, "price: give a tax_rate (percent) or a net_price"),
        ({"currency": "CHF"}, "price: topi does not support the currency 'CHF'"),
        ({"price_net": Decimal("2000.00")}, "price: net and gross must be positive"),
        ({"product_type": "gadget"}, "product_type 'gadget' is not one of hardware, software"),
        ({"description": "x" * 2001}, "the description is longer than 2000 characters"),
        ({"image_url": "img/pro.jpg"}, "image_url 'img/pro.jpg' is not an http(s) URL"),
        ({"categories": [Category("", "Laptops")]}, "needs an id and a name"),
    ],
)
def test_everything_topi_would_refuse_is_named(changes, problem):
    problems = laptop(**changes).problems()

    assert len(problems) == 1
    assert problem in problems[0]


@pytest.mark.contract
def test_the_import_body_fits_topis_spec():
    body = json.dumps({"products": [full_laptop().to_topi(), laptop().to_topi()]})

    assert openapi_spec.request_problems("catalog#importCatalog", "POST", IMPORT_URL, body) == []


@pytest.mark.contract
def test_the_pricing_request_fits_topis_spec():
    body = json.dumps({"pricing_requests": [laptop().pricing_request()]})
    url = IMPORT_URL.replace("import", "list-recommended-rental-prices")

    assert (
        openapi_spec.request_problems("catalog#listRecommendedRentalPrices", "POST", url, body)
        == []
    )


def test_the_csv_has_topis_columns_and_whole_currency_units():
    stream = io.StringIO()
    summary = write_catalog_csv([full_laptop(), laptop(title="")], stream)

    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows == [
        {
            "title": "Pro Laptop 14",
            "reference": "000123456|0719726100000",
            "reference_source": "sap|ean",
            "is_active": "false",
            "price_gross": "1546.81",
            "price_net": "1299.84",
            "currency": "EUR",
            "manufacturer": "Lenovo",
            "subtitle": "14 inch, 32 GB",
            "description": "A laptop for work.",
            "ean": "0719726100000",
            "mpn": "21HD0041GE",
            "image_url": "https://shop.example/img/pro-14.jpg",
            "seller_category_id": "laptops",
            "seller_category_name": "Laptops",
            "seller_category_parent_id": "it",
            "seller_product_type": "hardware",
            "shop_product_description_url": "https://shop.example/p/pro-laptop-14",
        }
    ]
    assert (summary.read, summary.sent, summary.invalid) == (2, 1, 1)
    assert summary.samples[0].reason == "no title"


def test_batches_read_the_products_only_as_far_as_the_batch():
    read = []

    def products():
        for n in range(10):
            read.append(n)
            yield n

    batches = batched(products(), 4)

    assert next(batches) == [0, 1, 2, 3]
    assert read == [0, 1, 2, 3]
    assert list(batches) == [[4, 5, 6, 7], [8, 9]]
