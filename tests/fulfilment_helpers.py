"""Orders and offers as topi left them, and topi's answers to staff actions, for the tests."""

from __future__ import annotations

import copy
import json
from typing import Any

import responses

from django_topi.models import Offer, Order
from django_topi.sync import apply_offer_payload, apply_order_payload
from tests import payloads
from tests.conftest import API, api_calls

ORDER_ID = payloads.order()["id"]
OFFER_ID = payloads.offer()["id"]
ORDER_URL = f"{API}/v1/orders/{ORDER_ID}"
OFFER_URL = f"{API}/v1/offers/{OFFER_ID}"
SHIPMENT_URL = f"{API}/v1/shipment"
LAPTOP_1, LAPTOP_2, SLEEVE = (asset["id"] for asset in payloads.order()["assets"])
LAPTOP = {"source": "shop", "reference": "pro-laptop-14"}
SLEEVE_REFERENCE = {"source": "shop", "reference": "laptop-sleeve"}
DASHBOARD = f"https://dashboard.topi-sandbox.eu/seller/offer/{OFFER_ID}"


def make_offer(status: str = "created", **changes: Any) -> Offer:
    """An offer as getOffer left it."""
    return apply_offer_payload(payloads.offer(status, **changes), "webhook").instance


def make_order(status: str = "created", **changes: Any) -> Order:
    """An order (two rented laptops and a sleeve) and its accepted offer, as topi left them."""
    make_offer("accepted")
    return apply_order_payload(payloads.order(status, **changes), "webhook").instance


def order_result(status: str, **changes: Any) -> dict[str, Any]:
    """topi's short ``OrderResult``: what acknowledge, accept and reject answer."""
    full = payloads.order(status)
    fields = ("id", "offer_id", "seller_offer_reference", "status", "assets", "metadata")
    return {**{key: full[key] for key in fields}, **changes}


def with_assets_shipped(payload: dict[str, Any], *asset_ids: str) -> dict[str, Any]:
    """``payload`` with the given assets shipped (and a serial number each)."""
    payload = copy.deepcopy(payload)
    for asset in payload["assets"]:
        if asset["id"] in asset_ids:
            asset["status"] = "shipped"
            asset["serial_number"] = f"SN-{asset['id'][-3:]}"
    return payload


def shipment_answer(body: dict[str, Any]) -> dict[str, Any]:
    """topi's ``Shipment`` answer: what was sent, echoed."""
    return {key: body[key] for key in ("serial_numbers", "tracking_url", "metadata") if key in body}


def sent_json(call: responses.Call) -> Any:
    return json.loads(call.request.body) if call.request.body else None


def posts(rsps: responses.RequestsMock) -> list[responses.Call]:
    return [call for call in api_calls(rsps) if call.request.method == "POST"]
