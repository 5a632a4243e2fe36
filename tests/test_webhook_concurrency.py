"""Concurrent duplicate deliveries: one event row, one transition, never a 500 (PostgreSQL)."""

from __future__ import annotations

import json

from django.test import Client

from django_topi.models import Offer, Order, StatusChange, WebhookEvent
from tests import payloads
from tests.races import POSTGRES_ONLY, run_at_once
from tests.webhook_helpers import URL, signed_headers

pytestmark = POSTGRES_ONLY
DELIVERIES = 12


def test_concurrent_duplicates_make_one_event_and_one_order():
    body = json.dumps(payloads.order("confirmed")).encode()
    headers = signed_headers(body, msg_id="msg_race")
    statuses: list[int] = []

    def post() -> None:
        response = Client().generic("POST", URL, body, content_type="application/json", **headers)
        statuses.append(response.status_code)

    assert run_at_once(post, DELIVERIES) == []

    assert len(statuses) == DELIVERIES
    assert all(200 <= status < 300 for status in statuses), statuses
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().status == "processed"
    assert Order.objects.get().status == "confirmed"
    assert list(StatusChange.objects.values_list("source", "target")) == [
        ("", "created"),
        ("created", "confirmed"),
    ]


def test_concurrent_reports_of_one_new_offer_make_one_offer_and_one_timeline():
    """Different events (created, pending_review, accepted, each twice) for an offer nobody has
    seen, at once: each delivery sees no offer when its event is stored, so each inserts it;
    one wins, the others find it and walk it on, and no step is taken twice."""
    bodies = [
        (json.dumps(payloads.offer(status)).encode(), f"msg_{status}_{copy}")
        for status in ("created", "pending_review", "accepted")
        for copy in range(2)
    ]
    statuses: list[int] = []
    upcoming = iter(bodies)

    def post() -> None:
        body, msg_id = next(upcoming)
        headers = signed_headers(body, msg_id=msg_id)
        response = Client().generic("POST", URL, body, content_type="application/json", **headers)
        statuses.append(response.status_code)

    assert run_at_once(post, len(bodies)) == []

    assert sorted(statuses) == [200] * len(bodies)
    assert Offer.objects.count() == 1
    assert Offer.objects.get().status == "accepted"
    targets = list(StatusChange.objects.values_list("target", flat=True))
    assert sorted(targets) == sorted(set(targets))  # every step once
    assert targets[-1] == "accepted"
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
