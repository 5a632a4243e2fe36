"""The checkout POST behind the button: one offer per cart, clear failures, nothing lost."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
import requests
import responses
from django.contrib.messages import get_messages
from django.utils import timezone

from django_topi.cart import ProductReference
from django_topi.models import Offer, StatusChange
from tests import openapi_spec, payloads
from tests.checkout_helpers import CHECKOUT_URL, OFFER_ID, created_offer, demo_cart
from tests.conftest import API, TOKEN_URL, api_calls

pytestmark = pytest.mark.django_db

CREATE = f"{API}/v1/offers"
BY_REFERENCE = f"{API}/v1/offers/ref/SO-100234"
GOA = "application/vnd.goa.error"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_checkout(web, **data):
    return web.post("/topi/checkout/", {"next": "/cart/", **data})


def creates(mocked) -> list:
    return [c for c in api_calls(mocked) if c.request.method == "POST" and c.request.url == CREATE]


@pytest.fixture
def cart(shop_cart):
    return shop_cart(demo_cart())


def test_checkout_creates_the_offer_and_redirects_to_topi_exactly(web, mocked, cart):
    mocked.post(CREATE, status=201, json=created_offer())

    response = post_checkout(web)

    assert response.status_code == 302
    assert response["Location"] == CHECKOUT_URL
    offer = Offer.objects.get()
    assert (offer.topi_id, offer.status) == (OFFER_ID, "created")
    assert (offer.expected_currency, offer.expected_amount_net, offer.expected_amount_gross) == (
        "EUR", 263290, 313315)  # fmt: skip
    assert [(s.source, s.target, s.origin) for s in StatusChange.objects.all()] == [
        ("", "draft", "local"), ("draft", "created", "local")]  # fmt: skip


def test_the_request_to_topi(web, mocked, cart, settings):
    mocked.post(CREATE, status=201, json=created_offer())
    before = timezone.now()

    post_checkout(web)

    body = json.loads(creates(mocked)[0].request.body)
    assert body["seller_offer_reference"] == "SO-100234"
    assert body["sales_channel"] == "ecommerce"
    assert body["success_redirect"] == "http://testserver/topi/return/success/"
    assert body["exit_redirect"] == "http://testserver/topi/return/exit/"
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert (
        before + timedelta(days=1) - timedelta(seconds=1)
        <= expires
        <= timezone.now() + timedelta(days=1)
    )
    assert body["lines"][0]["price"] == {"currency": "EUR", "net": 259800, "gross": 309162}
    assert openapi_spec.request_problems("offer#create", "POST", CREATE, json.dumps(body)) == []


def test_a_telesales_checkout_sends_topis_seven_day_lifetime(web, mocked, cart, settings):
    settings.TOPI = {**settings.TOPI, "SALES_CHANNEL": "telesales"}
    mocked.post(CREATE, status=201, json=created_offer())
    before = timezone.now().replace(microsecond=0)

    post_checkout(web)

    body = json.loads(creates(mocked)[0].request.body)
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(days=7) <= expires <= timezone.now() + timedelta(days=7)


def test_checkout_is_post_only(web, cart):
    assert web.get("/topi/checkout/").status_code == 405


def test_a_double_click_makes_one_offer(web, mocked, cart):
    mocked.post(CREATE, status=201, json=created_offer())

    first = post_checkout(web)
    second = post_checkout(web)

    assert first["Location"] == second["Location"] == CHECKOUT_URL
    assert len(creates(mocked)) == 1
    assert Offer.objects.count() == 1


def test_an_offer_synced_before_its_answer_arrives_takes_its_step_once(
    web, mocked, cart, django_capture_on_commit_callbacks
):
    """``topi_sync`` (or a webhook) brings the new offer while createOffer's answer is on its
    way: the answer is applied to the row as it now is, and the step is logged and signalled
    once."""
    from django_topi.signals import offer_status_changed
    from django_topi.sync import apply_offer_payload

    def topi_creates(request):
        apply_offer_payload(created_offer(), "sync")
        return 201, {}, json.dumps(created_offer())

    mocked.add_callback("POST", CREATE, callback=topi_creates, content_type="application/json")
    heard = []

    def listen(sender, source, target, origin, **kwargs):
        heard.append((source, target, origin))

    offer_status_changed.connect(listen, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_checkout(web)
    finally:
        offer_status_changed.disconnect(listen)

    assert response["Location"] == CHECKOUT_URL
    offer = Offer.objects.get()
    assert (offer.topi_id, offer.status) == (OFFER_ID, "created")
    assert [(s.source, s.target, s.origin) for s in StatusChange.objects.all()] == [
        ("", "draft", "local"), ("draft", "created", "sync")]  # fmt: skip
    assert heard == [("draft", "created", "sync")]


def test_a_new_offer_is_signalled_once_after_the_commit(
    web, mocked, cart, django_capture_on_commit_callbacks
):
    from django_topi.signals import offer_status_changed

    mocked.post(CREATE, status=201, json=created_offer())
    heard = []

    def listen(sender, source, target, origin, **kwargs):
        heard.append((source, target, origin))

    offer_status_changed.connect(listen, weak=False)
    try:
        with django_capture_on_commit_callbacks() as after_commit:
            post_checkout(web)
        assert heard == []
        for callback in after_commit:
            callback()
    finally:
        offer_status_changed.disconnect(listen)

    assert heard == [("draft", "created", "local")]


def test_a_timeout_then_a_retry_finds_the_offer_by_reference(web, mocked, cart):
    mocked.post(CREATE, body=requests.ReadTimeout("read timed out"))
    mocked.get(BY_REFERENCE, json=created_offer())

    first = post_checkout(web)
    draft = Offer.objects.get()
    second = post_checkout(web)

    assert first["Location"] == "/cart/"
    assert messages_of(first) == [
        "topi is not available right now. Please try again in a few minutes."
    ]
    assert (draft.status, draft.failure_code) == ("draft", "timeout")
    assert second["Location"] == CHECKOUT_URL
    assert len(creates(mocked)) == 1
    assert Offer.objects.get().pk == draft.pk


def test_a_timeout_then_a_retry_creates_when_topi_has_none(web, mocked, cart):
    mocked.post(CREATE, body=requests.ReadTimeout("read timed out"))
    mocked.post(CREATE, status=201, json=created_offer())
    mocked.get(BY_REFERENCE, status=404, content_type=GOA,
               json={"name": "not_found", "message": "no offer", "id": "x", "temporary": False,
                     "timeout": False, "fault": False})  # fmt: skip

    post_checkout(web)
    second = post_checkout(web)

    assert second["Location"] == CHECKOUT_URL
    assert len(creates(mocked)) == 2
    assert Offer.objects.get().status == "created"


def test_already_active_reference_uses_the_existing_offer(web, mocked, cart):
    mocked.post(
        CREATE,
        status=422,
        json={
            "name": "Unprocessable",
            "message": "There is already an active offer with reference SO-100234",
        },
    )
    mocked.get(BY_REFERENCE, json=created_offer())

    response = post_checkout(web)

    assert response["Location"] == CHECKOUT_URL
    assert Offer.objects.get().topi_id == OFFER_ID


def test_unsupported_products_are_named_and_the_draft_keeps_the_reason(web, mocked, cart):
    mocked.post(CREATE, status=422, json={
        "name": "UnsupportedProducts",
        "message": "The following references are marked as unsupported by topi.",
        "references": [{"source": "shop", "reference": "laptop-sleeve"}]})  # fmt: skip

    response = post_checkout(web)

    assert response["Location"] == "/cart/"
    assert messages_of(response) == [
        "These products cannot be rented with topi: Laptop Sleeve. Please remove them from your "
        "cart or choose another way to pay."
    ]
    draft = Offer.objects.get()
    assert (draft.status, draft.failure_code) == ("draft", "unsupported_products")
    assert "marked as unsupported by topi" in draft.failure_reason
    assert draft.lines.count() == 2


@pytest.mark.parametrize(
    ("refused", "named"),
    [
        ({"source": "ean", "reference": "4006381333931"}, "Laptop Sleeve"),
        ({"reference": "4006381333931"}, "Laptop Sleeve"),  # no source: any source matches
        ({"source": "shop", "reference": "4006381333931"}, "4006381333931"),  # not this line
    ],
    ids=["same source", "no source", "other source"],
)
def test_unsupported_products_given_by_source_and_reference_are_named(
    web, mocked, shop_cart, refused, named
):
    cart = demo_cart()
    sleeve = replace(cart.lines[1], product_reference=ProductReference("ean", "4006381333931"))
    shop_cart(demo_cart(lines=[cart.lines[0], sleeve]))
    mocked.post(CREATE, status=422, json={
        "name": "UnsupportedProducts", "message": "unsupported", "references": [refused]})  # fmt: skip

    response = post_checkout(web)

    assert messages_of(response) == [
        f"These products cannot be rented with topi: {named}. Please remove them from your "
        "cart or choose another way to pay."
    ]


def test_the_retry_after_a_fix_sends_the_new_cart_on_the_same_draft(web, mocked, shop_cart):
    cart = shop_cart(demo_cart())
    mocked.post(CREATE, status=422, json={
        "name": "UnsupportedProducts", "message": "unsupported",
        "references": [{"source": "shop", "reference": "laptop-sleeve"}]})  # fmt: skip
    mocked.post(CREATE, status=201, json=created_offer())
    post_checkout(web)
    draft = Offer.objects.get()

    shop_cart(demo_cart(lines=cart.lines[:1]))
    response = post_checkout(web)

    assert response["Location"] == CHECKOUT_URL
    retry = json.loads(creates(mocked)[1].request.body)
    assert [line["title"] for line in retry["lines"]] == ["Pro Laptop 14"]
    offer = Offer.objects.get()
    assert offer.pk == draft.pk
    assert (offer.failure_code, offer.expected_amount_net) == ("", 260300)
    assert offer.lines.count() == 2  # topi's two lines from its answer replace the draft's


def test_unsupported_shipping(web, mocked, cart):
    mocked.post(
        CREATE,
        status=422,
        json={"name": "UnsupportedShipping", "message": "DHL Standard is not supported"},
    )

    response = post_checkout(web)

    assert messages_of(response) == [
        "This shipping method is not available with topi. Please choose another one."
    ]


@pytest.mark.parametrize("answer", [
    {"status": 503, "content_type": GOA, "json": {"name": "ServiceUnavailable", "message": "down",
                                                  "id": "x", "temporary": True, "timeout": False,
                                                  "fault": True}},
    {"body": requests.ConnectionError("Connection reset by peer")},
])  # fmt: skip
def test_topi_down_brings_the_customer_back_with_a_calm_message(web, mocked, cart, answer):
    mocked.post(CREATE, **answer)

    response = post_checkout(web)

    assert response["Location"] == "/cart/"
    assert messages_of(response) == [
        "topi is not available right now. Please try again in a few minutes."
    ]
    assert Offer.objects.get().failure_code == "unavailable"


def test_refused_credentials_are_logged_and_the_customer_sees_unavailable(
    web, mocked, cart, caplog
):
    mocked.replace(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})

    response = post_checkout(web)

    assert messages_of(response) == [
        "topi is not available right now. Please try again in a few minutes."
    ]
    assert any(
        r.levelno == logging.ERROR and "credentials" in r.getMessage() for r in caplog.records
    )
    assert "test-secret-value" not in caplog.text


@pytest.mark.parametrize(
    ("token_answer", "hint"),
    [
        ({"status": 404, "body": "Not Found"},
         "HINT: check TOPI['ENVIRONMENT'] and TOPI['TOKEN_URL']"),
        ({"status": 200, "body": "<html>a web page</html>", "content_type": "text/html"},
         "HINT: check TOPI['ENVIRONMENT'] and TOPI['TOKEN_URL']"),
        ({"status": 401, "json": {"error": "invalid_client"}},
         "HINT: check TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET']"),
    ],
    ids=["token URL 404", "token URL is a web page", "credentials refused"],
)  # fmt: skip
def test_a_misconfigured_token_endpoint_is_unavailable_to_the_customer_and_named_in_the_log(
    web, mocked, cart, caplog, token_answer, hint
):
    mocked.replace(responses.POST, TOKEN_URL, **token_answer)

    response = post_checkout(web)

    assert messages_of(response) == [
        "topi is not available right now. Please try again in a few minutes."
    ]
    (logged,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.startswith("django-topi cannot sign in at topi, so no checkout can start")
    assert hint in logged
    assert Offer.objects.get().failure_code == "unavailable"
    assert creates(mocked) == []


def test_the_api_answers_503_for_a_misconfigured_token_endpoint(mocked, cart):
    from rest_framework.test import APIClient

    mocked.replace(responses.POST, TOKEN_URL, status=404, body="Not Found")

    response = APIClient().post("/topi/api/checkout/")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


def test_the_error_page_never_shows_topis_raw_answer(web, mocked, cart):
    mocked.post(CREATE, status=400, content_type=GOA,
                json={"name": "bad_request", "message": "internal detail xyz", "id": "x",
                      "temporary": False, "timeout": False, "fault": False})  # fmt: skip

    response = web.post("/topi/checkout/", {"next": "/cart/"}, follow=False)

    assert messages_of(response) == [
        "topi could not take this cart. Please try again or contact us."
    ]
    assert "internal detail xyz" in Offer.objects.get().failure_reason


def test_an_empty_cart_never_reaches_topi(web, mocked, shop_cart):
    shop_cart(demo_cart(lines=[]))

    response = post_checkout(web)

    assert messages_of(response) == ["Your cart is empty."]
    assert api_calls(mocked) == []
    assert Offer.objects.count() == 0


def test_an_invalid_cart_is_explained(web, mocked, shop_cart):
    from django_topi.cart import Customer

    shop_cart(demo_cart(customer=Customer(company_name="AB")))

    response = post_checkout(web)

    assert messages_of(response) == [
        "This cart cannot be rented with topi yet: topi needs a company name of at least 3 "
        "characters, not 'AB'."
    ]
    assert api_calls(mocked) == []


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/phish", "//evil.example/", "javascript:x"]
)
def test_next_cannot_redirect_elsewhere(web, mocked, shop_cart, next_url):
    shop_cart(demo_cart(lines=[]))

    response = web.post("/topi/checkout/", {"next": next_url})

    assert response["Location"] == "/cart/"


def test_a_cart_already_checked_out_is_not_offered_again(web, mocked, cart):
    from django_topi.sync import apply_offer_payload

    apply_offer_payload(payloads.offer("accepted"), "webhook")

    response = post_checkout(web)

    assert messages_of(response) == ["This cart has already been checked out with topi."]
    assert creates(mocked) == []


def test_an_expired_offer_is_replaced_by_a_new_one(web, mocked, cart):
    from django_topi.sync import apply_offer_payload

    old = apply_offer_payload(
        payloads.offer("created", expires_at="2020-01-01T00:00:00Z"), "sync"
    ).instance
    mocked.get(
        f"{API}/v1/offers/{OFFER_ID}",
        json=payloads.offer("expired", expires_at="2020-01-01T00:00:00Z"),
    )
    new_id = "7a1b2c3d-0000-4000-8000-000000000009"
    mocked.post(
        CREATE,
        status=201,
        json=created_offer(id=new_id, checkout_redirect_url="https://x.example/new"),
    )

    response = post_checkout(web)

    assert response["Location"] == "https://x.example/new"
    old.refresh_from_db()
    assert old.status == "expired"
    assert Offer.objects.get(topi_id=new_id).status == "created"


def test_a_checkout_costs_its_query_budget(web, mocked, cart, query_budget):
    mocked.post(CREATE, status=201, json=created_offer())
    with query_budget(
        {
            "postgresql": 10,
            "sqlite": 12,
        },  # PostgreSQL sends the writes after topi's answer together
        "a new checkout (the cart's offers; draft, lines, timeline; topi's answer onto the held "
        "draft: offer, lines, timeline; the new session)",
    ):
        response = post_checkout(web)

    assert response["Location"] == CHECKOUT_URL
    assert Offer.objects.get().status == "created"


def test_messages_speak_the_customers_language(web, mocked, cart):
    mocked.post(CREATE, status=503)

    response = web.post("/topi/checkout/", {"next": "/cart/"}, HTTP_ACCEPT_LANGUAGE="de")

    assert messages_of(response) == [
        "topi ist gerade nicht verfügbar. Bitte versuchen Sie es in ein paar Minuten erneut."
    ]


def in_flight_draft(**changes):
    """A draft another click is sending to topi right now (for ``demo_cart()``)."""
    from django_topi.checkout import _fill_draft

    draft = Offer.objects.create(seller_offer_reference="SO-100234", environment="sandbox")
    _fill_draft(draft, demo_cart(), demo_cart().fingerprint())
    if changes:
        Offer.objects.filter(pk=draft.pk).update(**changes)
    return draft


def test_a_click_while_another_is_talking_to_topi_is_answered_at_once(web, mocked, cart):
    in_flight_draft()

    response = post_checkout(web)

    assert response.status_code == 202
    assert response["Retry-After"] == "2"
    assert "no-store" in response["Cache-Control"]  # it changes in a moment: never kept
    assert (
        '<meta http-equiv="refresh" content="2;url=/topi/checkout/pending/?next=%2Fcart%2F">'
        in (response.text)
    )
    assert "Your topi checkout is being prepared" in response.text
    assert api_calls(mocked) == []


def test_a_draft_made_by_another_click_since_this_one_looked_is_waited_for(
    web, mocked, cart, monkeypatch
):
    """Both clicks looked before either made its draft: the later draft's INSERT finds the
    other's place taken, and its click waits for it, with no database error."""
    from django_topi.checkout import clicks

    open_offers = clicks._open_offers
    looks = []

    def first_look_before_the_other_draft(reference):
        looks.append(reference)
        return open_offers(reference).none() if len(looks) == 1 else open_offers(reference)

    monkeypatch.setattr(clicks, "_open_offers", first_look_before_the_other_draft)
    other = in_flight_draft()

    response = post_checkout(web)

    assert response.status_code == 202
    assert api_calls(mocked) == []
    assert list(Offer.objects.values_list("pk", flat=True)) == [other.pk]
    assert not StatusChange.objects.exists()


