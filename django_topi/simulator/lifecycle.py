"""How the simulated topi moves offers and orders, and which moves it tells the shop about.

The paths are topi's documented ones: an offer is created, reviewed or accepted at checkout,
declined after review, voided (anything but accepted), or expires; an accepted offer makes an
order, which is acknowledged, confirmed or rejected by the shop, shipped unit by unit to
``partially_fulfilled`` and ``completed``, or canceled. topi sends webhooks for offers becoming
accepted, declined, pending_review, voided or expired, and for orders created, canceled or
completed; the simulator sends exactly those.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from django_topi.simulator import delivery, payloads
from django_topi.simulator.conf import simulator_settings
from django_topi.simulator.errors import ApiError, invalid_status, unprocessable
from django_topi.simulator.models import SimAsset, SimOffer, SimOrder, SimProduct, SimShippingMethod

logger = logging.getLogger("django_topi.simulator")

OFFER_WEBHOOKS = frozenset({"accepted", "declined", "pending_review", "voided", "expired"})
ORDER_WEBHOOKS = frozenset({"created", "canceled", "completed"})
#: Offers a customer can still check out, and so the ones a reference is "active" in.
ACTIVE_OFFERS = ("created", "pending_review")
OPEN_ORDERS = ("created", "acknowledged", "confirmed", "partially_fulfilled")


# -- offers --------------------------------------------------------------------------------------


def create_offer(
    body: Mapping[str, Any], *, base_url: str, replacing: SimOffer | None = None
) -> SimOffer:
    """createOffer (or the new half of an edit): topi's business rules, then a created offer."""
    lines = body["lines"]
    if not lines:
        raise unprocessable("There are no product lines")
    reference = body["seller_offer_reference"]
    active = SimOffer.objects.filter(seller_offer_reference=reference, status__in=ACTIVE_OFFERS)
    if replacing is not None:
        active = active.exclude(pk=replacing.pk)
    if active.exists():
        raise unprocessable(f"There is already an active offer with reference {reference}")
    if body["sales_channel"] == "ecommerce" and not body.get("shipping_address"):
        raise ApiError(400, "bad_request", "shipping_address is required for ecommerce offers")
    products = supported_products(lines)
    currencies = {line["price"]["currency"] for line in lines}
    if body.get("shipping"):
        currencies.add(body["shipping"]["price"]["currency"])
        method = body["shipping"]["seller_shipping_reference"]
        if not SimShippingMethod.objects.filter(reference=method).exists():
            raise unprocessable(f"{method} is not supported", "UnsupportedShipping")
    if len(currencies) > 1:
        raise unprocessable(
            "The offer mixes currencies: " + ", ".join(sorted(currencies)), "CurrenciesMismatch"
        )
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None  # validated
    offer = SimOffer.objects.create(
        seller_offer_reference=reference,
        sales_channel=body["sales_channel"],
        expires_at=expires_at,
        request=dict(body),
        lines=[payloads.offer_line(line, products.get(_key(line))) for line in lines],
        base_url=base_url.rstrip("/"),
        webhook_url=webhook_url_for(body),
    )
    logger.info("simulated topi: offer %s created for %s", offer.topi_id, reference)
    return offer


def _key(line: Mapping[str, Any]) -> tuple[str, str]:
    ref = line["seller_product_reference"]
    return ref["source"], ref["reference"]


def supported_products(lines: list[Mapping[str, Any]]) -> dict[tuple[str, str], SimProduct]:
    """The lines' catalog products; any that topi does not support is refused (422)."""
    keys = {_key(line) for line in lines}
    found = {(p.source, p.reference): p for p in catalog_products(keys)}
    missing = sorted(key for key in keys if key not in found or not found[key].is_active)
    if missing:
        raise ApiError(
            422,
            "UnsupportedProducts",
            "The following references are marked as unsupported by topi.",
            goa=False,
            references=[payloads.reference(source, ref) for source, ref in missing],
        )
    return found


