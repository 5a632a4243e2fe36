"""The cart's rental total, and the checkout gate on {% topi_button %} that uses it."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
import responses
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from django_topi.cart import Cart, CartLine
from tests import openapi_spec
from tests.catalog_helpers import OVERVIEW_URL
from tests.conftest import api_calls

LAPTOP = {"source": "shop", "reference": "pro-laptop-14"}
SLEEVE = {"source": "shop", "reference": "laptop-sleeve"}
BUTTON = '<button type="submit" class="topi-button">Rent with topi</button>'


def cart() -> Cart:
    return Cart(
        reference="SO-1",
        lines=[
            CartLine(title="Pro Laptop 14", quantity=2, unit_price_net=Decimal("1299.00"),
                     currency="EUR", product_reference="pro-laptop-14", tax_rate=Decimal("19")),
            CartLine(title="Laptop Sleeve", quantity=1, unit_price_net=Decimal("29.90"),
                     currency="EUR", product_reference="laptop-sleeve"),
        ],
    )  # fmt: skip


def overview(*, can_checkout: bool = True, summary: str | None = "Rent with topi from €123.45/month",
             amount: int | None = 12345) -> dict:  # fmt: skip
    answer: dict = {
        "can_checkout": can_checkout,
        "currency": "EUR",
        "product_prices": [
            {"seller_product_reference": LAPTOP, "quantity": 2, "has_rental_terms": True,
             "can_checkout": True},
            {"seller_product_reference": SLEEVE, "quantity": 1, "has_rental_terms": can_checkout,
             "can_checkout": can_checkout},
        ],
    }  # fmt: skip
    if summary is not None:
        answer["total_rental_summary"] = summary
    if amount is not None:
        answer["total_rental_amount"] = amount
    return answer


def render(source: str, **context) -> str:
    from django.middleware.csrf import get_token

    request = RequestFactory().get("/cart/")
    return Template("{% load topi %}" + source).render(
        Context({"request": request, "csrf_token": get_token(request), **context})
    )


def overview_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in api_calls(mocked) if c.request.url == OVERVIEW_URL]


def test_the_cart_total_is_topis_summary(mocked):
    # Worded unlike django-topi's own formatting of the amount, so the summary is what shows.
    mocked.post(OVERVIEW_URL, json=overview(summary="Ab 123,45 € im Monat mieten"))

    html = render("{% topi_cart_rental_overview cart %}", cart=cart())

    assert html == '<p class="topi-cart-rental-overview">Ab 123,45 € im Monat mieten</p>\n'


def test_without_a_summary_the_total_is_formatted_in_german(mocked):
    mocked.post(OVERVIEW_URL, json=overview(summary=None, amount=123456))

    with translation.override("de"):
        html = render("{% topi_cart_rental_overview cart %}", cart=cart())

    assert "Mit topi mieten ab 1.234,56\u00a0€/Monat" in html


def test_the_request_sends_unit_prices_with_quantities(mocked):
    mocked.post(OVERVIEW_URL, json=overview())

    render("{% topi_cart_rental_overview cart %}", cart=cart())

    assert json.loads(overview_calls(mocked)[0].request.body) == {
        "products": [
            {"seller_product_reference": LAPTOP, "quantity": 2,
             "price": {"currency": "EUR", "net": 129900, "gross": 154581, "tax_rate": 1900}},
            {"seller_product_reference": SLEEVE, "quantity": 1,
             "price": {"currency": "EUR", "net": 2990, "gross": 2990}},
        ]
    }  # fmt: skip


@pytest.mark.contract
def test_the_request_fits_topis_spec(mocked):
    mocked.post(OVERVIEW_URL, json=overview())

    render("{% topi_cart_rental_overview cart %}", cart=cart())

    call = overview_calls(mocked)[0]
    problems = openapi_spec.request_problems(
        "catalog#cartRentalOverview", "POST", call.request.url, call.request.body
    )
    assert problems == []


def test_a_cart_topi_cannot_rent_shows_no_total(mocked):
    mocked.post(OVERVIEW_URL, json=overview(can_checkout=False))

    assert render("{% topi_cart_rental_overview cart %}", cart=cart()) == ""


def test_the_cart_defaults_to_the_cart_adapters(mocked, shop_cart):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json=overview())

    assert "€123.45/month" in render("{% topi_cart_rental_overview %}")


def test_no_cart_renders_nothing_and_asks_nothing(mocked):
    assert render("{% topi_cart_rental_overview %}") == ""
    assert overview_calls(mocked) == []


def test_when_topi_is_down_the_total_is_left_out_and_logged(mocked, caplog):
    mocked.post(OVERVIEW_URL, status=503)

    with caplog.at_level(logging.WARNING, logger="django_topi.catalog"):
        html = render("<p>Cart</p>{% topi_cart_rental_overview cart %}", cart=cart())

    assert html == "<p>Cart</p>"
    assert "Left out topi's cart rental overview from the page, as topi failed" in caplog.text


def test_a_repeat_render_is_served_from_the_cache(mocked):
    mocked.post(OVERVIEW_URL, json=overview())

    first = render("{% topi_cart_rental_overview cart %}", cart=cart())
    second = render("{% topi_cart_rental_overview cart %}", cart=cart())

    assert len(overview_calls(mocked)) == 1
    assert first.strip()
    assert second == first


# -- the checkout gate ---------------------------------------------------------------------------


def test_a_cart_topi_can_rent_gets_the_button(mocked, shop_cart):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json=overview())

    assert BUTTON in render("{% topi_button %}")


def test_explain_replaces_the_button_with_the_products_topi_cannot_rent(mocked, shop_cart):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json=overview(can_checkout=False))

    html = render("{% topi_button %}")

    assert html == (
        '<p class="topi-checkout-unavailable" role="note">'
        "Not available for rent with topi: Laptop Sleeve.</p>\n"
    )


def test_the_reason_is_translated(mocked, shop_cart):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json=overview(can_checkout=False))

    with translation.override("de"):
        html = render("{% topi_button %}")

    assert "Nicht mit topi mietbar: Laptop Sleeve." in html


def test_without_named_products_the_reason_is_general(mocked, shop_cart):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json={"can_checkout": False, "currency": "EUR"})

    assert "This cart cannot be rented with topi." in render("{% topi_button %}")


def test_hide_renders_nothing(mocked, shop_cart, settings):
    settings.TOPI = {**settings.TOPI, "CHECKOUT_GATE": "hide"}
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, json=overview(can_checkout=False))

    assert render("{% topi_button %}") == ""


def test_off_shows_the_button_without_asking_topi(mocked, shop_cart, settings):
    settings.TOPI = {**settings.TOPI, "CHECKOUT_GATE": "off"}
    shop_cart(cart())

    assert BUTTON in render("{% topi_button %}")
    assert api_calls(mocked) == []


def test_the_gate_can_be_chosen_per_button(mocked):
    mocked.post(OVERVIEW_URL, json=overview(can_checkout=False))

    assert render('{% topi_button cart=cart gate="hide" %}', cart=cart()) == ""
    assert BUTTON in render('{% topi_button cart=cart gate="off" %}', cart=cart())


def test_when_topi_is_down_the_button_stays(mocked, shop_cart, caplog):
    shop_cart(cart())
    mocked.post(OVERVIEW_URL, status=503)

    with caplog.at_level(logging.WARNING, logger="django_topi.catalog"):
        html = render("{% topi_button %}")

    assert BUTTON in html
    assert "Left out topi's cart rental overview" in caplog.text


def test_the_button_and_the_total_on_one_page_make_one_call(mocked, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    mocked.post(OVERVIEW_URL, json=overview())

    html = render("{% topi_cart_rental_overview cart %}{% topi_button cart=cart %}", cart=cart())

    assert "€123.45/month" in html
    assert BUTTON in html
    assert len(overview_calls(mocked)) == 1


def test_the_cart_adapter_is_asked_once_per_page(mocked, settings):
    from tests import adapters

    mocked.post(OVERVIEW_URL, json=overview())
    calls = []
    settings.TOPI = {**settings.TOPI, "CART_ADAPTER": lambda request: calls.append(1) or cart()}

    render("{% topi_button %}{% topi_cart_rental_overview %}")

    assert len(calls) == 1
    assert len(overview_calls(mocked)) == 1
    assert adapters.CURRENT_CART is None
