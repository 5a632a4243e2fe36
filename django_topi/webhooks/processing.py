"""From a delivery to topi's truth: store, dedupe, then hand the payload to ``django_topi.sync``.

Every delivery that passes verification is stored *before* anything else happens, in its own
transaction, so it survives whatever processing does (including a rollback under
``ATOMIC_REQUESTS``). The dedupe key (``svix-id``, else a hash of the body) is unique: a
duplicate finds the stored event and is answered from it. Bodies are untrusted until verified;
in ``refetch`` mode they are only a hint of which object to fetch from topi.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone

from django_topi import signals
from django_topi.client import TopiError, TopiNotFound, get_client
from django_topi.conf import topi_settings
from django_topi.ids import TOPI_ID
from django_topi.models import Origin, WebhookEvent
from django_topi.models.base import insert_or_find, insert_unless_taken, upsert
from django_topi.sync import UnknownStatus, apply_offer_payload, apply_order_payload, probes
from django_topi.webhooks.verification import message_id

logger = logging.getLogger("django_topi.webhooks")

Status = WebhookEvent.Status
Kind = WebhookEvent.Kind
Verification = WebhookEvent.Verification

#: Header names whose values are never stored.
SECRET_HEADER_PARTS = (
    "signature",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api-key",
    "apikey",
)
#: A rejected delivery keeps at most this much of its body (it is junk or an attack).
REJECTED_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Shape:
    """What a body says it is (API-NOTES §3.3: topi posts the bare offer or order)."""

    kind: str
    topi_id: str = ""
    status: str = ""
    problem: str = ""
    payload: Any = None


def classify(body: bytes) -> Shape:
    """Offer or order, by shape: orders carry ``offer_id``/``assets``, offers ``lines`` or
    ``checkout_redirect_url`` (offers may carry a nullable ``order_id``, so orders go first)."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return Shape(Kind.UNKNOWN, problem="the body is not UTF-8")
    except ValueError:
        return Shape(Kind.UNKNOWN, problem="the body is not JSON")
    if not isinstance(payload, Mapping):
        return Shape(Kind.UNKNOWN, problem="the body is not a JSON object")
    if "offer_id" in payload or "assets" in payload:
        kind = Kind.ORDER
    elif "lines" in payload or "checkout_redirect_url" in payload:
        kind = Kind.OFFER
    else:
        return Shape(Kind.UNKNOWN, problem="neither an offer nor an order")
    topi_id = payload.get("id")
    if not isinstance(topi_id, str) or not TOPI_ID.match(topi_id):
        return Shape(kind, problem=f"the {kind} has no valid id")
    # A status this version does not know is not junk: sync refuses it, and the event is kept
    # as failed, to be replayed once django-topi knows the status.
    return Shape(kind, topi_id, str(payload.get("status"))[:32], payload=payload)


def stored_headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers, lower-cased, with anything secret redacted."""
    return {
        name.lower(): "[redacted]"
        if any(part in name.lower() for part in SECRET_HEADER_PARTS)
        else value
        for name, value in request.headers.items()
    }


def client_ip(request: HttpRequest, trusted_proxies: int) -> str | None:
    """The sender's address: ``REMOTE_ADDR``, or, behind ``trusted_proxies`` proxies that append
    to ``X-Forwarded-For``, the hop just before them. ``None`` when it cannot be told."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [remote]
    index = len(chain) - 1 - trusted_proxies
    if index < 0:
        return None
    try:
        return str(ipaddress.ip_address(chain[index]))
    except ValueError:
        return None


def ip_allowed(ip: str | None) -> bool:
    networks = topi_settings.WEBHOOK_ALLOWED_IPS
    if not networks:
        return True
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in network for network in networks)


def dedupe_key(svix_id: str, body: bytes) -> str:
    return f"svix:{svix_id}" if svix_id else "sha256:" + hashlib.sha256(body).hexdigest()


def new_event(
    body: bytes,
    headers: dict[str, str],
    ip: str | None,
    svix_id: str,
    verification: str,
    shape: Shape,
) -> WebhookEvent:
    """The row for a delivery, not saved yet."""
    return WebhookEvent(
        body=body,
        headers=headers,
        remote_ip=ip,
        svix_id=svix_id[:255],
        dedupe_key=dedupe_key(svix_id, body),
        kind=shape.kind,
        topi_id=shape.topi_id,
        reported_status=shape.status,
        verification=verification,
    )


def store(event: WebhookEvent, shape: Shape) -> tuple[int, str, bool]:
    """Keep the delivery (``new_event``), committed on its own: its primary key, its status,
    and whether it is new. A duplicate costs one statement on PostgreSQL (the stored row's key
    and status come back from the insert), and never a database error."""
    if shape.problem:
        event.status, event.error, event.processed_at = (
            Status.IGNORED, shape.problem, timezone.now(),
        )  # fmt: skip
    known = insert_or_find(event, "dedupe_key", "status")
    if known is not None:
        pk, status = known
        return pk, status, False
    signals.webhook_received.send_robust(sender=WebhookEvent, event=event)
    return event.pk, event.status, True


