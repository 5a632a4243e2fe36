"""Concurrent writers: 16 threads applying the same payload make exactly one transition.

SQLite serialises writers and cannot show a race, so this runs on PostgreSQL
(``TOPI_TEST_DB=postgres``, as ``.ci/run`` does) and is skipped elsewhere with that reason.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from django_topi import signals
from django_topi.models import Offer, Order, StatusChange
from django_topi.sync import apply_offer_payload, apply_order_payload
from tests import payloads
from tests.races import POSTGRES_ONLY, run_at_once

THREADS = 16

pytestmark = POSTGRES_ONLY


@pytest.fixture
def accepted_signals():
    calls: list[str] = []
    lock = threading.Lock()

    def receiver(sender: type, instance: Offer, **kwargs: Any) -> None:
        with lock:
            calls.append(instance.topi_id or "")

    signals.offer_accepted.connect(receiver)
    yield calls
    signals.offer_accepted.disconnect(receiver)


def test_sixteen_threads_accepting_one_offer_make_one_transition(accepted_signals):
    offer = apply_offer_payload(payloads.offer("created"), "sync").instance

    errors = run_at_once(
        lambda: apply_offer_payload(payloads.offer("accepted"), "webhook"), THREADS
    )

    assert errors == []
    assert Offer.objects.get().status == "accepted"
    assert list(StatusChange.objects.filter(offer=offer).values_list("source", "target")) == [
        ("", "created"),
        ("created", "accepted"),
    ]
    assert accepted_signals == [offer.topi_id]


def test_sixteen_threads_seeing_a_new_order_create_one_row():
    errors = run_at_once(
        lambda: apply_order_payload(payloads.order("confirmed"), "webhook"), THREADS
    )

    assert errors == []
    order = Order.objects.get()
    assert order.status == "confirmed"
    assert list(order.status_changes.values_list("source", "target")) == [
        ("", "created"),
        ("created", "confirmed"),
    ]
    assert order.assets.count() == 3
