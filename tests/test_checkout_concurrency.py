"""Eight browsers clicking at once for one cart make one createOffer (PostgreSQL only)."""

from __future__ import annotations

import threading
import time

from django.db import connection
from django.test import Client

from django_topi.models import Offer
from tests.checkout_helpers import CHECKOUT_URL, created_offer, demo_cart
from tests.conftest import API
from tests.races import POSTGRES_ONLY

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
    barrier = threading.Barrier(CLICKS)
    locations: list[str] = []

    def click() -> None:
        try:
            barrier.wait()
            locations.append(Client().post("/topi/checkout/", {"next": "/cart/"})["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    creates = [c for c in mocked.calls if c.request.url == f"{API}/v1/offers"]
    assert len(creates) == 1
    assert locations == [CHECKOUT_URL] * CLICKS
    assert Offer.objects.count() == 1