def catalog_products(keys: set[tuple[str, str]]) -> list[SimProduct]:
    if not keys:
        return []
    references = {ref for _source, ref in keys}
    return [
        p
        for p in SimProduct.objects.filter(reference__in=references)
        if (p.source, p.reference) in keys
    ]


def webhook_url_for(body: Mapping[str, Any]) -> str:
    """Where this shop's webhooks go: the setting, else its django_topi webhook URL on the host
    its customers come back to."""
    configured = simulator_settings.WEBHOOK_URL
    if configured:
        return str(configured)
    redirect = body.get("success_redirect") or body.get("exit_redirect")
    if not redirect:
        return ""
    try:
        path = reverse("django_topi:webhook")
    except NoReverseMatch:
        return ""
    parts = urlsplit(str(redirect))
    return f"{parts.scheme}://{parts.netloc}{path}"


def edit_offer(offer: SimOffer, body: Mapping[str, Any], *, base_url: str) -> SimOffer:
    """topi's edit: void the offer and create its successor from the full new body."""
    if offer.status in ("pending_review", "accepted"):
        raise unprocessable("Offer already checked out by the customer", "AlreadyCheckedOut")
    if offer.status != "created":
        raise unprocessable(f"Offer {offer.topi_id} is {offer.status} and cannot be edited")
    with transaction.atomic():
        successor = create_offer(body, base_url=base_url, replacing=offer)
        offer.superseded_by = successor
        _set_offer_status(offer, "voided")
    return successor


def void_offer(offer: SimOffer, superseded_by_id: str | None = None) -> SimOffer:
    if offer.status == "accepted":
        raise unprocessable("Accepted offers cannot be voided")
    if superseded_by_id is not None:
        successor = SimOffer.objects.filter(topi_id=superseded_by_id).first()
        if successor is None or successor.pk == offer.pk:
            raise unprocessable(f"{superseded_by_id} cannot supersede offer {offer.topi_id}")
        offer.superseded_by = successor
    if offer.status != "voided":
        _set_offer_status(offer, "voided")
    return offer


def begin_review(offer: SimOffer) -> SimOffer:
    """The customer checked out and topi's risk review wants more information."""
    _require(offer, ("created",), "sent to review")
    return _set_offer_status(offer, "pending_review")


def accept(offer: SimOffer) -> SimOrder:
    """topi approves (at checkout, or after review): the offer is accepted, an order made."""
    _require(offer, ("created", "pending_review"), "accepted")
    with transaction.atomic():
        _set_offer_status(offer, "accepted")
        order = SimOrder.objects.create(offer=offer)
        SimAsset.objects.bulk_create(
            SimAsset(
                order=order,
                product_id=line.get("product_id", ""),
                source=line["seller_product_references"][0]["source"],
                reference=line["seller_product_references"][0]["reference"],
                title=line["title"],
            )
            for line in offer.lines
            for _unit in range(int(line["quantity"]))
        )
        _notify_order(order, "created")
    return order


def decline(offer: SimOffer) -> SimOffer:
    """topi's risk review declines; from ``created`` it goes through review first, as topi's
    documented path does."""
    if offer.status == "created":
        begin_review(offer)
    _require(offer, ("pending_review",), "declined")
    return _set_offer_status(offer, "declined")


def expire(offer: SimOffer) -> SimOffer:
    _require(offer, ("created",), "expired")
    return _set_offer_status(offer, "expired")


def expire_due(now: datetime | None = None) -> int:
    """Expire every created offer whose ``expires_at`` has passed."""
    due = SimOffer.objects.filter(status="created", expires_at__lte=now or timezone.now())
    count = 0
    for offer in due:
        expire(offer)
        count += 1
    return count


def _require(offer: SimOffer, statuses: tuple[str, ...], what: str) -> None:
    if offer.status not in statuses:
        raise unprocessable(
            f"offers with status={offer.status} cannot be {what}; the offer must be "
            + " or ".join(statuses)
        )