def ingest(event: WebhookEvent, shape: Shape) -> Outcome:
    """Store and apply one verified delivery in one transaction; topi hears 2xx only after it
    commits.

    The event row is inserted already marked processed, unless its dedupe key is taken: then
    this is a duplicate, answered from the stored row's status, and no database error is
    raised (or logged by the database). If applying fails, the transaction rolls back whole,
    and the event is stored as failed in a transaction of its own, to be replayed.
    """
    event.status, event.attempts, event.processed_at = Status.PROCESSED, 1, timezone.now()
    apply = apply_offer_payload if shape.kind == Kind.OFFER else apply_order_payload
    try:
        with transaction.atomic():
            # A duplicate answers its primary key and status, all it takes to answer it. The
            # same statement asks whether the offer or order exists, and early orders wait for
            # it (PostgreSQL): a new one is then inserted without a lookup of its own.
            stored = upsert(event, "dedupe_key", "status", probes=probes(shape.kind, shape.payload))
            if stored.holder is None:
                apply(shape.payload, Origin.WEBHOOK, event=event, known=stored.probed)
                transaction.on_commit(lambda: _announce(event))
    except Exception as exc:
        return _store_failed(event, exc)
    return Outcome(Status.PROCESSED, 200) if stored.holder is None else _duplicate(*stored.holder)


def answered(status: str, duplicate: bool) -> Outcome | None:
    """The answer for a stored delivery that needs no processing (done, or refused); ``None``
    for one still to process (new, or topi's retry after a failure)."""
    if status in (Status.PROCESSED, Status.IGNORED):
        return Outcome(status, 200, "duplicate" if duplicate else "")
    if status == Status.REJECTED:
        return Outcome(status, 400, "duplicate of a rejected delivery")
    return None


def _duplicate(pk: int, status: str) -> Outcome:
    return answered(status, duplicate=True) or process(WebhookEvent.objects.get(pk=pk))


def _announce(event: WebhookEvent) -> None:
    """After the commit: ``webhook_received`` with the event as it arrived, then
    ``webhook_processed``."""
    received: WebhookEvent = copy.copy(event)
    received.status, received.processed_at = Status.RECEIVED, None
    signals.webhook_received.send_robust(sender=WebhookEvent, event=received)
    signals.webhook_processed.send_robust(sender=WebhookEvent, event=event)


def _store_failed(event: WebhookEvent, exc: Exception) -> Outcome:
    """Keep a delivery whose processing failed, as failed, for replay; answer topi."""
    message, trace = _failure(event, exc)
    event.pk = None
    event._state.adding = True
    event.status, event.processed_at, event.error, event.traceback = (
        Status.FAILED, None, message, trace,
    )  # fmt: skip
    if insert_unless_taken(event):
        signals.webhook_failed.send_robust(sender=WebhookEvent, event=event, error=exc)
    if isinstance(exc, UnknownStatus):
        return Outcome(Status.FAILED, 200, "unknown status")
    return Outcome(Status.FAILED, 500, "processing failed")


def reject(body: bytes, headers: dict[str, str], ip: str | None, reason: str) -> WebhookEvent:
    """Keep a refused delivery for diagnosis (bounded) and log why, loudly enough to be seen."""
    logger.warning("topi webhook rejected: %s (from %s)", reason, ip or "unknown address")
    event = WebhookEvent.objects.create(
        body=body[:REJECTED_BODY_LIMIT],
        headers=headers,
        remote_ip=ip,
        svix_id=message_id(headers)[:255],
        verification=Verification.FAILED,
        status=Status.REJECTED,
        error=reason,
        processed_at=timezone.now(),
    )
    _prune_rejected()
    return event


def mark_rejected(event: WebhookEvent, reason: str) -> None:
    """A stored delivery turned out not to be genuine (refetch found nothing at topi)."""
    logger.warning("topi webhook %s rejected: %s", event.pk, reason)
    WebhookEvent.objects.filter(pk=event.pk).update(
        verification=Verification.FAILED,
        status=Status.REJECTED,
        error=reason,
        processed_at=timezone.now(),
    )
    _prune_rejected()


def _prune_rejected() -> None:
    keep = topi_settings.WEBHOOK_REJECTED_KEEP
    rejected = WebhookEvent.objects.filter(status=Status.REJECTED).order_by("-pk")
    oldest_kept = rejected.values_list("pk", flat=True)[keep : keep + 1]
    if oldest_kept:
        rejected.filter(pk__lte=oldest_kept[0]).delete()


@dataclass(frozen=True)
class Outcome:
    """What processing an event came to, and the HTTP status that tells topi."""

    status: str
    http_status: int
    reason: str = ""


