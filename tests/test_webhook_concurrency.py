"""Concurrent duplicate deliveries: one event row, one transition, never a 500 (PostgreSQL)."""

from __future__ import annotations

import json

from django.test import Client

from django_topi.models import Order, StatusChange, WebhookEvent
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
