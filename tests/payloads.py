"""topi payloads for tests: realistic JSON fixtures, loaded once, copied and tweaked per test."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@cache
def _fixture(name: str) -> dict[str, Any]:
    with (FIXTURES / f"{name}.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def offer(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full offer as getOffer answers it, with ``status`` and any top-level changes."""
    return {**copy.deepcopy(_fixture("offer")), "status": status, **changes}


def order(status: str = "created", **changes: Any) -> dict[str, Any]:
    """A full order as getOrder answers it, with ``status`` and any top-level changes."""
    return {**copy.deepcopy(_fixture("order")), "status": status, **changes}


def slim_offer_webhook(status: str, **changes: Any) -> dict[str, Any]:
    """An offer webhook body as topi's own plugin fixtures show it: bare, with empty lists."""
    full = _fixture("offer")
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
