"""Delivery: stored before it is acted on, applied exactly once, never a 500 for junk."""

from __future__ import annotations

import io
import json
import math
import time
from dataclasses import replace

import pytest
from django.db import connection
from django.utils import timezone

from django_topi import signals
from django_topi.models import Asset, Offer, Order, StatusChange, WebhookEvent
from tests import payloads
from tests.webhook_helpers import URL, deliver

pytestmark = pytest.mark.django_db


def test_head_answers_200_and_get_is_not_allowed(web):
    assert web.head(URL).status_code == 200
    assert web.get(URL).status_code == 405


def test_a_delivery_is_stored_with_what_it_is(web):
    deliver(web, payloads.order("created"), msg_id="msg_o1", REMOTE_ADDR="203.0.113.9")

    event = WebhookEvent.objects.get()
    assert (event.kind, event.topi_id, event.reported_status) == (
        "order", payloads.order()["id"], "created")  # fmt: skip
    assert (event.dedupe_key, event.remote_ip, event.attempts) == ("svix:msg_o1", "203.0.113.9", 1)
    assert json.loads(bytes(event.body)) == payloads.order("created")
    assert event.processed_at is not None
    assert Order.objects.get().status_changes.get().webhook_event == event


def test_a_duplicate_of_a_processed_event_answers_2xx_and_does_nothing(web):
    received = []
    signals.order_created.connect(lambda **kw: received.append(kw), weak=False)
    try:
        first = deliver(web, payloads.order("created"), msg_id="msg_dup")
        again = deliver(web, payloads.order("created"), msg_id="msg_dup")
    finally:
        signals.order_created.receivers.clear()

    assert first.status_code == again.status_code == 200
    assert again.json() == {"status": "processed", "reason": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    assert StatusChange.objects.count() == 1
    assert WebhookEvent.objects.get().attempts == 1


def test_the_same_body_without_svix_id_is_deduplicated_by_hash(web, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_VERIFICATION": "none"}
    settings.DEBUG = True

    deliver(web, payloads.order("created"), sign_with=None)
    deliver(web, payloads.order("created"), sign_with=None)

    assert WebhookEvent.objects.get().dedupe_key.startswith("sha256:")


def test_a_processing_error_answers_500_and_a_duplicate_processes_again(web, monkeypatch):
    from django_topi.webhooks import processing

    calls = []

    def broken_once(payload, origin, **context):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return apply_order_payload(payload, origin, **context)

    from django_topi.sync import apply_order_payload

    monkeypatch.setattr(processing, "apply_order_payload", broken_once)
    failed = deliver(web, payloads.order("created"), msg_id="msg_retry")
    event = WebhookEvent.objects.get()
    assert failed.status_code == 500
    assert (event.status, event.attempts, event.error) == (
        "failed",
        1,
        "RuntimeError: database hiccup",
    )
    assert "Traceback" in event.traceback
    assert Order.objects.count() == 0

    retried = deliver(web, payloads.order("created"), msg_id="msg_retry")

    event.refresh_from_db()
    assert retried.status_code == 200
    assert (event.status, event.attempts, event.error, event.traceback) == ("processed", 2, "", "")
    assert Order.objects.count() == 1


@pytest.mark.parametrize(("body", "reason"), [
    ({"hello": "world"}, "neither an offer nor an order"),
    (b"{not json", "the body is not JSON"),
    (b"\xff\xfe\x00garbage", "the body is not UTF-8"),
    (b"[1, 2]", "the body is not a JSON object"),
])  # fmt: skip
def test_unusable_signed_bodies_are_stored_as_ignored_with_2xx(web, body, reason):
    response = deliver(web, body)

    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.error) == ("ignored", reason)
    assert Offer.objects.count() == Order.objects.count() == 0


def test_an_unknown_status_is_kept_as_failed_with_an_error_naming_it(web, caplog):
    response = deliver(web, payloads.offer("paused"))

    assert response.status_code == 200  # a retry by topi would not help; a replay will
    event = WebhookEvent.objects.get()
    assert (event.status, event.reported_status, event.attempts) == ("failed", "paused", 1)
    assert event.error == (
        "topi reported offer 9cebdcec-0a3c-4f5e-9d4b-3f1e2a7b6c01 with status 'paused', which "
        "this version of django-topi does not know. Upgrade django-topi, then replay the event "
        "(topi_replay_webhooks --failed)."
    )
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.name for r in errors] == ["django_topi.webhooks"]
    assert "'paused'" in errors[0].getMessage()
    assert Offer.objects.count() == 0


def test_an_event_with_a_status_learned_later_is_applied_by_the_replay(web, monkeypatch):
    """An upgrade teaches django-topi a status; the failed event then replays cleanly."""
    from django.core.management import call_command

    from django_topi import sync

    without_declined = sync.OFFER.reportable - {"declined"}
    monkeypatch.setattr(sync, "OFFER", replace(sync.OFFER, reportable=without_declined))
    deliver(web, payloads.offer("declined"))
    assert WebhookEvent.objects.get().status == "failed"
    monkeypatch.undo()  # the upgrade

    call_command("topi_replay_webhooks", "--failed", stdout=io.StringIO())

    assert WebhookEvent.objects.get().status == "processed"
    assert Offer.objects.get().status == "declined"


