"""Deliver webhooks to the test shop as topi would: signed with Standard Webhooks headers,
through ``django_topi.testing``'s helpers."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from django_topi.testing import sign_webhook

URL = "/topi/webhook/"
SECRET = settings.TOPI["WEBHOOK_SECRETS"][0]
OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbg=="


def signed_headers(body: bytes, *, secret: str = SECRET, msg_id: str | None = None,
                   timestamp: int | None = None) -> dict[str, str]:  # fmt: skip
    return sign_webhook(body, secret=secret, msg_id=msg_id, timestamp=timestamp)


def deliver(web: Any, payload: Any, *, sign_with: str | None = SECRET, msg_id: str | None = None,
            timestamp: int | None = None, content_type: str = "application/json",
            **extra: str) -> Any:  # fmt: skip
    """POST ``payload`` (a dict, or raw bytes) to the webhook URL, signed unless told not to."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if sign_with is not None:
        headers = signed_headers(body, secret=sign_with, msg_id=msg_id, timestamp=timestamp)
    return web.generic("POST", URL, body, content_type=content_type, **{**headers, **extra})
