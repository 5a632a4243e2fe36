"""The admin's "Reprocess selected events" action."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client

from django_topi.models import Order, WebhookEvent
from tests import payloads

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/django_topi/webhookevent/"


def failed_event(payload) -> WebhookEvent:
    return WebhookEvent.objects.create(
        body=json.dumps(payload).encode(), dedupe_key=f"k-{payload['id']}-{payload['status']}",
        kind="order", topi_id=payload["id"], reported_status=payload["status"],
        verification="signature", status="failed", error="RuntimeError: boom", attempts=1,
    )  # fmt: skip


def test_the_action_is_registered():
    model_admin = admin.site._registry[WebhookEvent]
    assert "reprocess_events" in model_admin.actions


def test_reprocess_selected_events(admin_client):
    event = failed_event(payloads.order("created"))

    response = admin_client.post(
        CHANGELIST, {"action": "reprocess_events", "_selected_action": [event.pk]}, follow=True
    )

    event.refresh_from_db()
    assert (event.status, event.attempts, event.error) == ("processed", 2, "")
    assert Order.objects.get().status == "created"
    assert "Reprocessed: 1 processed." in response.content.decode()


def test_a_failure_again_is_reported(admin_client, monkeypatch):
    from django_topi.webhooks import processing

    monkeypatch.setattr(processing, "apply_order_payload", lambda *a, **k: 1 / 0)
    event = failed_event(payloads.order("created"))

    response = admin_client.post(
        CHANGELIST, {"action": "reprocess_events", "_selected_action": [event.pk]}, follow=True
    )

    html = response.content.decode()
    assert f"Event {event.pk} failed again: ZeroDivisionError: division by zero" in html
    assert "Reprocessed: 1 failed." in html


def test_staff_without_change_permission_are_not_offered_the_action(django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    browser = Client()
    browser.force_login(user)
    event = failed_event(payloads.order("created"))

    page = browser.get(CHANGELIST)
    refused = browser.post(
        CHANGELIST, {"action": "reprocess_events", "_selected_action": [event.pk]}
    )

    assert "reprocess_events" not in page.content.decode()
    assert refused.status_code in (200, 302)
    event.refresh_from_db()
    assert event.status == "failed"