def process(event: WebhookEvent) -> Outcome:
    """Apply a stored event through ``sync``; safe to call again for the same event."""
    if event.status in (Status.PROCESSED, Status.IGNORED):
        return Outcome(event.status, 200)
    shape = classify(bytes(event.body))
    payload = shape.payload
    if shape.problem:
        WebhookEvent.objects.filter(pk=event.pk).update(status=Status.IGNORED, error=shape.problem)
        return Outcome(Status.IGNORED, 200, shape.problem)
    try:
        if "refetch" in topi_settings.WEBHOOK_VERIFICATION:
            try:
                payload = _refetch(shape)
            except TopiNotFound:
                mark_rejected(event, f"topi does not know {shape.kind} {shape.topi_id}")
                return Outcome(Status.REJECTED, 400, "unknown to topi")
        return _apply(event, shape, payload)
    except UnknownStatus as exc:
        # topi sending it again will not help; an upgrade and a replay will. So: 200.
        _record_failure(event, exc)
        return Outcome(Status.FAILED, 200, "unknown status")
    except Exception as exc:
        _record_failure(event, exc)
        return Outcome(Status.FAILED, 500, "processing failed")


def _refetch(shape: Shape) -> Any:
    client = get_client()
    if shape.kind == Kind.OFFER:
        return client.get_offer(shape.topi_id)
    return client.get_order(shape.topi_id)


def _apply(event: WebhookEvent, shape: Shape, payload: Any) -> Outcome:
    with transaction.atomic():
        held = _lock(event, shape.kind, payload)
        if held is None:
            return Outcome(Status.RECEIVED, 202, "already being processed")
        status, attempts, known = held
        if status in (Status.PROCESSED, Status.IGNORED):
            return Outcome(status, 200)
        apply = apply_offer_payload if shape.kind == Kind.OFFER else apply_order_payload
        apply(payload, Origin.WEBHOOK, event=event, known=known)
        if "refetch" in topi_settings.WEBHOOK_VERIFICATION:
            event.verification = Verification.REFETCHED
        event.status = Status.PROCESSED
        event.processed_at = timezone.now()
        event.attempts = attempts + 1  # the row is locked: nobody else counts meanwhile
        event.error = event.traceback = ""
        event.save(update_fields=PROCESSED_FIELDS)
        transaction.on_commit(lambda: _processed(event))
    return Outcome(Status.PROCESSED, 200)


#: What processing an event writes to its row, so the signal's event is what is stored.
PROCESSED_FIELDS = ["verification", "status", "processed_at", "attempts", "error", "traceback"]


def _lock(event: WebhookEvent, kind: str, payload: Any) -> tuple[str, int, dict[str, bool]] | None:
    """The stored event's status and attempts, its row locked until the transaction ends;
    ``None`` while another worker holds it. On PostgreSQL the same statement answers sync's
    ``probes`` for ``payload``, so sync need not look its row up again."""
    rows = WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event.pk)
    asked = probes(kind, payload) if connection.vendor == "postgresql" else {}
    answers = {
        # sync's own SQL, compiled by the ORM, with the values as parameters
        f"probe_{name}": RawSQL(sql, params, output_field=BooleanField())  # noqa: S611
        for name, (sql, params) in asked.items()
    }
    found = rows.annotate(**answers).values_list("status", "attempts", *answers).first()
    if found is None:
        return None
    status, attempts, *probed = found
    return (
        status,
        attempts,
        {name: bool(answer) for name, answer in zip(asked, probed, strict=True)},
    )


def _processed(event: WebhookEvent) -> None:
    signals.webhook_processed.send_robust(sender=WebhookEvent, event=event)


def _failure(event: WebhookEvent, exc: BaseException) -> tuple[str, str]:
    """Log why processing failed; answer the error and traceback to keep with the event."""
    which = event.pk or event.svix_id or event.topi_id
    if isinstance(exc, UnknownStatus):
        message = (
            f"topi reported {exc.kind} {exc.topi_id} with status {exc.status!r}, which this "
            "version of django-topi does not know. Upgrade django-topi, then replay the event "
            "(topi_replay_webhooks --failed)."
        )
        logger.error("topi webhook %s failed: %s", which, message)
        return message, ""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    level = logging.WARNING if isinstance(exc, TopiError) else logging.ERROR
    logger.log(level, "topi webhook %s failed: %s", which, message, exc_info=level == logging.ERROR)
    return message, traceback.format_exc()[-20000:]


def _record_failure(event: WebhookEvent, exc: BaseException) -> None:
    """Keep the error with the event (outside the rolled-back transaction) for replay."""
    message, trace = _failure(event, exc)
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=Status.FAILED, attempts=F("attempts") + 1, error=message, traceback=trace
    )
    event.refresh_from_db()
    signals.webhook_failed.send_robust(sender=WebhookEvent, event=event, error=exc)


def reprocess(event: WebhookEvent) -> Outcome:
    """Process a stored event again (admin action, ``topi_replay_webhooks``)."""
    if event.status == Status.REJECTED:
        return Outcome(Status.REJECTED, 400, "rejected deliveries are never processed")
    if event.status == Status.PROCESSED:
        WebhookEvent.objects.filter(pk=event.pk).update(status=Status.RECEIVED)
        event.status = Status.RECEIVED
    return process(event)
