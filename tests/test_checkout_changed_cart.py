"""A changed cart never reaches an old offer: topi's edit replaces it (or void, then create)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from django_topi.cart import Address, CartLine, Customer, Shipping
from django_topi.models import Offer, StatusChange
from tests import openapi_spec, payloads
from tests.checkout_helpers import CHECKOUT_URL, OFFER_ID, created_offer, demo_cart
from tests.conftest import API, api_calls

pytestmark = pytest.mark.django_db

CREATE = f"{API}/v1/offers"
OLD = f"{API}/v1/offers/{OFFER_ID}"
NEW_ID = "5d0c7a10-1111-4222-8333-444455556666"
NEW_URL = f"https://dashboard.topi-sandbox.eu/offer/{NEW_ID}?token=efgh"
DOCK = CartLine(title="USB-C Dock", quantity=3, unit_price_net=Decimal("149.00"), currency="EUR",
                product_reference="usb-c-dock", tax_rate=Decimal("19"))  # fmt: skip


def laptop_only():
    return demo_cart(lines=demo_cart().lines[:1])


def with_docks():
    return demo_cart(lines=[*demo_cart().lines[:1], DOCK])


def new_offer(status="created"):
    return payloads.offer(status, id=NEW_ID, checkout_redirect_url=NEW_URL)


def click(web):
    return web.post("/topi/checkout/", {"next": "/cart/"})


def calls(mocked):
    return [(c.request.method, c.request.url.removeprefix(API)) for c in api_calls(mocked)]


@pytest.fixture
def first_offer(web, mocked, shop_cart):
    """The customer clicked with one laptop: topi made OFFER_ID."""
    shop_cart(laptop_only())
    mocked.post(CREATE, status=201, json=created_offer())
    assert click(web)["Location"] == CHECKOUT_URL
    mocked.calls.reset()
    return Offer.objects.get(topi_id=OFFER_ID)


def test_a_changed_cart_replaces_the_offer_through_topis_edit(web, mocked, shop_cart, first_offer):
    shop_cart(with_docks())  # back to the shop, three docks added
    mocked.put(OLD, status=202, json=new_offer())
    mocked.get(OLD, json=payloads.offer("voided"))

    response = click(web)

    assert response["Location"] == NEW_URL
    assert calls(mocked) == [("PUT", f"/v1/offers/{OFFER_ID}"), ("GET", f"/v1/offers/{OFFER_ID}")]
    sent = json.loads(api_calls(mocked)[0].request.body)
    assert [(line["title"], line["quantity"]) for line in sent["lines"]] == [
        ("Pro Laptop 14", 2), ("USB-C Dock", 3)]  # fmt: skip
    assert (
        openapi_spec.request_problems(
            "offer#edit", "PUT", api_calls(mocked)[0].request.url, api_calls(mocked)[0].request.body
        )
        == []
    )
    old, new = Offer.objects.get(topi_id=OFFER_ID), Offer.objects.get(topi_id=NEW_ID)
    assert (old.status, old.superseded_by) == ("voided", new)
    assert (new.status, new.cart_fingerprint) == ("created", with_docks().fingerprint())
    assert (new.expected_amount_net, old.expected_amount_net) == (260300 + 44700, 260300)
    assert [(c.source, c.target) for c in StatusChange.objects.filter(offer=old)][-1] == (
        "created", "voided")  # fmt: skip


def test_the_same_cart_again_reuses_the_offer(web, mocked, shop_cart, first_offer):
    shop_cart(laptop_only())  # rebuilt, equal to the first

    assert click(web)["Location"] == CHECKOUT_URL
    assert calls(mocked) == []


@pytest.mark.parametrize(
    "change",
    [
        {
            "customer": Customer(
                email="bob@unicorn.example", full_name="Bob Example", company_name="Unicorn Corp"
            )
        },
        {
            "shipping_address": Address(
                line1="Torstr. 9", city="Berlin", postal_code="10119", country_code="DE"
            )
        },
        {
            "shipping": Shipping(
                reference="DHL Express",
                price_net=Decimal("15.00"),
                currency="EUR",
                tax_rate=Decimal("19"),
            )
        },
        {"metadata": {"note": "deliver to reception"}},
    ],
    ids=["customer", "shipping address", "shipping", "metadata"],
)
def test_any_change_to_what_is_sent_is_a_changed_cart(web, mocked, shop_cart, first_offer, change):
    shop_cart(demo_cart(lines=demo_cart().lines[:1], **change))
    mocked.put(OLD, status=202, json=new_offer())
    mocked.get(OLD, json=payloads.offer("voided"))

    assert click(web)["Location"] == NEW_URL


def test_when_topi_refuses_the_edit_the_offer_is_voided_and_a_new_one_made(
    web, mocked, shop_cart, first_offer
):
    shop_cart(with_docks())
    mocked.put(OLD, status=422, json={"name": "Unprocessable", "message": "cannot edit"})
    mocked.post(f"{OLD}/void", json=payloads.offer("voided"))
    mocked.post(CREATE, status=201, json=new_offer())

    response = click(web)

    assert response["Location"] == NEW_URL
    assert calls(mocked) == [
        ("PUT", f"/v1/offers/{OFFER_ID}"),
        ("POST", f"/v1/offers/{OFFER_ID}/void"),
        ("POST", "/v1/offers"),
    ]
    old = Offer.objects.get(topi_id=OFFER_ID)
    assert (old.status, old.superseded_by.topi_id) == ("voided", NEW_ID)
    assert Offer.objects.get(topi_id=NEW_ID).status == "created"


def test_an_edit_refused_because_the_customer_checked_out_says_so(
    web, mocked, shop_cart, first_offer
):
    shop_cart(with_docks())
    mocked.put(OLD, status=422, json={"name": "AlreadyCheckedOut", "message": "checked out"})
    mocked.get(OLD, json=payloads.offer("pending_review"))

    response = click(web)

    assert response["Location"] == "/cart/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This cart has already been checked out with topi."
    ]
    assert Offer.objects.get(topi_id=OFFER_ID).status == "pending_review"
    assert ("POST", "/v1/offers") not in calls(mocked)


def test_an_edit_that_timed_out_is_found_by_reference_on_the_next_click(
    web, mocked, shop_cart, first_offer
):
    shop_cart(with_docks())
    mocked.put(OLD, body=requests.ReadTimeout("read timed out"))
    mocked.get(f"{API}/v1/offers/ref/SO-100234", json=new_offer())

    first = click(web)
    second = click(web)

    assert first["Location"] == "/cart/"
    assert second["Location"] == NEW_URL
    assert [method for method, _ in calls(mocked)] == ["PUT", "GET"]  # edited once, then found
    assert Offer.objects.get(topi_id=NEW_ID).cart_fingerprint == with_docks().fingerprint()


def test_an_unknown_active_offer_for_another_cart_is_replaced(web, mocked, shop_cart):
    """topi already has an active offer for the reference (made before a crash, say) whose
    totals are not this cart's: it is not reused but edited into this cart."""
    shop_cart(with_docks())
    mocked.post(CREATE, status=422,
                json={"name": "Unprocessable",
                      "message": "There is already an active offer with reference SO-100234"})  # fmt: skip
    mocked.get(f"{API}/v1/offers/ref/SO-100234", json=created_offer())  # a laptop and a sleeve
    mocked.put(OLD, status=202, json=new_offer())
    mocked.get(OLD, json=payloads.offer("voided"))

    response = click(web)

    assert response["Location"] == NEW_URL
    assert [method for method, _ in calls(mocked)] == ["POST", "GET", "PUT", "GET"]


def test_the_api_answers_the_replacing_offer_with_201(mocked, shop_cart):
    api = APIClient()
    shop_cart(laptop_only())
    mocked.post(CREATE, status=201, json=created_offer())
    api.post("/topi/api/checkout/")
    shop_cart(with_docks())
    mocked.put(OLD, status=202, json=new_offer())
    mocked.get(OLD, json=payloads.offer("voided"))

    response = api.post("/topi/api/checkout/")

    assert response.status_code == 201
    assert response.json()["checkout_url"] == NEW_URL
