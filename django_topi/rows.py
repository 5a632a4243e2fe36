"""How the data of a topi payload becomes columns, offer lines and assets: everything but status.

``django_topi.sync`` decides whether and how a payload is applied (the walk, conflicts, signals);
it hands the payload here for the columns. Nothing here changes a status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from django_topi.models import Offer, OfferLine, Order
from django_topi.models.base import Writes
from django_topi.money import format_money
from django_topi.states import OfferStatus

Payload = Mapping[str, Any]
Record = Offer | Order


# -- offers --------------------------------------------------------------------------------------


def _datetime(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _object(payload: Payload, key: str) -> dict[str, Any] | None:
    """``payload[key]`` if it is an object; topi's PHP-era payloads may send ``[]`` for ``{}``."""
    value = payload.get(key)
    return dict(value) if isinstance(value, Mapping) else None


def items(payload: Payload, key: str) -> list[Any] | None:
    """``payload[key]`` if it is a non-empty list: an offer or order always has lines/assets,
    so an empty list means the sender left them out (as slim webhook bodies do)."""
    value = payload.get(key)
    return list(value) if isinstance(value, list) and value else None


def _customer_columns(instance: Record, customer: Mapping[str, Any]) -> None:
    company = customer.get("company")
    instance.company_name = (
        str(company.get("name") or "")[:255] if isinstance(company, Mapping) else ""
    )
    instance.email = str(customer.get("email") or "")[:254]


def merge(previous: Payload, payload: Payload) -> dict[str, Any]:
    """The newest payload on top of what was known; an empty value never hides a known one,
    because slim webhook bodies send ``[]`` or ``null`` for what they leave out."""
    merged = dict(previous)
    for key, value in payload.items():
        if value in (None, [], {}) and previous.get(key) not in (None, [], {}):
            continue
        merged[key] = value
    return merged


def _shared_columns(record: Record, payload: Payload) -> None:
    """What offers and orders both carry: the shop's reference and topi's creation time."""
    if payload.get("seller_offer_reference"):
        record.seller_offer_reference = str(payload["seller_offer_reference"])
    if "created_at" in payload:
        record.topi_created_at = _datetime(payload["created_at"])


def refresh_offer(offer: Offer, payload: Payload) -> None:
    _shared_columns(offer, payload)
    if isinstance(payload.get("sales_channel"), str):
        offer.sales_channel = payload["sales_channel"]
    if isinstance(payload.get("checkout_redirect_url"), str):
        offer.checkout_redirect_url = payload["checkout_redirect_url"]
    if "expires_at" in payload:
        offer.expires_at = _datetime(payload["expires_at"])
    for key in ("customer", "shipping_address", "shipping", "metadata"):
        value = _object(payload, key)
        if value is not None:
            setattr(offer, key, value)
            if key == "customer":
                _customer_columns(offer, value)
    lines = items(payload, "lines")
    if lines is not None:
        offer.currency, offer.amount_net, offer.amount_gross = _offer_totals(lines, offer.shipping)


def _offer_totals(
    lines: list[Any], shipping: Mapping[str, Any]
) -> tuple[str, int | None, int | None]:
    """(currency, net, gross) of the lines plus shipping, as topi reports them."""
    prices = [_mapping(_mapping(line).get("price")) for line in lines]
    shipping_price = _mapping(_mapping(shipping).get("price"))
    if shipping_price:
        prices.append(shipping_price)
    currencies = {str(p.get("currency") or "") for p in prices}
    currency = currencies.pop() if len(currencies) == 1 else ""
    return currency, _total(p.get("net") for p in prices), _total(p.get("gross") for p in prices)


def _total(values: Iterable[Any]) -> int | None:
    """The sum, or None unless every value is an int (one unknown amount makes it unknown)."""
    amounts = list(values)
    ints = [v for v in amounts if isinstance(v, int) and not isinstance(v, bool)]
    return sum(ints) if amounts and len(ints) == len(amounts) else None


