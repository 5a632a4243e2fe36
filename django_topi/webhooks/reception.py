"""A delivery from topi, from the raw request to its answer: ``receive(request) -> Outcome``.

Steps, in order: body size -> the validators (content type, IP allow-list, signature), each
raising ``Rejected`` -> shape -> store -> dedupe -> process (or enqueue) -> answer. Anything
refused before the store is kept as a bounded "rejected" row for diagnosis (a body over the size
limit is not even read) and never reaches ``sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from django_topi.conf import topi_settings
from django_topi.models import WebhookEvent
from django_topi.webhooks import processing
from django_topi.webhooks.processing import Outcome
from django_topi.webhooks.tasks import enqueue
from django_topi.webhooks.verification import VerificationFailed, message_id, verify

logger = logging.getLogger("django_topi.webhooks")
Status = WebhookEvent.Status
Verification = WebhookEvent.Verification


class Rejected(Exception):
    """The delivery is refused before it is stored: ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Delivery:
    """What the validators look at, and what they learn (the ``svix-id``, the verification)."""

    request: HttpRequest
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    svix_id: str = ""
    verification: str = Verification.PENDING


def content_type(delivery: Delivery) -> None:
    if delivery.request.content_type != "application/json":
        raise Rejected(415, f"content type {delivery.request.content_type!r}, not JSON")


def address(delivery: Delivery) -> None:
    if not processing.ip_allowed(delivery.ip):
        raise Rejected(403, f"address {delivery.ip} is not in TOPI['WEBHOOK_ALLOWED_IPS']")


def signature(delivery: Delivery) -> None:
    """Standard Webhooks signatures where the verification mode asks for them."""
    mode = topi_settings.WEBHOOK_VERIFICATION
    if mode == "none":
        delivery.verification = Verification.SKIPPED
    if "signature" not in mode:
        return
    try:
        delivery.svix_id = verify(
            delivery.request.headers,
            delivery.body,
            topi_settings.WEBHOOK_SECRETS,
            topi_settings.WEBHOOK_TIMESTAMP_TOLERANCE,
        )
    except VerificationFailed as exc:
        raise Rejected(exc.status, exc.reason) from exc
    delivery.verification = Verification.SIGNATURE


#: Run in order on every delivery; the first that raises ``Rejected`` refuses it.
VALIDATORS: tuple[Callable[[Delivery], None], ...] = (content_type, address, signature)


def read_body(request: HttpRequest) -> bytes:
    """The body, read up to ``WEBHOOK_MAX_BODY_BYTES`` (``request.body`` would apply Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` instead); ``Rejected`` (413) beyond it."""
    limit = topi_settings.WEBHOOK_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > limit:
        raise Rejected(413, f"body larger than {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise Rejected(413, f"body larger than {limit} bytes")
    return body


def receive(request: HttpRequest) -> Outcome:
    """Take one delivery from topi: refuse it, or store it and process (or enqueue) it."""
    try:
        body = read_body(request)
    except Rejected as refused:  # not read, so nothing to keep; said once, like every refusal
        logger.warning(
            "topi webhook rejected: %s (from %s)",
            refused.reason, processing.client_ip(request, topi_settings.WEBHOOK_TRUSTED_PROXIES)
            or "unknown address",
        )  # fmt: skip
        return Outcome(Status.REJECTED, refused.status, refused.reason)
    delivery = Delivery(
        request,
        body,
        processing.stored_headers(request),
        processing.client_ip(request, topi_settings.WEBHOOK_TRUSTED_PROXIES),
        message_id(request.headers),
    )
    try:
        for validate in VALIDATORS:
            validate(delivery)
        shape = processing.classify(body)
        if shape.problem and delivery.verification != Verification.SIGNATURE:
            raise Rejected(400, shape.problem)  # unverified and unusable: kept bounded
    except Rejected as refused:
        processing.reject(body, delivery.headers, delivery.ip, refused.reason)
        return Outcome(Status.REJECTED, refused.status, refused.reason)

    event: WebhookEvent = processing.new_event(
        body, delivery.headers, delivery.ip, delivery.svix_id, delivery.verification, shape
    )
    if (
        topi_settings.WEBHOOK_PROCESSING == "sync"
        and "refetch" not in topi_settings.WEBHOOK_VERIFICATION
        and not shape.problem
    ):
        return processing.ingest(event, shape)
    pk, status, created = processing.store(event, shape)
    done = processing.answered(status, duplicate=not created)
    if done is not None:
        return done
    if topi_settings.WEBHOOK_PROCESSING == "task":
        try:
            enqueue(pk)
        except Exception:
            # The event is stored; topi's retry (or topi_replay_webhooks) will process it.
            logger.exception("could not enqueue webhook event %s", pk)
            return Outcome(Status.RECEIVED, 503, "queue unavailable")
        return Outcome(Status.RECEIVED, 202)
    return processing.process(event if created else WebhookEvent.objects.get(pk=pk))
