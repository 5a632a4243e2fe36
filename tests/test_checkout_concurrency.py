"""Clicks at once for one cart make one call to topi, and every click reaches the offer
(PostgreSQL only: SQLite serialises writers)."""

from __future__ import annotations

import time

from django.test import Client

from django_topi.models import Offer
from tests.checkout_helpers import CHECKOUT_URL, created_offer, demo_cart
from tests.conftest import API
from tests.races import POSTGRES_ONLY, run_at_once

pytestmark = POSTGRES_ONLY
CLICKS = 8


def test_simultaneous_clicks_make_one_offer(mocked, shop_cart):
    import json

    shop_cart(demo_cart())

    def slow_topi(request):
        time.sleep(0.3)
        return 201, {}, json.dumps(created_offer())

    mocked.add_callback("POST", f"{API}/v1/offers", callback=slow_topi,
                        content_type="application/json")  # fmt: skip
    answers: list[tuple[int, str]] = []

    def click() -> None:
        response = Client().post("/topi/checkout/", {"next": "/cart/"})
        answers.append((response.status_code, response.headers.get("Location", "")))

    assert run_at_once(click, CLICKS) == []

    creates = [c for c in mocked.calls if c.request.url == f"{API}/v1/offers"]
    assert len(creates) == 1
    # No click waited in its worker: those that came while topi was asked were told to ask again.
    assert set(answers) <= {(302, CHECKOUT_URL), (202, "")}
    assert (302, CHECKOUT_URL) in answers
    asked_again = Client().get("/topi/checkout/pending/", {"next": "/cart/"})
    assert asked_again["Location"] == CHECKOUT_URL
    assert Offer.objects.count() == 1


def test_two_tabs_with_a_changed_cart_make_one_edit_and_reach_the_new_offer(mocked, shop_cart):
    """The customer changed the cart and clicks in two tabs at once: topi sees one edit, and
    both tabs end on the new offer (one at once, one through the page that asks again)."""
    import json

    from tests import payloads
    from tests.checkout_helpers import OFFER_ID

    new_id = "5d0c7a10-1111-4222-8333-444455556666"
    new_url = f"https://dashboard.topi-sandbox.eu/offer/{new_id}?token=efgh"
    shop_cart(demo_cart(lines=demo_cart().lines[:1]))
    mocked.post(f"{API}/v1/offers", status=201, json=created_offer())
    session = Client()
    assert session.post("/topi/checkout/", {"next": "/cart/"})["Location"] == CHECKOUT_URL
    shop_cart(demo_cart())  # the sleeve is back in the cart

    def slow_edit(request):
        time.sleep(0.3)
        return 202, {}, json.dumps(payloads.offer("created", id=new_id,
                                                  checkout_redirect_url=new_url))  # fmt: skip

    mocked.add_callback("PUT", f"{API}/v1/offers/{OFFER_ID}", callback=slow_edit,
                        content_type="application/json")  # fmt: skip
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("voided"))
    answers: list[tuple[int, str]] = []

    def tab() -> None:
        response = Client(cookies=session.cookies).post("/topi/checkout/", {"next": "/cart/"})
        answers.append((response.status_code, response.headers.get("Location", "")))

    assert run_at_once(tab, 2) == []

    edits = [c for c in mocked.calls if c.request.method == "PUT"]
    assert len(edits) == 1
    assert sorted(answers) in ([(202, ""), (302, new_url)], [(302, new_url), (302, new_url)])
    waiting = session.get("/topi/checkout/pending/", {"next": "/cart/"})
    assert waiting["Location"] == new_url
    assert Offer.objects.get(topi_id=OFFER_ID).status == "voided"
    assert Offer.objects.get(topi_id=new_id).status == "created"
    assert Offer.objects.filter(status="draft").count() == 0
