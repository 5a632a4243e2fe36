"""The simulated topi, driven as a tester would: its token endpoint, Hosted Checkout, control
page, webhooks with retries, expiry, and whole flows with the shop in the same process."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from django_topi.client import TopiConfigurationError, get_client
from django_topi.models import Offer, Order
from django_topi.simulator import delivery, lifecycle
from django_topi.simulator.models import SimDelivery, SimOffer, SimProduct
from tests.checkout_helpers import demo_cart

pytestmark = pytest.mark.django_db

TOKEN_URL = "/topi-simulator/oauth2/token"


@pytest.fixture
def shop(topi_simulator, shop_cart):
    """The demo cart's products and shipping method are in topi's catalog."""
    topi_simulator.add_product("pro-laptop-14", 129900, title="Pro Laptop 14")
    topi_simulator.add_product("laptop-sleeve", 2990, title="Laptop Sleeve")
    topi_simulator.add_shipping_method("DHL Standard")
    shop_cart(demo_cart())
    return topi_simulator


def check_out(web):
    """The customer clicks "Rent with topi": answers the Hosted Checkout's path and query."""
    response = web.post("/topi/checkout/", {"next": "/cart/"})
    assert response.status_code == 302, response.content
    return response["Location"].removeprefix("http://testserver")


def query(location):
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


# -- the token endpoint --------------------------------------------------------------------------


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_the_token_endpoint_issues_an_expiring_bearer_token(topi_simulator, web):
    response = web.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic("test-client", "test-secret-value"),  # the shop's own
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 7200, "client")
    assert body["access_token"]


def test_wrong_credentials_get_401_and_the_client_names_the_setting(topi_simulator, web, settings):
    refused = web.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic("x", "y")
    )
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "CLIENT_SECRET": "another"}

    with pytest.raises(TopiConfigurationError) as error:
        get_client().get_offer("a-1")

    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})
    assert "TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET']" in str(error.value)


def test_only_client_credentials_are_granted(topi_simulator, web):
    response = web.post(TOKEN_URL, {"grant_type": "password"},
                        HTTP_AUTHORIZATION=basic("test-client", "test-secret-value"))  # fmt: skip

    assert (response.status_code, response.json()) == (400, {"error": "unsupported_grant_type"})


def test_an_expired_token_is_refused_and_the_client_fetches_a_new_one(
    topi_simulator, time_machine, settings, web, monkeypatch
):
    from django.core.cache import cache

    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "TOKEN_SECONDS": 60}
    client = get_client()
    assert client.list_shipping_methods() == []
    old = cache.get(client.tokens.cache_key)
    time_machine.move_to(timezone.now() + timedelta(seconds=61))

    refused = web.get("/topi-simulator/v1/shipping-method", HTTP_AUTHORIZATION=f"Bearer {old}")
    assert (refused.status_code, refused.json()) == (401, "Unauthorized")

    # A shop whose cache outlived the token: a 401, one new token, and the call again.
    cache.set(client.tokens.cache_key, old)
    fetched = []
    fetch = client.tokens._fetch
    monkeypatch.setattr(client.tokens, "_fetch", lambda: fetched.append(1) or fetch())
    assert client.list_shipping_methods() == []
    assert len(fetched) == 1
    assert cache.get(client.tokens.cache_key) not in (None, old)


def test_the_api_refuses_a_missing_token(web, topi_simulator):
    response = web.get("/topi-simulator/v1/offers/paginated")

    assert (response.status_code, response.json()) == (401, "Unauthorized")


# -- it refuses production -----------------------------------------------------------------------


def test_the_simulator_refuses_to_start_with_debug_off():
    config = apps.get_app_config("topi_simulator")

    with (
        override_settings(DEBUG=False, TOPI_SIMULATOR_ALLOW_PRODUCTION=False),
        pytest.raises(ImproperlyConfigured, match="Remove it from INSTALLED_APPS in production"),
    ):
        config.ready()


def test_it_starts_with_debug_on_or_when_allowed():
    config = apps.get_app_config("topi_simulator")

    with override_settings(DEBUG=True, TOPI_SIMULATOR_ALLOW_PRODUCTION=False):
        config.ready()
    with override_settings(DEBUG=False, TOPI_SIMULATOR_ALLOW_PRODUCTION=True):
        config.ready()


# -- the Hosted Checkout -------------------------------------------------------------------------