def test_an_oversized_body_is_refused_before_anything_is_stored(web, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_MAX_BODY_BYTES": 2048}

    response = deliver(web, b"{" + b" " * 4096 + b"}")

    assert response.status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_a_body_larger_than_djangos_upload_limit_is_still_accepted(web, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    order = payloads.order("created")
    order["assets"] = order["assets"] * 20  # same ids repeated: upserts, but a big body

    assert deliver(web, order).status_code == 200


def test_a_wrong_content_type_is_refused(web):
    response = deliver(web, payloads.order("created"), content_type="text/plain")

    assert response.status_code == 415
    assert WebhookEvent.objects.get().status == "rejected"


@pytest.mark.parametrize(("proxies", "meta", "allowed"), [
    (0, {"REMOTE_ADDR": "203.0.113.5"}, True),
    (0, {"REMOTE_ADDR": "198.51.100.1"}, False),
    (0, {"REMOTE_ADDR": "198.51.100.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, False),
    (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, True),
    (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5, 198.51.100.1"}, False),
    (2, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}, False),
])  # fmt: skip
def test_the_ip_allow_list_understands_trusted_proxies(web, settings, proxies, meta, allowed):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_ALLOWED_IPS": ["203.0.113.0/24"],
                     "WEBHOOK_TRUSTED_PROXIES": proxies}  # fmt: skip

    response = deliver(web, payloads.order("created"), **meta)

    assert (response.status_code == 200) is allowed
    if not allowed:
        assert response.status_code == 403
        assert Order.objects.count() == 0


def test_an_order_for_an_unknown_offer_is_kept_and_linked_later(web):
    deliver(web, payloads.order("created"))
    assert Order.objects.get().offer is None

    deliver(web, payloads.offer("accepted"))

    assert Order.objects.get().offer == Offer.objects.get()


def test_events_in_any_order_converge(web):
    for status in ("completed", "created", "confirmed"):
        deliver(web, payloads.order(status))
    deliver(web, payloads.offer("accepted"))
    deliver(web, payloads.offer("pending_review"))

    assert Order.objects.get().status == "completed"
    assert Offer.objects.get().status == "accepted"


def test_webhook_signals(web, django_capture_on_commit_callbacks):
    seen = []

    def on(name):
        return lambda sender, event, **kw: seen.append((name, event.status))

    handlers = {"webhook_received": on("received"), "webhook_processed": on("processed")}
    for name, handler in handlers.items():
        getattr(signals, name).connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            deliver(web, payloads.order("created"))
    finally:
        for name, handler in handlers.items():
            getattr(signals, name).disconnect(handler)

    assert seen == [("received", "received"), ("processed", "processed")]


def asset_insert_statements(count: int) -> int:
    """How many INSERTs the database needs for ``count`` assets in one bulk_create: SQLite's
    limit on query parameters splits them (Django 6 reads the limit from SQLite, 5.2 uses 999)."""
    fields = [field for field in Asset._meta.concrete_fields if not field.primary_key]
    return math.ceil(count / connection.ops.bulk_batch_size(fields, [None] * count))


def test_a_processed_event_costs_its_query_budget_whatever_its_size(web, query_budget):
    deliver(web, payloads.offer("accepted"))
    order = payloads.order("created")
    order["assets"] = [{**order["assets"][0], "id": f"a-{n}"} for n in range(200)]
    # and BEGIN/COMMIT (here SAVEPOINT/RELEASE); PostgreSQL asks whether the order exists in the
    # event's INSERT instead of a SELECT of its own
    budget = {"postgresql": 6, "sqlite": 7}[connection.vendor] + asset_insert_statements(200)
    with query_budget(budget, "a new order's webhook with 200 assets"):
        deliver(web, order)
    assert Order.objects.get().assets.count() == 200


@pytest.mark.django_db(transaction=True)
def test_atomic_requests_do_not_lose_the_event(monkeypatch):
    """Even an exception that escapes sync leaves the event stored, as failed, for replay; and
    topi hears 500, so it sends the delivery again."""
    from django.test import Client

    from django_topi.webhooks import processing

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)

    def crash(*args, **kwargs):
        raise RuntimeError("worker died mid-way")

    monkeypatch.setattr(processing, "apply_order_payload", crash)

    response = deliver(Client(raise_request_exception=False), payloads.order("created"))

    assert response.status_code == 500
    event = WebhookEvent.objects.get()
    assert (event.status, event.kind) == ("failed", "order")
    assert event.error == "RuntimeError: worker died mid-way"
    assert Order.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_queue_that_is_down_answers_503_and_keeps_the_event(monkeypatch, settings, caplog):
    from django.test import Client

    from django_topi.webhooks import reception

    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task"}

    def broker_down(event):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(reception, "enqueue", broker_down)

    response = deliver(Client(), payloads.order("created"))

    assert response.status_code == 503
    assert WebhookEvent.objects.get().status == "received"
    assert "could not enqueue webhook event" in caplog.text


#: What the log and the stored row say of each refusal.
REFUSALS = {
    "oversized": "body larger than 2048 bytes",
    "not JSON": "content type 'text/plain', not JSON",
    "address not allowed": "address 127.0.0.1 is not in TOPI['WEBHOOK_ALLOWED_IPS']",
    "no secret matches": "the signature matches none of the 1 configured TOPI['WEBHOOK_SECRETS']",
    "stale": "svix-timestamp is 3600 s old (tolerance 300 s): a replay, or a clock that is off",
}


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ("oversized", 413),
        ("not JSON", 415),
        ("address not allowed", 403),
        ("no secret matches", 401),
        ("stale", 400),
    ],
)
def test_a_refusal_is_a_bare_status_and_its_reason_stays_here(
    web, settings, caplog, time_machine, how, status
):
    """A sender that may be anyone learns nothing (not even how many secrets there are)."""
    settings.TOPI = {**settings.TOPI, "WEBHOOK_MAX_BODY_BYTES": 2048}
    body = payloads.offer("accepted")
    if how == "oversized":
        response = deliver(web, b"{" + b" " * 4096 + b"}")
    elif how == "not JSON":
        response = deliver(web, json.dumps(body).encode(), content_type="text/plain")
    elif how == "address not allowed":
        settings.TOPI = {**settings.TOPI, "WEBHOOK_ALLOWED_IPS": ["203.0.113.0/24"]}
        response = deliver(web, body)
    elif how == "no secret matches":
        response = deliver(web, body, sign_with="whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbg==")
    else:
        time_machine.move_to(timezone.now(), tick=False)
        response = deliver(web, body, timestamp=int(time.time()) - 3600)

    assert (response.status_code, response.content) == (status, b"")
    said = [r.getMessage() for r in caplog.records if r.name == "django_topi.webhooks"]
    assert said == [f"topi webhook rejected: {REFUSALS[how]} (from 127.0.0.1)"]
    if how != "oversized":  # refused before it is read: nothing to keep
        assert WebhookEvent.objects.get().status == "rejected"
        assert WebhookEvent.objects.get().error == REFUSALS[how]
    assert Offer.objects.count() == 0