def _set_offer_status(offer: SimOffer, status: str) -> SimOffer:
    offer.status = status
    offer.save()
    logger.info("simulated topi: offer %s is %s", offer.topi_id, status)
    if status in OFFER_WEBHOOKS:
        delivery.enqueue(
            f"offer.{status}", offer.topi_id, payloads.offer_result(offer), offer.webhook_url
        )
    return offer


# -- orders --------------------------------------------------------------------------------------


def acknowledge(order: SimOrder) -> SimOrder:
    _require_order(order, ("created",))
    return _set_order_status(order, "acknowledged")


def confirm(order: SimOrder) -> SimOrder:
    """acceptOrder: the rental contracts become active."""
    _require_order(order, ("created", "acknowledged"))
    return _set_order_status(order, "confirmed")


def reject(order: SimOrder) -> SimOrder:
    _require_order(order, ("created", "acknowledged"))
    with transaction.atomic():
        SimAsset.objects.filter(order=order).update(status="rejected")
        return _set_order_status(order, "rejected")


def cancel(order: SimOrder) -> SimOrder:
    """Canceled by topi or at the customer's request (from the control page)."""
    _require_order(order, OPEN_ORDERS)
    order.canceled_at = timezone.now()
    return _set_order_status(order, "canceled")


def set_metadata(order: SimOrder, metadata: Mapping[str, str]) -> SimOrder:
    order.metadata = {**order.metadata, **metadata}
    order.save()
    return order


def ship(order: SimOrder, body: Mapping[str, Any]) -> dict[str, Any]:
    """A shipment: each entry ships one unit of that product; the order follows."""
    _require_order(order, ("confirmed", "partially_fulfilled"))
    entries = body["serial_numbers"]
    if not entries:
        raise ApiError(400, "bad_request", "serial_numbers: must name at least one unit")
    tracking_url = str(body.get("tracking_url") or "")
    with transaction.atomic():
        open_units = list(order.assets.filter(status="created").order_by("pk"))
        shipped: list[SimAsset] = []
        for entry in entries:
            ref = entry["seller_product_reference"]
            unit: SimAsset | None = next(
                (
                    u
                    for u in open_units
                    if (u.source, u.reference) == (ref["source"], ref["reference"])
                ),
                None,
            )
            if unit is None:
                raise unprocessable(
                    f"no unshipped unit of {ref['source']}/{ref['reference']} in order "
                    f"{order.topi_id}"
                )
            open_units.remove(unit)
            unit.status = "shipped"
            unit.serial_number = str(entry.get("serial_number") or "")
            unit.tracking_url = tracking_url
            shipped.append(unit)
        SimAsset.objects.bulk_update(shipped, ["status", "serial_number", "tracking_url"])
        if tracking_url and tracking_url not in order.tracking_urls:
            order.tracking_urls = [*order.tracking_urls, tracking_url]
        _set_order_status(order, "completed" if not open_units else "partially_fulfilled")
    answer: dict[str, Any] = {"serial_numbers": entries}
    if tracking_url:
        answer["tracking_url"] = tracking_url
    if body.get("metadata"):
        answer["metadata"] = body["metadata"]
    return answer


def _require_order(order: SimOrder, statuses: tuple[str, ...]) -> None:
    if order.status not in statuses:
        raise invalid_status(f"order {order.topi_id}", order.status, " or ".join(statuses))


def _set_order_status(order: SimOrder, status: str) -> SimOrder:
    order.status = status
    order.save()
    logger.info("simulated topi: order %s is %s", order.topi_id, status)
    if status in ORDER_WEBHOOKS:
        _notify_order(order, status)
    return order


def _notify_order(order: SimOrder, status: str) -> None:
    delivery.enqueue(
        f"order.{status}", order.topi_id, payloads.order_details(order), order.offer.webhook_url
    )
