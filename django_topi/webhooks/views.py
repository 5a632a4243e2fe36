"""The webhook endpoint topi posts to: thin; the work lives in ``webhooks.processing``.

Steps, in order: body size -> content type -> IP allow-list -> signature -> store -> dedupe ->
process (or enqueue) -> answer. Anything refused before the store is kept as a bounded
"rejected" row for diagnosis and never reaches ``sync``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from django_topi.conf import topi_settings
from django_topi.models import WebhookEvent
from django_topi.webhooks import processing
from django_topi.webhooks.tasks import enqueue
from django_topi.webhooks.verification import VerificationFailed, verify

logger = logging.getLogger("django_topi.webhooks")
Status = WebhookEvent.Status
Verification = WebhookEvent.Verification


def answer(status: int, outcome: str, reason: str = "") -> HttpResponse:
    """A refusal (4xx) is a bare status: the sender may be anyone, so why it was refused stays
    in the log and in the rejected deliveries. Other answers go to a verified sender."""
    if 400 <= status < 500:
        return HttpResponse(status=status)
    body = {"status": outcome, **({"reason": reason} if reason else {})}
    return JsonResponse(body, status=status)


# csrf_exempt: topi cannot send a CSRF token; the signature (or the refetch) proves the sender.
@method_decorator(csrf_exempt, name="dispatch")
# non_atomic_requests: the event row must be committed on its own, so it survives a processing
# rollback even when the shop sets ATOMIC_REQUESTS = True.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class WebhookView(View):
    http_method_names = ["post", "head"]

    def head(self, request: HttpRequest) -> HttpResponse:
        """topi (and uptime checks) may probe the URL."""
        return HttpResponse(status=200)

    def post(self, request: HttpRequest) -> HttpResponse:
        limit = topi_settings.WEBHOOK_MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or int(declared) > limit:
            return answer(413, Status.REJECTED, f"body larger than {limit} bytes")
        # Read the stream ourselves: request.body would apply DATA_UPLOAD_MAX_MEMORY_SIZE instead.
        body = request.read(limit + 1)
        if len(body) > limit:
            return answer(413, Status.REJECTED, f"body larger than {limit} bytes")

        headers = processing.stored_headers(request)
        ip = processing.client_ip(request, topi_settings.WEBHOOK_TRUSTED_PROXIES)
        if request.content_type != "application/json":
            processing.reject(body, headers, ip, f"content type {request.content_type!r}, not JSON")
            return answer(415, Status.REJECTED, "expected application/json")
        if not processing.ip_allowed(ip):
            processing.reject(
                body, headers, ip, f"address {ip} is not in TOPI['WEBHOOK_ALLOWED_IPS']"
            )
            return answer(403, Status.REJECTED, "address not allowed")

        mode = topi_settings.WEBHOOK_VERIFICATION
        svix_id = request.headers.get("svix-id", "").strip()
        verification = Verification.SKIPPED if mode == "none" else Verification.PENDING
        if "signature" in mode:
            try:
                svix_id = verify(
                    request.headers,
                    body,
                    topi_settings.WEBHOOK_SECRETS,
                    topi_settings.WEBHOOK_TIMESTAMP_TOLERANCE,
                )
            except VerificationFailed as exc:
                processing.reject(body, headers, ip, exc.reason)
                return answer(exc.status, Status.REJECTED, exc.reason)
            verification = Verification.SIGNATURE

        shape = processing.classify(body)
        if shape.problem and verification != Verification.SIGNATURE:
            # Unverified and unusable: junk is kept bounded, not as an event.
            processing.reject(body, headers, ip, shape.problem)
            return answer(400, Status.REJECTED, shape.problem)

        event, created = processing.store(body, headers, ip, svix_id, verification, shape)
        if event.status in (Status.PROCESSED, Status.IGNORED):
            return answer(200, event.status, "" if created else "duplicate")
        if event.status == Status.REJECTED:
            return answer(400, event.status, "duplicate of a rejected delivery")
        if topi_settings.WEBHOOK_PROCESSING == "task":
            try:
                enqueue(event)
            except Exception:
                # The event is stored; topi's retry (or topi_replay_webhooks) will process it.
                logger.exception("could not enqueue webhook event %s", event.pk)
                return answer(503, Status.RECEIVED, "queue unavailable")
            return answer(202, Status.RECEIVED)
        outcome = processing.process(event)
        return answer(outcome.http_status, outcome.status, outcome.reason)