def test_the_waiting_page_sends_the_customer_on_once_the_offer_exists(web, mocked, cart):
    from django_topi.sync import apply_offer_payload

    in_flight_draft()
    assert web.get("/topi/checkout/pending/", {"next": "/cart/"}).status_code == 202

    apply_offer_payload(created_offer(), "local")  # the other click is done
    response = web.get("/topi/checkout/pending/", {"next": "/cart/"})

    assert (response.status_code, response["Location"]) == (302, CHECKOUT_URL)
    assert api_calls(mocked) == []


def test_the_waiting_page_goes_back_to_the_cart_when_the_other_click_failed(web, mocked, cart):
    in_flight_draft(failure_code="unavailable")

    response = web.get("/topi/checkout/pending/", {"next": "/cart/"})

    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert messages_of(response) == ["Your topi checkout could not be prepared. Please try again."]


def test_the_waiting_page_never_sends_another_cart_to_an_offer(web, mocked, shop_cart):
    from django_topi.sync import apply_offer_payload

    shop_cart(demo_cart())
    in_flight_draft()
    apply_offer_payload(created_offer(), "local")
    shop_cart(demo_cart(lines=demo_cart().lines[:1]))  # changed in another tab

    response = web.get("/topi/checkout/pending/", {"next": "/cart/"})

    assert response["Location"] == "/cart/"