def test_a_duplicate_is_answered_from_its_key_without_a_database_error(web, query_budget):
    """One statement finds the stored delivery (an upsert on PostgreSQL, whose server log would
    otherwise get an ERROR line with the customer's data per duplicate); nothing is applied."""
    body = payloads.offer("accepted")
    deliver(web, body, msg_id="msg_dup")

    with query_budget({"postgresql": 3, "sqlite": 4}, "a duplicate delivery") as captured:
        response = deliver(web, body, msg_id="msg_dup")

    assert (response.status_code, response.json()) == (
        200, {"status": "processed", "reason": "duplicate"},
    )  # fmt: skip
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert "UPDATE" not in statements  # no offer, order or event is written again
    assert WebhookEvent.objects.count() == 1
    assert StatusChange.objects.filter(target="accepted").count() == 1


def test_a_new_offer_costs_one_transaction_of_few_round_trips(web, query_budget):
    """In one transaction (here a SAVEPOINT pair: the test runs inside a transaction). On
    PostgreSQL: the event, which also asks whether the offer exists and orders wait for it; the
    offer; its lines and timeline sent together. Elsewhere: event, offer lookup, offer, lines,
    early orders, timeline, one by one."""
    budget = {"postgresql": 5, "sqlite": 8}
    with query_budget(budget, "a new accepted offer's webhook") as captured:
        response = deliver(web, payloads.offer("accepted"))

    assert response.status_code == 200
    statements = [
        statement.split()
        for query in captured.captured_queries
        for statement in query["sql"].split(";\n")
    ]
    verbs = [words[0] for words in statements]
    assert verbs.count("SAVEPOINT") == 1
    assert "DELETE" not in verbs  # a new offer has no lines to replace
    tables = [w[w.index("INTO") + 1].strip('"') for w in statements if w[0] == "INSERT"]
    assert tables == [
        "django_topi_webhookevent",
        "django_topi_offer",
        "django_topi_offerline",
        "django_topi_statuschange",
    ]
    if connection.vendor == "postgresql":  # no lookups, no UPDATE of orders: none can wait
        assert "SELECT" not in verbs
        assert "UPDATE" not in verbs
    assert Offer.objects.get().lines.count() == 2


def test_a_row_the_database_refuses_for_another_reason_is_an_error_not_a_duplicate():
    """SQLite's INSERT OR IGNORE skips any constraint: a skipped row that no other row holds the
    key of must not pass for a stored duplicate (PostgreSQL raises on its own)."""
    from django.db import IntegrityError, transaction

    from django_topi.models.base import insert_or_find

    refused = WebhookEvent(body=None, headers={}, dedupe_key="svix:msg_refused")

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_or_find(refused, "dedupe_key", "status")
    assert refused.pk is None
