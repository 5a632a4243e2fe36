"""The pages topi sends the customer back to: the truth from topi, shown only to its customer."""

from __future__ import annotations

import pytest

from django_topi.checkout import SESSION_KEY
from django_topi.models import Offer
from django_topi.sync import apply_offer_payload
from tests import payloads
from tests.checkout_helpers import OFFER_ID
from tests.conftest import API, api_calls

pytestmark = pytest.mark.django_db

SUCCESS = f"/topi/return/success/?offer_id={OFFER_ID}&seller_offer_reference=SO-100234&order_id=d-1"
EXIT = f"/topi/return/exit/?offer_id={OFFER_ID}&seller_offer_reference=SO-100234"


def own(web, status: str) -> Offer:
    """An offer in ``status`` that the browser ``web`` started."""
    offer = apply_offer_payload(payloads.offer(status), "local").instance
    session = web.session
    session[SESSION_KEY] = [offer.pk]
    session.save()
    return offer


def text(response) -> str:
    return response.content.decode()


def test_after_a_webhook_the_page_thanks_without_asking_topi(web, mocked):
    own(web, "accepted")

    response = web.get(SUCCESS)

    assert response.status_code == 200
    assert "Thank you for your order" in text(response)
    assert "topi has approved your order SO-100234." in text(response)
    assert api_calls(mocked) == []


def test_without_a_webhook_the_page_asks_topi_and_syncs(web, mocked):
    own(web, "created")
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("accepted"))

    response = web.get(SUCCESS)

    assert "Thank you for your order" in text(response)
    offer = Offer.objects.get()
    assert offer.status == "accepted"
    assert offer.status_changes.last().origin == "return"


def test_pending_review_says_topi_will_email(web, mocked):
    own(web, "pending_review")
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("pending_review"))

    response = web.get(SUCCESS)

    assert "Your order is being reviewed" in text(response)
    assert "topi will contact you by email" in text(response)


def test_a_review_decided_before_its_webhook_shows_the_decision(web, mocked):
    """The review's start arrived by webhook, its decline not yet: topi is asked, not trusted
    stale, so the customer does not read "being reviewed" about a decided order."""
    own(web, "pending_review")
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("declined"))

    response = web.get(SUCCESS)

    assert "topi could not approve this order" in text(response)
    assert Offer.objects.get().status == "declined"
    assert [call.request.method for call in api_calls(mocked)] == ["GET"]


def test_declined_offers_a_way_back_to_the_cart(web, mocked):
    own(web, "declined")

    response = web.get(SUCCESS)

    assert "topi could not approve this order" in text(response)
    assert 'href="/cart/"' in text(response)


def test_still_processing_refreshes_a_few_times_then_stays_calm(web, mocked):
    own(web, "created")
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("created"))

    first = web.get(SUCCESS)
    last = web.get(SUCCESS + "&attempt=5")

    assert "We are confirming your order with topi" in text(first)
    assert '<meta http-equiv="refresh" content="3;url=/topi/return/success/?' in text(first)
    assert "attempt=1" in text(first)
    assert "http-equiv" not in text(last)
    assert "we will email you as soon as topi confirms your order" in text(last)


def test_topi_down_while_returning_shows_processing(web, mocked):
    own(web, "created")
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", status=503)

    response = web.get(SUCCESS)

    assert response.status_code == 200
    assert "We are confirming your order with topi" in text(response)


def test_another_session_sees_a_generic_page_and_nothing_is_asked(web, mocked):
    from django.test import Client

    own(web, "created")

    response = Client().get(SUCCESS)

    assert response.status_code == 200
    assert "If you completed the checkout with topi" in text(response)
    assert "SO-100234" not in text(response)
    assert api_calls(mocked) == []


def test_an_unknown_offer_gets_the_generic_page(web, mocked):
    response = web.get("/topi/return/success/?offer_id=../../etc&seller_offer_reference=nope")

    assert response.status_code == 200
    assert "If you completed the checkout with topi" in text(response)


def test_the_signed_in_owner_sees_it_from_another_session(web, mocked, django_user_model):
    from django.test import Client

    user = django_user_model.objects.create_user("alice", password="pw")
    offer = apply_offer_payload(payloads.offer("accepted"), "local").instance
    Offer.objects.filter(pk=offer.pk).update(owner=user)
    browser = Client()
    browser.force_login(user)

    assert "Thank you for your order" in text(browser.get(SUCCESS))


def test_exit_explains_and_links_back_to_the_cart(web, mocked):
    own(web, "created")

    response = web.get(EXIT)

    assert response.status_code == 200
    assert "Your topi checkout was not completed" in text(response)
    assert "your cart is still there" in text(response)
    assert 'href="/cart/"' in text(response)


def test_return_pages_are_not_cached(web, mocked):
    own(web, "accepted")
    assert "no-cache" in web.get(SUCCESS)["Cache-Control"]


def test_a_return_page_costs_its_query_budget(web, mocked, query_budget):
    own(web, "accepted")
    with query_budget(2, "the success page of an accepted offer"):
        web.get(SUCCESS)


def test_return_templates_can_be_overridden(web, mocked, settings, tmp_path):
    (tmp_path / "django_topi").mkdir()
    (tmp_path / "django_topi" / "return_exit.html").write_text("Shop's own exit page")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert text(web.get(EXIT)) == "Shop's own exit page"
