"""Operations on stored webhook events: replay, prune, and a signed test delivery."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_topi.models import Offer, Order, WebhookEvent
from django_topi.webhooks.verification import verify
from tests import payloads
from tests.webhook_helpers import SECRET

pytestmark = pytest.mark.django_db


def stored(payload, status="failed", days_old=0, key=None) -> WebhookEvent:
    event = WebhookEvent.objects.create(
        body=json.dumps(payload).encode(), dedupe_key=key or f"k{WebhookEvent.objects.count()}",
        kind="order" if "offer_id" in payload else "offer", topi_id=payload["id"],
        reported_status=payload["status"], verification="signature", status=status,
    )  # fmt: skip
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(days=days_old)
    )
    return event


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_replay_failed_events_processes_them_through_sync():
    event = stored(payloads.order("created"))

    output = run("topi_replay_webhooks", "--failed")

    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert Order.objects.get().status == "created"
    assert f"{event.pk}: processed" in output
    assert "Replayed: 1 processed." in output


def test_replay_by_id_and_since():
    old = stored(payloads.order("created"), days_old=10)
    recent = stored(payloads.offer("accepted"), status="processed")

    run("topi_replay_webhooks", "--since", "2d")
    assert Offer.objects.get().status == "accepted"
    assert not Order.objects.exists()

    run("topi_replay_webhooks", "--id", str(old.pk))
    assert Order.objects.exists()
    recent.refresh_from_db()
    assert recent.status == "processed"


def test_replay_waiting_takes_events_a_queue_lost(settings):
    """In task mode an event waits as "received" until a worker applies it; one still waiting
    long after it arrived had its job lost (a queue without persistence restarted, a worker
    killed). --waiting finds those and leaves the ones a worker may be about to take."""
    lost = stored(payloads.order("created"), status="received", days_old=1)
    queued = stored(payloads.offer("accepted"), status="received")
    failed = stored(payloads.offer("created"), days_old=1)

    output = run("topi_replay_webhooks", "--waiting", "10m")

    lost.refresh_from_db()
    queued.refresh_from_db()
    failed.refresh_from_db()
    assert (lost.status, queued.status, failed.status) == ("processed", "received", "failed")
    assert "Replayed: 1 processed." in output
    assert not Offer.objects.exists()  # neither the queued one nor the failed one

    output = run("topi_replay_webhooks", "--waiting", "10m", "--failed")

    failed.refresh_from_db()
    assert failed.status == "processed"
    assert Offer.objects.get().status == "created"
    assert "Replayed: 1 processed." in output


def test_replay_rejects_a_bad_age():
    with pytest.raises(CommandError, match="'soon' is not an age such as 10m, 12h or 3d"):
        run("topi_replay_webhooks", "--waiting", "soon")


def test_replay_dry_run_lists_without_processing():
    stored(payloads.order("created"))

    output = run("topi_replay_webhooks", "--failed", "--dry-run")

    assert "would replay" in output
    assert "Replayed: 1 listed." in output
    assert not Order.objects.exists()


def test_replay_needs_a_selection():
    with pytest.raises(CommandError, match="say which events: --failed, --waiting, --since or"):
        run("topi_replay_webhooks")


def test_replay_reports_events_that_fail_again(monkeypatch):
    from django_topi.webhooks import processing

    stored(payloads.order("created"))
    monkeypatch.setattr(processing, "apply_order_payload", lambda *a, **k: 1 / 0)

    with pytest.raises(CommandError, match="1 event\\(s\\) failed again"):
        run("topi_replay_webhooks", "--failed")


def test_replay_rejects_a_bad_since():
    with pytest.raises(CommandError, match="is not a date"):
        run("topi_replay_webhooks", "--since", "last tuesday")


def test_prune_deletes_old_events_but_keeps_failed_and_recent(settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_RETENTION_DAYS": 30}
    old_done = stored(payloads.offer("accepted"), status="processed", days_old=40)
    old_failed = stored(payloads.order("created"), status="failed", days_old=40)
    recent = stored(payloads.offer("declined"), status="processed", days_old=1)

    output = run("topi_prune_webhook_events")

    assert "Deleted 1 webhook event(s) older than 30 days." in output
    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_failed.pk, recent.pk}
    assert not WebhookEvent.objects.filter(pk=old_done.pk).exists()


def test_prune_with_older_than_and_failed():
    stored(payloads.order("created"), status="failed", days_old=8)

    assert "Would delete 0" in run("topi_prune_webhook_events", "--older-than", "7", "--dry-run")
    run("topi_prune_webhook_events", "--older-than", "7", "--include-failed")

    assert WebhookEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_send_test_webhook_signs_and_delivers_to_a_running_shop(live_server):
    output = run("topi_send_test_webhook", f"{live_server.url}/topi/webhook/", "order.created")

    assert output.startswith("200 ")
    event = WebhookEvent.objects.get()
    assert (event.verification, event.status) == ("signature", "processed")
    assert Order.objects.get().seller_offer_reference == "TEST-WEBHOOK-1"


def test_send_test_webhook_signature_is_valid(mocked):
    mocked.post("https://tunnel.example/topi/webhook/", json={"status": "processed"})

    run("topi_send_test_webhook", "https://tunnel.example/topi/webhook/", "offer.declined")

    request = mocked.calls[-1].request
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert verify(headers, request.body, [SECRET], tolerance=60)
    assert json.loads(request.body)["status"] == "declined"


def test_send_test_webhook_sends_a_file(mocked, tmp_path):
    mocked.post("https://tunnel.example/h", status=400, json={"status": "rejected"})
    body = tmp_path / "order.json"
    body.write_text(json.dumps(payloads.order("completed")))

    with pytest.raises(CommandError, match="the webhook answered 400"):
        run("topi_send_test_webhook", "https://tunnel.example/h", "--file", str(body))
    assert json.loads(mocked.calls[-1].request.body)["status"] == "completed"
