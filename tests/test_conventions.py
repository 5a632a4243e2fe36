"""One convention for what shops hand django-topi: a price says net or gross in its name, and a
product reference is a ``ProductReference`` (or a bare string of the default source). The old
names work for one release, with a ``DeprecationWarning`` that points at the shop's own line."""

from __future__ import annotations

import dataclasses
import warnings
from decimal import Decimal

import pytest

from django_topi.cart import Cart, CartLine, ProductReference, Shipping
from django_topi.catalog import CatalogProduct


def old_name():
    return pytest.warns(
        DeprecationWarning, match="deprecated and will be removed in the next release"
    )


def line(**changes) -> CartLine:
    fields = {"title": "Laptop", "quantity": 2, "unit_price_net": Decimal("1299.00"),
              "currency": "EUR", "product_reference": "pro-laptop-14", "tax_rate": Decimal("19")}  # fmt: skip
    return CartLine(**{**fields, **changes})


def test_the_new_names_and_positional_arguments_warn_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        positional = CartLine("Laptop", 2, Decimal("1299.00"), "EUR", "pro-laptop-14")
        shipping = Shipping("DHL Standard", Decimal("4.90"), "EUR")
        product = CatalogProduct("Laptop", ["pro-laptop-14"], Decimal("1546.81"), tax_rate=19)

    assert positional.unit_price_net == Decimal("1299.00")
    assert shipping.price_net == Decimal("4.90")
    assert product.price_gross == Decimal("1546.81")


def test_a_cart_lines_old_names_still_work_and_say_what_replaces_them():
    with pytest.warns(DeprecationWarning, match=r"use CartLine\(unit_price_net=\.\.\.\)") as caught:
        old = line(unit_price_net=None, unit_price=Decimal("1299.00"))
    with old_name():
        assert old.unit_price == Decimal("1299.00")

    assert old == line()
    assert {warning.filename for warning in caught} == {__file__}  # the shop's line, not ours


def test_a_product_source_becomes_part_of_the_reference():
    with old_name():
        old = line(product_reference="000123", product_source="sap")
    with old_name():
        assert old.product_source == "sap"

    assert old == line(product_reference=ProductReference("sap", "000123"))
    cart = Cart("SO-1", [old])
    assert cart.offer_content(sales_channel="telesales")["lines"][0][
        "seller_product_reference"
    ] == {
        "source": "sap",
        "reference": "000123",
    }


def test_shipping_and_catalog_prices_old_names_still_work():
    with old_name():
        shipping = Shipping("DHL Standard", net_price=Decimal("4.90"), currency="EUR")
    with old_name():
        product = CatalogProduct(
            "Laptop", ["sku"], price=Decimal("119.00"), net_price=Decimal("100.00")
        )
    with old_name():
        assert shipping.net_price == Decimal("4.90")
    with old_name():
        assert (product.price, product.net_price) == (Decimal("119.00"), Decimal("100.00"))

    assert shipping.price_net == Decimal("4.90")
    assert product.price_amount() == {"currency": "EUR", "gross": 11900, "net": 10000}


def test_a_plain_tuple_reference_becomes_a_product_reference():
    with pytest.warns(
        DeprecationWarning, match=r"use ProductReference\(source, reference\)"
    ) as caught:
        product = CatalogProduct(
            "Laptop", [("ean", "0719726100000")], Decimal("119.00"), tax_rate=19
        )

    assert product.references == [ProductReference("ean", "0719726100000")]
    assert all(type(ref) is ProductReference for ref in product.references)
    assert {warning.filename for warning in caught} == {__file__}


def test_a_plain_tuple_reference_on_a_cart_line_becomes_a_product_reference():
    with pytest.warns(
        DeprecationWarning, match=r"use ProductReference\(source, reference\)"
    ) as caught:
        cart_line = line(product_reference=("ean", "0719726100000"))

    assert type(cart_line.product_reference) is ProductReference
    assert cart_line.reference == ProductReference("ean", "0719726100000")
    assert {warning.filename for warning in caught} == {__file__}


def test_replace_copies_a_line_a_shipping_and_a_product_without_a_warning():
    product = CatalogProduct("Laptop", ["sku-1"], Decimal("119.00"), tax_rate=19)
    shipping = Shipping("DHL", Decimal("4.90"), "EUR")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        copied_line = dataclasses.replace(line(), quantity=3)
        copied_shipping = dataclasses.replace(shipping, reference="UPS")
        copied_product = dataclasses.replace(product, title="Laptop Pro")

    assert (copied_line.quantity, copied_line.unit_price_net) == (3, line().unit_price_net)
    assert copied_line.reference == line().reference
    assert (copied_shipping.reference, copied_shipping.price_net) == ("UPS", Decimal("4.90"))
    assert (copied_product.title, copied_product.price_gross) == ("Laptop Pro", Decimal("119.00"))


def test_a_missing_price_is_named():
    with pytest.raises(TypeError, match=r"CartLine\(\) needs unit_price_net"):
        CartLine("Laptop", 1, currency="EUR", product_reference="sku")
    with pytest.raises(TypeError, match=r"CatalogProduct\(\) needs price_gross"):
        CatalogProduct("Laptop", ["sku"])
    with pytest.raises(TypeError, match=r"Shipping\(\) needs price_net, currency"):
        Shipping("DHL")
