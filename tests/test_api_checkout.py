"""The headless checkout API: the same start_checkout, answered in JSON with codes."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_topi.models import Offer
from tests.checkout_helpers import CHECKOUT_URL, OFFER_ID, created_offer, demo_cart
from tests.conftest import API

pytestmark = pytest.mark.django_db

CREATE = f"{API}/v1/offers"


@pytest.fixture
def cart(shop_cart):
    return shop_cart(demo_cart())


@pytest.fixture
def api():
    return APIClient()


def test_checkout_answers_the_offer_and_topis_url(api, mocked, cart):
    mocked.post(CREATE, status=201, json=created_offer())

    response = api.post("/topi/api/checkout/")

    assert response.status_code == 201
    body = response.json()
    assert body["checkout_url"] == CHECKOUT_URL
    assert body["offer"]["reference"] == "SO-100234"
    assert body["offer"]["topi_id"] == OFFER_ID
    assert body["offer"]["status"] == "created"
    assert body["offer"]["checkout_url"] == CHECKOUT_URL
    assert body["offer"]["order_id"] is None


def test_a_second_call_answers_the_same_offer_with_200(api, mocked, cart):
    mocked.post(CREATE, status=201, json=created_offer())
    api.post("/topi/api/checkout/")

    again = api.post("/topi/api/checkout/")

    assert again.status_code == 200
    assert again.json()["checkout_url"] == CHECKOUT_URL
    assert Offer.objects.count() == 1


@pytest.mark.parametrize(("topi_answer", "status", "code"), [
    ({"status": 422, "json": {"name": "UnsupportedProducts", "message": "unsupported",
                              "references": [{"source": "shop", "reference": "laptop-sleeve"}]}},
     422, "unsupported_products"),
    ({"status": 422, "json": {"name": "UnsupportedShipping", "message": "no"}}, 422,
     "unsupported_shipping"),
    ({"status": 503}, 503, "unavailable"),
])  # fmt: skip
def test_failures_are_json_with_codes(api, mocked, cart, topi_answer, status, code):
    mocked.post(CREATE, **topi_answer)

    response = api.post("/topi/api/checkout/")

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_an_empty_cart_is_a_400(api, mocked, shop_cart):
    shop_cart(demo_cart(lines=[]))

    response = api.post("/topi/api/checkout/")

    assert (response.status_code, response.json()) == (
        400, {"code": "empty_cart", "detail": "Your cart is empty."})  # fmt: skip


def test_csrf_is_enforced_for_a_session_even_for_guests(mocked, cart):
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/topi/return/exit/")  # any page: the guest now has a session cookie
    session = browser.session
    session["cart"] = "1"
    session.save()
    browser.cookies["sessionid"] = session.session_key

    response = browser.post("/topi/api/checkout/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_token_authentication_needs_no_csrf_and_owns_the_offer(mocked, cart, django_user_model):
    mocked.post(CREATE, status=201, json=created_offer())
    user = django_user_model.objects.create_user("shopfront")
    token = Token.objects.create(user=user)
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.post("/topi/api/checkout/")

    assert response.status_code == 201
    assert Offer.objects.get().owner == user
    assert api.get("/topi/api/offers/SO-100234/").json()["status"] == "created"


def test_offer_status_only_for_its_owner(mocked, cart, django_user_model):
    mocked.post(CREATE, status=201, json=created_offer())
    owner = APIClient()
    owner.post("/topi/api/checkout/")

    mine = owner.get("/topi/api/offers/SO-100234/")
    theirs = APIClient().get("/topi/api/offers/SO-100234/")

    assert mine.status_code == 200
    assert mine.json()["reference"] == "SO-100234"
    assert theirs.status_code == 404
    assert theirs.json() == {"code": "not_found", "detail": "No offer of yours has this reference."}


def test_the_api_describes_itself(api):
    response = api.get("/topi/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert "/topi/api/checkout/" in schema["paths"]
    assert "/topi/api/offers/{reference}/" in schema["paths"]
    responses = schema["paths"]["/topi/api/checkout/"]["post"]["responses"]
    assert {"200", "201", "400", "409", "422", "503"} <= set(responses)


def test_the_schema_describes_the_staff_api_too(api):
    paths = api.get("/topi/api/schema/", {"format": "json"}).json()["paths"]

    assert "/topi/api/staff/orders/" in paths
    assert "/topi/api/staff/orders/{topi_id}/ship/" in paths
