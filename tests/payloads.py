"""topi payloads for tests: realistic JSON fixtures, loaded once, copied and tweaked per test.

The fixture files hold no instants. ``created_at``, ``expires_at`` and ``offer_created_at`` are
set relative to the moment the test started (``start_of_test``, called by an autouse fixture), so
an offer built today is still open tomorrow and in three years (``--clock-shift``), and the same
object fetched twice in one test is the same to the second.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

UTC = timezone.utc
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: How long before "now" the fixture offer was created, and how long after it topi made the order.
OFFER_AGE = timedelta(minutes=10)
ORDER_DELAY = timedelta(minutes=8, seconds=27)
#: The ``expires_at`` the shop chose, counted from the offer's creation (OFFER_TTL's default).
OFFER_LIFETIME = timedelta(days=1)


@cache
def _fixture(name: str) -> dict[str, Any]:
    with (FIXTURES / f"{name}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


_test_started: datetime | None = None


def start_of_test() -> None:
    """Anchor the payloads' instants at the current moment."""
    global _test_started
    _test_started = datetime.now(UTC).replace(microsecond=0)


def instant(delta: timedelta = timedelta(0)) -> str:
    """``delta`` from the test's start as topi writes instants: RFC 3339, UTC, seconds, ``Z``."""
    if _test_started is None:
        start_of_test()
    assert _test_started is not None
    return (_test_started + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def _offer_instants() -> dict[str, str]:
    return {"created_at": instant(-OFFER_AGE), "expires_at": instant(OFFER_LIFETIME - OFFER_AGE)}


def offer(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full offer as getOffer answers it, with ``status`` and any top-level changes."""
    return {**copy.deepcopy(_fixture("offer")), **_offer_instants(), "status": status, **changes}


def order(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full order as getOrder answers it, with ``status`` and any top-level changes."""
    instants = {
        "offer_created_at": instant(-OFFER_AGE),
        "created_at": instant(ORDER_DELAY - OFFER_AGE),
    }
    return {**copy.deepcopy(_fixture("order")), **instants, "status": status, **changes}


def slim_offer_webhook(status: str, **changes: Any) -> dict[str, Any]:
    """An offer webhook body as topi's own plugin fixtures show it: bare, with empty lists."""
    full = _fixture("offer")
    return {
        "id": full["id"],
        "created_at": _offer_instants()["created_at"],
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
    full = _fixture("order")
    return {
        "id": full["id"],
        "offer_id": full["offer_id"],
        "seller_offer_reference": full["seller_offer_reference"],
        "assets": [],
        "metadata": None,
        "status": status,
        **changes,
    }
