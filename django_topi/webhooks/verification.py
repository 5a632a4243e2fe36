"""Standard Webhooks (Svix) signatures, as topi's deliveries carry them (API-NOTES §3.4).

The signed content is ``{svix-id}.{svix-timestamp}.{raw body}``; the key is the base64 part of a
``whsec_…`` secret; ``svix-signature`` holds space-separated ``v1,<base64 HMAC-SHA256>`` entries.
Written on the standard library: the two published packages pull in an HTTP client and an API
SDK for what is a dozen lines of ``hmac``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class VerificationFailed(Exception):
    """The delivery is not provably from topi. ``status`` is the HTTP answer (400 or 401)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class SignedHeaders:
    svix_id: str
    timestamp: int
    signatures: tuple[str, ...]
    #: The header names' prefix the delivery used: ``svix`` or ``webhook``.
    prefix: str = "svix"


#: The header names' prefixes: Svix's, as topi sends them, and Standard Webhooks' own.
PREFIXES = ("svix", "webhook")


def header_prefix(headers: Mapping[str, str]) -> str:
    """``svix`` or ``webhook``: the family of names the delivery's headers use (``svix`` when
    it has neither, so a missing header is named as topi names it)."""
    for prefix in PREFIXES:
        if any(headers.get(f"{prefix}-{part}") for part in ("id", "timestamp", "signature")):
            return prefix
    return PREFIXES[0]


def message_id(headers: Mapping[str, str]) -> str:
    """The delivery's ``svix-id`` (or ``webhook-id``), "" without one."""
    return str(headers.get(f"{header_prefix(headers)}-id", "")).strip()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``svix-signature`` value topi would send (for tests and ``topi_send_test_webhook``)."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def new_message_id() -> str:
    """A fresh ``svix-id``, in the ``msg_…`` form topi's deliveries have."""
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The headers topi sends with ``body``: ``svix-id``, ``svix-timestamp`` and
    ``svix-signature`` (a new id and the current time unless given)."""
    msg_id = msg_id or new_message_id()
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(timestamp),
        "svix-signature": sign(secret, msg_id, timestamp, body),
    }


def read_headers(headers: Mapping[str, str]) -> SignedHeaders:
    """The three signature headers, named ``svix-*`` as topi sends them or ``webhook-*`` as
    Standard Webhooks names them; ``VerificationFailed`` naming what is missing or malformed."""
    prefix = header_prefix(headers)
    values = {}
    for part in ("id", "timestamp", "signature"):
        name = f"{prefix}-{part}"
        value = headers.get(name, "").strip()
        if not value:
            raise VerificationFailed(f"missing {name} header")
        values[part] = value
    try:
        timestamp = int(values["timestamp"])
    except ValueError:
        raise VerificationFailed(f"{prefix}-timestamp is not a number of seconds") from None
    signatures = tuple(
        part.split(",", 1)[1]
        for part in values["signature"].split()
        if part.startswith("v1,") and len(part) > 3
    )
    if not signatures:
        raise VerificationFailed(f"{prefix}-signature holds no v1 signature")
    return SignedHeaders(values["id"], timestamp, signatures, prefix)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str],
    tolerance: int,
    now: float | None = None,
) -> str:
    """Check the signature against every secret (rotation); answer the svix-id, or raise."""
    signed = read_headers(headers)
    current = time.time() if now is None else now
    age = int(current) - signed.timestamp
    if abs(age) > tolerance:
        when = f"{age} s old" if age > 0 else f"{-age} s in the future"
        raise VerificationFailed(
            f"{signed.prefix}-timestamp is {when} (tolerance {tolerance} s): a replay, or a clock "
            "that is off"
        )
    tried = 0
    for secret in secrets:
        tried += 1
        expected = sign(secret, signed.svix_id, signed.timestamp, body).split(",", 1)[1]
        # compare_digest against every offered signature: constant time for each comparison.
        if any(hmac.compare_digest(expected, offered) for offered in signed.signatures):
            return signed.svix_id
    raise VerificationFailed(
        f"the signature matches none of the {tried} configured TOPI['WEBHOOK_SECRETS']", status=401
    )
