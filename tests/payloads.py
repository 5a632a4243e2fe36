"""topi payloads for tests: ``django_topi.testing``'s offer and order, anchored per test.

Their instants (``created_at``, ``expires_at``, ``offer_created_at``) are set relative to the
moment the test started (``start_of_test``, called by an autouse fixture), so an offer built
today is still open tomorrow and in three years (``--clock-shift``), and the same object
fetched twice in one test is the same to the second.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from django_topi.testing import offer_payload, order_payload, topi_instant

_test_started: datetime | None = None


def start_of_test() -> None:
    """Anchor the payloads' instants at the current moment."""
    global _test_started
    _test_started = datetime.now(timezone.utc).replace(microsecond=0)


def _now() -> datetime:
    if _test_started is None:
        start_of_test()
    assert _test_started is not None
    return _test_started


def instant(delta: timedelta = timedelta(0)) -> str:
    """``delta`` from the test's start as topi writes instants: RFC 3339, UTC, seconds, ``Z``."""
    return topi_instant(_now() + delta)


def offer(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full offer as getOffer answers it, with ``status`` and any top-level changes."""
    return offer_payload(status, now=_now(), **changes)


def order(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full order as getOrder answers it, with ``status`` and any top-level changes."""
    return order_payload(status, now=_now(), **changes)


def slim_offer_webhook(status: str, **changes: Any) -> dict[str, Any]:
    """An offer webhook body as topi's own plugin fixtures show it: bare, with empty lists."""
    full = offer()
    return {
        "id": full["id"],
        "created_at": full["created_at"],
        "checkout_redirect_url": full["checkout_redirect_url"],
        "lines": [],
        "order_id": None,
        "seller_offer_reference": full["seller_offer_reference"],
        "metadata": [],
        "status": status,
        **changes,
    }


def slim_order_webhook(status: str, **changes: Any) -> dict[str, Any]:
    """An order webhook body: id, offer_id, reference, status, assets (maybe empty)."""
    full = order()
    return {
        "id": full["id"],
        "offer_id": full["offer_id"],
        "seller_offer_reference": full["seller_offer_reference"],
        "assets": [],
        "metadata": None,
        "status": status,
        **changes,
    }