def test_the_waiting_page_with_an_emptied_cart_goes_back_to_it(web, mocked, shop_cart):
    shop_cart(demo_cart())
    in_flight_draft()
    shop_cart(None)  # emptied in another tab

    response = web.get("/topi/checkout/pending/", {"next": "/cart/"})

    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert messages_of(response) == ["Your cart is empty."]


def test_the_api_answers_202_with_retry_after_while_another_click_is_at_topi(mocked, cart):
    from rest_framework.test import APIClient

    in_flight_draft()

    response = APIClient().post("/topi/api/checkout/")

    assert (response.status_code, response["Retry-After"]) == (202, "2")
    assert response.json()["code"] == "pending"
    assert api_calls(mocked) == []


def test_a_draft_whose_click_died_is_taken_over_after_asking_topi(web, mocked, cart):
    from django_topi.checkout import _in_flight_window

    long_ago = timezone.now() - _in_flight_window() - timedelta(seconds=1)
    draft = in_flight_draft(updated_at=long_ago)
    mocked.get(BY_REFERENCE, status=404, content_type=GOA,
               json={"name": "not_found", "message": "no offer", "id": "x", "temporary": False,
                     "timeout": False, "fault": False})  # fmt: skip
    mocked.post(CREATE, status=201, json=created_offer())

    response = post_checkout(web)

    assert response["Location"] == CHECKOUT_URL
    assert [c.request.method for c in api_calls(mocked)] == ["GET", "POST"]
    assert Offer.objects.get().pk == draft.pk