def after_offer_save(
    offer: Offer,
    payload: Payload,
    previous_raw: Payload,
    created: bool,
    link_early_orders: bool,
    writes: Writes,
) -> None:
    """The offer's lines, written only when topi's differ from what is kept; and the orders
    that arrived before it, linked when topi first tells of it (unless ``link_early_orders`` is
    False: none can be waiting)."""
    lines = items(payload, "lines")
    if lines is not None and lines != previous_raw.get("lines"):
        if not created:
            writes.delete(offer.lines.all())
        writes.insert(_offer_line(offer, i, line) for i, line in enumerate(lines))
    if previous_raw or not link_early_orders:
        return  # topi told of it before (its early orders were linked then), or none can wait
    match = early_orders(offer.topi_id or "", offer.seller_offer_reference)
    writes.update(
        Order.objects.filter(match, offer__isnull=True, environment=offer.environment),
        offer=offer,
    )


def early_orders(offer_topi_id: str, reference: str) -> Q:
    """Orders that name the offer ``offer_topi_id`` (or, naming none, its reference)."""
    match = Q(offer_topi_id=offer_topi_id)
    if reference:
        match |= Q(offer_topi_id="", seller_offer_reference=reference)
    return match


def _offer_line(offer: Offer, position: int, line: Mapping[str, Any]) -> OfferLine:
    price = _mapping(line.get("price"))
    references = line.get("seller_product_references") or [line.get("seller_product_reference")]
    reference = _mapping(references[0])
    return OfferLine(
        offer=offer,
        position=position,
        topi_line_id=str(line.get("id") or ""),
        title=str(line.get("title") or "")[:500],
        subtitle=str(line.get("subtitle") or "")[:500],
        quantity=int(line.get("quantity") or 0),
        product_source=str(reference.get("source") or ""),
        product_reference=str(reference.get("reference") or ""),
        currency=str(price.get("currency") or ""),
        price_net=int(price.get("net") or 0),
        price_gross=price.get("gross") if isinstance(price.get("gross"), int) else None,
        raw=dict(line),
    )


def _format_amount(minor: int | None, currency: str) -> str:
    return format_money(minor, currency) or "an unknown amount"


def offer_amount_conflict(offer: Offer) -> str:
    """An accepted offer must be for what the shop sent: the amount check."""
    if offer.status != OfferStatus.ACCEPTED or offer.expected_amount_net is None:
        return ""
    if offer.amount_net is None:
        return ""  # topi's payload carried no lines; the next full payload is checked
    mismatched = (
        offer.currency != offer.expected_currency
        or offer.amount_net != offer.expected_amount_net
        or (
            offer.expected_amount_gross is not None
            and offer.amount_gross is not None
            and offer.amount_gross != offer.expected_amount_gross
        )
    )
    if not mismatched:
        return ""
    return (
        f"topi accepted {_format_amount(offer.amount_net, offer.currency)} net "
        f"({_format_amount(offer.amount_gross, offer.currency)} gross), but the shop sent "
        f"{_format_amount(offer.expected_amount_net, offer.expected_currency)} net "
        f"({_format_amount(offer.expected_amount_gross, offer.expected_currency)} gross)."
    )


# -- orders --------------------------------------------------------------------------------------


def refresh_order(order: Order, payload: Payload) -> None:
    _shared_columns(order, payload)
    if isinstance(payload.get("offer_id"), str):
        order.offer_topi_id = payload["offer_id"]
    if "canceled_at" in payload:
        order.canceled_at = _datetime(payload["canceled_at"])
    # topi's spec names it customer_info; some payloads say customer.
    customer = _object(payload, "customer_info") or _object(payload, "customer")
    if customer is not None:
        order.customer = customer
        _customer_columns(order, customer)
    for key in ("shipping_address", "shipping_info", "metadata"):
        value = _object(payload, key)
        if value is not None:
            setattr(order, key, value)
    lines = items(payload, "order_lines")
    if lines is not None:
        order.order_lines = lines
    if isinstance(payload.get("tracking_urls"), list):
        order.tracking_urls = [str(url) for url in payload["tracking_urls"]]
    if order.offer_id is None:
        order.offer = _offer_for(order)


def _offer_for(order: Order) -> Offer | None:
    offers = Offer.objects.filter(environment=order.environment)
    if order.offer_topi_id:
        return offers.filter(topi_id=order.offer_topi_id).first()
    if order.seller_offer_reference:
        return (
            offers.filter(seller_offer_reference=order.seller_offer_reference)
            .order_by("-created_at", "-pk")
            .first()
        )
    return None
