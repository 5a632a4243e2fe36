"""Webhooks from the simulated topi: signed with Standard Webhooks, sent, and retried.

``TOPI_SIMULATOR["DELIVERY"]`` decides when they go:

* ``"background"`` (the default, for ``make demo``): a daemon thread of this process sends what
  is due about once a second, retries failures after ``RETRY_DELAYS`` and expires offers whose
  ``expires_at`` passed. One process, nothing else to start.
* ``"sync"`` (tests): at once, in the call that changed the status.
* ``"off"``: kept and listed on the deliveries page, never sent.

The transport is ``requests`` unless replaced (``use_transport``): ``django_topi.testing`` hands
webhooks to the shop through Django's test client instead.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import requests
from django.db import connections, transaction
from django.utils import timezone

from django_topi.simulator.conf import simulator_settings
from django_topi.simulator.models import SimDelivery
from django_topi.webhooks.verification import new_message_id, signed_headers

logger = logging.getLogger("django_topi.simulator")

#: (url, body, headers) -> (HTTP status, answer text)
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, str]]
ANSWER_LIMIT = 2000
WORKER_INTERVAL = 1.0


def http_transport(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    response = requests.post(url, data=body, headers=headers, timeout=(5, 15))
    return response.status_code, response.text


_transport: Transport = http_transport
_worker: threading.Thread | None = None
_wake = threading.Event()
_lock = threading.Lock()


def reset() -> None:
    """Forget the transport a test installed (called when the app is ready)."""
    global _transport
    _transport = http_transport


@contextmanager
def use_transport(transport: Transport) -> Iterator[None]:
    """Send webhooks through ``transport`` inside the block."""
    global _transport
    previous, _transport = _transport, transport
    try:
        yield
    finally:
        _transport = previous


def enqueue(event: str, topi_id: str, payload: dict[str, Any], url: str) -> SimDelivery:
    """Keep a webhook to send; send it now, or wake the worker, as the mode says."""
    delivery = SimDelivery.objects.create(
        msg_id=new_message_id(),
        event=event,
        topi_id=topi_id,
        url=url,
        payload=payload,
        next_attempt_at=timezone.now(),
    )
    mode = simulator_settings.DELIVERY
    if mode == "sync":
        deliver(delivery)
    elif mode == "background":
        transaction.on_commit(_wake.set)
        ensure_worker()
    return delivery


def deliver(delivery: SimDelivery) -> SimDelivery:
    """One attempt: sign, send, and keep the answer; schedule a retry if it failed."""
    body = json.dumps(delivery.payload).encode()
    timestamp = int(time.time())
    secret = simulator_settings.WEBHOOK_SECRET
    delivery.attempts += 1
    if not delivery.url:
        status, answer = 0, "no webhook URL: set TOPI_SIMULATOR['WEBHOOK_URL']"
    elif not secret:
        status, answer = 0, "no secret to sign with: set TOPI['WEBHOOK_SECRETS']"
    else:
        headers = {
            "Content-Type": "application/json",
            **signed_headers(secret, body, msg_id=delivery.msg_id, timestamp=timestamp),
        }
        try:
            status, answer = _transport(delivery.url, body, headers)
        except requests.RequestException as exc:
            status, answer = 0, f"{type(exc).__name__}: {exc}"
    delivery.last_status_code = status or None
    delivery.last_answer = answer[:ANSWER_LIMIT]
    if 200 <= status < 300:
        delivery.status = SimDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    else:
        delays = simulator_settings.RETRY_DELAYS
        if delivery.attempts > len(delays):
            delivery.status = SimDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delay = delays[delivery.attempts - 1]
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        logger.warning(
            "simulated topi: webhook %s %s to %s answered %s (attempt %d)",
            delivery.event,
            delivery.topi_id,
            delivery.url,
            status or "nothing",
            delivery.attempts,
        )
    delivery.save()
    return delivery


def deliver_due() -> int:
    """Send every delivery whose time has come; answer how many were attempted."""
    done = 0
    due = SimDelivery.objects.filter(
        status=SimDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at", "pk")
    for delivery in list(due[:50]):
        # Claim it, so that two processes never send the same attempt.
        claimed = SimDelivery.objects.filter(
            pk=delivery.pk, next_attempt_at=delivery.next_attempt_at
        ).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
        if claimed:
            deliver(delivery)
            done += 1
    return done


def ensure_worker() -> None:
    """Start the background worker of this process, once."""
    global _worker
    with _lock:
        if _worker is not None and _worker.is_alive():
            return
        _worker = threading.Thread(target=_work, name="topi-simulator", daemon=True)
        _worker.start()


def _work() -> None:
    from django_topi.simulator import lifecycle

    while True:
        _wake.wait(WORKER_INTERVAL)
        _wake.clear()
        try:
            lifecycle.expire_due()
            deliver_due()
        except Exception:  # the worker must outlive any one failure
            logger.exception("simulated topi: the delivery worker failed a round")
        finally:
            connections.close_all()  # this thread's own connections
