"""Four clicks on "ship" at once send the unit to topi once (PostgreSQL only).

SQLite serialises writers and cannot show a race, so this runs on PostgreSQL
(``TOPI_TEST_DB=postgres``, as ``.ci/run`` does) and is skipped elsewhere with that reason.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from django.contrib.auth import get_user_model

from django_topi import fulfilment
from django_topi.fulfilment import FulfilmentError, ShipmentItem
from django_topi.models import Order, Shipment
from tests import payloads
from tests.fulfilment_helpers import (
    LAPTOP_1,
    ORDER_URL,
    SHIPMENT_URL,
    make_order,
    posts,
    with_assets_shipped,
)
from tests.races import POSTGRES_ONLY, run_at_once

pytestmark = POSTGRES_ONLY
CLICKS = 4


def test_simultaneous_shipments_of_one_unit_reach_topi_once(mocked):
    order = make_order("confirmed")
    user = get_user_model().objects.create_user("alice")

    def slow_topi(request):
        time.sleep(0.3)
        return 200, {}, json.dumps({"serial_numbers": []})

    mocked.add_callback("POST", SHIPMENT_URL, callback=slow_topi, content_type="application/json")
    mocked.get(ORDER_URL, json=with_assets_shipped(payloads.order("partially_fulfilled"), LAPTOP_1))
    outcomes: list[str] = []

    def click() -> None:
        try:
            fresh = Order.objects.get(pk=order.pk)
            fulfilment.ship(fresh, [ShipmentItem(LAPTOP_1, "SN-1")], "", user)
            outcomes.append("shipped")
        except FulfilmentError as exc:
            outcomes.append(exc.message)

    assert run_at_once(click, CLICKS) == []

    assert len([call for call in posts(mocked) if call.request.url == SHIPMENT_URL]) == 1
    assert Shipment.objects.count() == 1
    assert Counter(outcomes) == {
        "shipped": 1,
        "The shipment was not sent to topi: This item has already been shipped.": CLICKS - 1,
    }