def test_the_checkout_shows_the_lines_totals_and_simulated_rent(shop, web):
    page = web.get(check_out(web))

    assert page.status_code == 200
    text = page.text
    assert "Pro Laptop 14" in text
    assert "Laptop Sleeve" in text
    assert "DHL Standard" in text
    assert "€3,133.15" in text  # what the shop sent, gross: the lines and shipping
    assert "Rent per month incl. VAT (36 months, simulated)" in text
    assert "topi simulator: not topi" in text
    assert "<script" not in text
    assert re.findall(r'name="choice" value="(\w+)"', text) == [
        "accept", "review", "decline", "abandon"]  # fmt: skip


def test_the_checkout_speaks_german(shop, web):
    page = web.get(check_out(web), HTTP_ACCEPT_LANGUAGE="de")

    assert "Mit topi mieten" in page.text
    assert "Miete pro Monat inkl. MwSt. (36 Monate, simuliert)" in page.text


def test_a_checkout_needs_its_token(shop, web):
    path = check_out(web)

    assert web.get(path.split("?")[0] + "?token=guess").status_code == 404


def test_renting_returns_to_the_shop_and_the_order_arrives_by_signed_webhook(shop, web):
    path = check_out(web)

    response = web.post(path, {"choice": "accept"})

    offer = SimOffer.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/topi/return/success/?")
    assert query(response["Location"]) == {
        "offer_id": offer.topi_id,
        "seller_offer_reference": "SO-100234",
        "order_id": offer.order.topi_id,
    }
    assert Offer.objects.get().status == "accepted"
    assert Order.objects.get().status == "created"
    assert [(d.event, d.status, d.last_status_code) for d in shop.deliveries()] == [
        ("offer.accepted", "delivered", 200), ("order.created", "delivered", 200)]  # fmt: skip
    thanks = web.get(response["Location"])
    assert "Thank you for your order" in thanks.text


def test_a_review_then_the_control_page_approves(shop, web):
    web.post(check_out(web), {"choice": "review"})
    assert Offer.objects.get().status == "pending_review"

    web.post("/topi-simulator/control/", {"action": "approve", "topi_id": shop.offer().topi_id})

    assert Offer.objects.get().status == "accepted"
    assert Order.objects.count() == 1


def test_a_decline_goes_through_review_as_topi_documents(shop, web):
    web.post(check_out(web), {"choice": "decline"})

    assert Offer.objects.get().status == "declined"
    assert [d.event for d in shop.deliveries()] == ["offer.pending_review", "offer.declined"]


def test_leaving_the_checkout_goes_to_the_exit_redirect(shop, web):
    response = web.post(check_out(web), {"choice": "abandon"})

    assert response["Location"].startswith("http://testserver/topi/return/exit/?")
    assert query(response["Location"]) == {
        "offer_id": shop.offer().topi_id, "seller_offer_reference": "SO-100234"}  # fmt: skip
    assert Offer.objects.get().status == "created"
    assert shop.deliveries() == []


def test_a_closed_offer_cannot_be_checked_out_again(shop, web):
    path = check_out(web)
    web.post(path, {"choice": "accept"})

    page = web.get(path)
    again = web.post(path, {"choice": "accept"})

    assert "This offer is accepted; it can no longer be checked out." in page.text
    assert again.status_code == 302
    assert Order.objects.count() == 1


# -- topi's side of the lifecycle ----------------------------------------------------------------


def test_an_offer_expires_when_its_time_has_passed(shop, web):
    check_out(web)
    later = timezone.now() + timedelta(days=2)

    assert lifecycle.expire_due(now=later) == 1

    assert Offer.objects.get().status == "expired"
    assert [d.event for d in shop.deliveries()] == ["offer.expired"]


def test_staff_confirm_and_ship_in_two_parts_and_the_order_completes(shop, web):
    web.post(check_out(web), {"choice": "accept"})
    order = shop.confirm(Order.objects.get())
    from django_topi import fulfilment

    first = fulfilment.shippable_units(order)[0]
    fulfilment.ship(order, [fulfilment.ShipmentItem(first.asset.topi_id, "SN-1")])
    assert Order.objects.get().status == "partially_fulfilled"

    shop.ship(Order.objects.get())

    assert Order.objects.get().status == "completed"
    assert shop.order().status == "completed"
    assert {
        a.serial_number for a in shop.order().assets.all() if a.reference == "pro-laptop-14"
    } >= {"SN-1"}
    assert [d.event for d in shop.deliveries()][-1] == "order.completed"


def test_a_cancel_from_the_control_page_reaches_the_shop(shop, web):
    web.post(check_out(web), {"choice": "accept"})

    web.post("/topi-simulator/control/", {"action": "cancel", "topi_id": shop.order().topi_id})

    order = Order.objects.get()
    assert order.status == "canceled"
    assert order.canceled_at is not None


