"""The shop's cart and the createOffer body built from it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from django_topi.cart import (
    Address,
    Cart,
    CartError,
    CartLine,
    Customer,
    ProductReference,
    Shipping,
    line_price,
)
from tests import openapi_spec

BERLIN = Address(line1="Musterstr. 1", city="Berlin", postal_code="10243", country_code="DE",
                 recipient_name="Felix Wolf")  # fmt: skip


def laptop(**changes) -> CartLine:
    fields = {
        "title": "Pro Laptop 14",
        "quantity": 2,
        "unit_price_net": Decimal("1299.00"),
        "currency": "EUR",
        "product_reference": "pro-laptop-14",
        "tax_rate": Decimal("19"),
    }
    return CartLine(**{**fields, **changes})  # fmt: skip


def cart(**changes) -> Cart:
    fields = {
        "reference": "SO-100234",
        "lines": [laptop(), laptop(title="Laptop Sleeve", quantity=1, unit_price_net=Decimal("29.90"),
                                   product_reference="laptop-sleeve")],
        "customer": Customer(email="alice@unicorn.example", full_name="Alice Example",
                             company_name="Unicorn Corp", vat_number="DE123456789",
                             billing_address=BERLIN),
        "shipping_address": BERLIN,
        "shipping": Shipping(reference="DHL Standard", price_net=Decimal("5.00"), currency="EUR",
                             tax_rate=Decimal("19")),
        "metadata": {"shop_cart_id": "42"},
    }  # fmt: skip
    return Cart(**{**fields, **changes})


def test_a_line_price_is_the_line_total():
    assert line_price(Decimal("1299.00"), 2) == Decimal("2598.00")


def test_the_offer_payload():
    expires = datetime(2026, 11, 29, 10, 30, tzinfo=timezone.utc)

    payload = cart().to_offer_payload(expires_at=expires,
                                      success_redirect="https://shop.example/topi/return/success/",
                                      exit_redirect="https://shop.example/topi/return/exit/")  # fmt: skip

    assert payload == {
        "seller_offer_reference": "SO-100234",
        "sales_channel": "ecommerce",
        "expires_at": "2026-11-29T10:30:00Z",
        "success_redirect": "https://shop.example/topi/return/success/",
        "exit_redirect": "https://shop.example/topi/return/exit/",
        "lines": [
            {"title": "Pro Laptop 14", "quantity": 2,
             "price": {"currency": "EUR", "net": 259800, "gross": 309162},
             "seller_product_reference": {"source": "shop", "reference": "pro-laptop-14"}},
            {"title": "Laptop Sleeve", "quantity": 1,
             "price": {"currency": "EUR", "net": 2990, "gross": 3558},
             "seller_product_reference": {"source": "shop", "reference": "laptop-sleeve"}},
        ],
        "customer": {
            "email": "alice@unicorn.example", "full_name": "Alice Example",
            "company": {"name": "Unicorn Corp", "vat_number": "DE123456789",
                        "billing_address": {"line1": "Musterstr. 1", "postal_code": "10243",
                                            "city": "Berlin", "country_code": "DE"}},
        },
        "shipping_address": {"line1": "Musterstr. 1", "postal_code": "10243", "city": "Berlin",
                             "country_code": "DE", "recipient_name": "Felix Wolf"},
        "shipping": {"seller_shipping_reference": "DHL Standard",
                     "price": {"currency": "EUR", "net": 500, "gross": 595},
                     "is_in_store_pickup": False},
        "metadata": {"shop_cart_id": "42"},
    }  # fmt: skip


def test_totals_are_what_the_shop_sends():
    assert cart().totals() == ("EUR", 263290, 313315)


def test_untaxed_prices_send_net_only_and_shipping_gross_equals_net():
    untaxed = cart(
        lines=[laptop(tax_rate=None)],
        shipping=Shipping(reference="Pickup", price_net=Decimal("0"), currency="EUR"),
    )
    payload = untaxed.to_offer_payload()
    assert payload["lines"][0]["price"] == {"currency": "EUR", "net": 259800}
    assert payload["shipping"]["price"] == {"currency": "EUR", "net": 0, "gross": 0}
    assert untaxed.totals() == ("EUR", 259800, None)


def test_settings_fill_the_sales_channel_and_product_source(settings):
    settings.TOPI = {
        **settings.TOPI,
        "SALES_CHANNEL": "telesales",
        "PRODUCT_REFERENCE_SOURCE": "sap",
    }
    payload = cart().to_offer_payload()
    assert payload["sales_channel"] == "telesales"
    assert payload["lines"][0]["seller_product_reference"]["source"] == "sap"


@pytest.mark.parametrize(("changes", "message"), [
    ({"lines": []}, "The cart is empty."),
    ({"lines": [laptop(quantity=0)]},
     "The quantity of Pro Laptop 14 must be between 1 and 10000, not 0."),
    ({"lines": [laptop(quantity=10001)]},
     "The quantity of Pro Laptop 14 must be between 1 and 10000, not 10001."),
    ({"lines": [laptop(), laptop(currency="GBP")]},
     "The cart mixes currencies (EUR, GBP); topi needs one."),
    ({"shipping_address": None}, "topi needs a shipping address for an online order."),
    ({"customer": Customer(company_name="AB")},
     "topi needs a company name of at least 3 characters, not 'AB'."),
    ({"lines": [laptop(product_reference="pro laptop/14")]},
     "The product reference 'pro laptop/14' of Pro Laptop 14 may only contain letters, digits, "
     "'.', '_' and '-'."),
    ({"lines": [laptop(quantity=1, unit_price_net=Decimal("1.005"))]},
     "The price of Pro Laptop 14 is not usable"),
    ({"lines": [laptop(unit_price_net=19.99)]}, "not a float"),
    ({"reference": ""}, "The cart has no reference."),
    ({"shipping_address": Address(line1="", city="Berlin", postal_code="1", country_code="Germany")},
     "The shipping address's country must be a two-letter code such as DE, not 'Germany'."),
    ({"metadata": {"note": "x" * 401}}, "Metadata 'note' must be text of at most 400 characters."),
])  # fmt: skip
def test_problems_are_named_in_words(changes, message):
    with pytest.raises(CartError) as excinfo:
        cart(**changes).to_offer_payload()
    assert any(message in error for error in excinfo.value.errors), excinfo.value.errors


def test_every_problem_is_listed_at_once():
    bad = cart(lines=[laptop(quantity=0, product_reference="a b")], shipping_address=None)
    assert len(bad.problems()) == 3


def test_a_telesales_offer_needs_no_shipping_address():
    assert cart(shipping_address=None).problems("telesales") == []


def utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.contract
def test_the_payload_with_every_default_is_complete_by_topis_spec(time_machine):
    now = datetime.now(timezone.utc)
    time_machine.move_to(now, tick=False)

    payload = cart().to_offer_payload()

    assert payload["expires_at"] == utc(now + timedelta(hours=24))
    problems = openapi_spec.request_problems(
        "offer#create", "POST", "https://api.example/v1/offers", json.dumps(payload)
    )
    assert problems == []


@pytest.mark.parametrize(
    ("channel", "lifetime"),
    [("ecommerce", timedelta(hours=24)), ("telesales", timedelta(days=7)),
     ("in_store_pos", timedelta(days=7))],
)  # fmt: skip
def test_an_offer_lives_as_long_as_topi_lets_its_channel_by_default(
    time_machine, channel, lifetime
):
    now = datetime.now(timezone.utc)
    time_machine.move_to(now, tick=False)

    payload = cart().to_offer_payload(sales_channel=channel)

    assert payload["expires_at"] == utc(now + lifetime)


def test_offer_ttl_sets_one_lifetime_for_every_channel(time_machine, settings):
    settings.TOPI = {**settings.TOPI, "OFFER_TTL": timedelta(hours=2)}
    now = datetime.now(timezone.utc)
    time_machine.move_to(now, tick=False)

    payload = cart().to_offer_payload(sales_channel="telesales")

    assert payload["expires_at"] == utc(now + timedelta(hours=2))


@pytest.mark.contract
def test_the_payload_fits_topis_spec():
    payload = cart().to_offer_payload(expires_at=datetime.now(timezone.utc) + timedelta(days=1),
                                      success_redirect="https://shop.example/s/",
                                      exit_redirect="https://shop.example/e/")  # fmt: skip
    problems = openapi_spec.request_problems(
        "offer#create", "POST", "https://api.example/v1/offers", json.dumps(payload)
    )
    assert problems == []


def test_equal_carts_have_one_fingerprint():
    assert cart().fingerprint() == cart().fingerprint()
    assert len(cart().fingerprint()) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [laptop(quantity=3)]},
        {"lines": [laptop(unit_price_net=Decimal("1199.00"))]},
        {"lines": [laptop(), laptop(product_reference="dock")]},
        {"customer": None},
        {"metadata": {"shop_cart_id": "43"}},
    ],
    ids=["quantity", "price", "a line more", "customer", "metadata"],
)
def test_what_the_offer_is_made_of_changes_the_fingerprint(change):
    one_laptop = {"lines": [laptop()]}
    assert cart(**{**one_laptop, **change}).fingerprint() != cart(**one_laptop).fingerprint()


def test_the_channel_is_part_of_the_fingerprint():
    assert cart().fingerprint(sales_channel="telesales") != cart().fingerprint()


def test_a_reference_without_a_source_is_a_problem_topi_would_refuse():
    line = CartLine(
        "Laptop", 1, Decimal("100.00"), "EUR", ProductReference("", "sku-1"), Decimal("19")
    )

    problems = Cart("SO-1", [line], shipping_address=BERLIN).problems()

    assert problems == ["The product reference 'sku-1' of Laptop has no source."]
