"""Eight browsers clicking at once for one cart make one createOffer (PostgreSQL only)."""

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
    locations: list[str] = []

    def click() -> None:
        locations.append(Client().post("/topi/checkout/", {"next": "/cart/"})["Location"])

    assert run_at_once(click, CLICKS) == []

    creates = [c for c in mocked.calls if c.request.url == f"{API}/v1/offers"]
    assert len(creates) == 1
    assert locations == [CHECKOUT_URL] * CLICKS
    assert Offer.objects.count() == 1