def test_a_changed_cart_is_edited_at_the_simulated_topi(shop, web, shop_cart):
    first = check_out(web)
    shop_cart(demo_cart(lines=demo_cart().lines[:1]))

    second = check_out(web)

    old, new = SimOffer.objects.order_by("pk")
    assert (old.status, old.superseded_by, new.status) == ("voided", new, "created")
    assert first != second
    assert Offer.objects.get(topi_id=old.topi_id).status == "voided"


def test_the_offer_list_is_walked_page_by_page(shop):
    client = get_client()
    for n in range(3):
        body = demo_cart(reference=f"SO-{n}").to_offer_payload(
            success_redirect="http://testserver/topi/return/success/"
        )
        client.create_offer(body)

    assert sorted(o["seller_offer_reference"] for o in client.iter_offers(page_size=1)) == [
        "SO-0", "SO-1", "SO-2"]  # fmt: skip


# -- webhooks: signed, answered, retried ---------------------------------------------------------


def test_a_webhook_the_shop_refuses_is_retried_with_backoff_then_given_up(
    shop, web, settings, time_machine
):
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "WEBHOOK_SECRET": "whsec_b3RoZXI="}
    web.post(check_out(web), {"choice": "review"})
    (sent,) = shop.deliveries()
    assert (sent.status, sent.attempts, sent.last_status_code) == ("pending", 1, 401)
    assert sent.next_attempt_at > timezone.now()
    for delay in (2, 10, 60, 300):
        time_machine.move_to(timezone.now() + timedelta(seconds=delay + 1))
        assert delivery.deliver_due() == 1

    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.next_attempt_at) == ("failed", 5, None)
    assert Offer.objects.get().status == "created"  # the shop never believed it


def test_a_retry_that_gets_through_is_delivered(shop, web, settings, time_machine):
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "WEBHOOK_SECRET": "whsec_b3RoZXI="}
    web.post(check_out(web), {"choice": "review"})
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "WEBHOOK_SECRET": None}  # fixed
    time_machine.move_to(timezone.now() + timedelta(seconds=3))

    delivery.deliver_due()

    (sent,) = shop.deliveries()
    assert (sent.status, sent.attempts, sent.last_status_code) == ("delivered", 2, 200)
    assert Offer.objects.get().status == "pending_review"


def test_the_deliveries_page_lists_answers_and_sends_again(shop, web, settings):
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "WEBHOOK_SECRET": "whsec_b3RoZXI="}
    web.post(check_out(web), {"choice": "review"})
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "WEBHOOK_SECRET": None}

    page = web.get("/topi-simulator/deliveries/")
    web.post("/topi-simulator/deliveries/", {"delivery": SimDelivery.objects.get().pk})

    assert "offer.pending_review" in page.text
    assert "401" in page.text
    assert SimDelivery.objects.get().status == "delivered"


def test_delivery_off_keeps_webhooks_unsent(shop, web, settings):
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "DELIVERY": "off"}

    web.post(check_out(web), {"choice": "accept"})

    assert {d.status for d in shop.deliveries()} == {"pending"}
    assert Offer.objects.get().status == "created"


# -- the catalog ---------------------------------------------------------------------------------


def test_products_not_imported_are_unsupported(topi_simulator):
    answer = get_client().check_supported(
        {"seller_product_references": [{"source": "shop", "reference": "ghost"}]}
    )

    assert answer["products"][0]["is_supported"] is False


def test_the_rental_price_formula_is_documented_and_labelled_simulated(topi_simulator):
    topi_simulator.add_product("laptop", 100000)

    (answer,) = get_client().recommended_rental_prices(
        {
            "pricing_requests": [
                {"seller_product_reference": {"source": "shop", "reference": "laptop"}}
            ]
        }
    )

    assert answer["monthly_rental_amount"] == 3194  # 1000.00 * 1.15 / 36
    assert answer["summary"] == "Rent with topi from €31.94/month (simulated)"


def test_a_csv_catalog_push_reaches_the_simulated_catalog(topi_simulator, settings):
    from decimal import Decimal

    from django_topi.catalog import CatalogProduct, ProductReference, push_catalog_csv

    products = [CatalogProduct(title="USB-C Dock", references=[ProductReference("shop", "dock")],
                               price_gross=Decimal("177.31"), price_net=Decimal("149.00"))]  # fmt: skip

    summary = push_catalog_csv(products, poll_seconds=0, sleep=lambda s: None)

    assert summary.status == "completed"
    product = SimProduct.objects.get(reference="dock")
    assert (product.price_net, product.price_gross, product.title) == (14900, 17731, "USB-C Dock")
