"""Shipping an order's units: which units are left, topi's rules for a shipment (checked
before anything is sent), and the shipment itself."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from django_topi.client import (
    TopiError,
    TopiUnprocessable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.fulfilment.actions import after_refusal, fetch
from django_topi.fulfilment.errors import (
    INVALID_SHIPMENT,
    INVALID_STATE,
    FulfilmentError,
    Outcome,
    check_at_topi,
    check_environment,
    topi_failed,
)
from django_topi.fulfilment.words import SHIP_WORDS, name_of, title, username
from django_topi.models import Asset, Order, Origin, Shipment
from django_topi.states import AssetStatus
from django_topi.sync import PayloadError

#: Every part of fulfilment logs as "django_topi.fulfilment".
logger = logging.getLogger("django_topi.fulfilment")

SERIAL_NUMBER_MAX_LENGTH = 255
METADATA_VALUE_MAX_LENGTH = 400
TRACKING_URL_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ShipmentItem:
    """One unit to ship: the asset's topi id and its serial number (``""`` for accessories)."""

    asset_id: str
    serial_number: str = ""


@dataclass(frozen=True)
class ShippableUnit:
    """An asset that can still be shipped, the reference sent for it, and whether it needs a
    serial number."""

    asset: Asset
    reference: dict[str, str]
    serial_required: bool


def shippable_units(order: Order, assets: list[Asset] | None = None) -> list[ShippableUnit]:
    """The order's units that can still be shipped, in asset order.

    topi matches a shipment's entries to units by product reference, so units are counted per
    reference: a reference has as many left as it has units, less those topi reports shipped
    or this shop recorded as shipped (whichever is more, so a re-sync that failed after a
    shipment never lets a unit be sent twice).
    """
    if assets is None:
        assets = list(order.assets.order_by("pk"))
    recorded: Counter[tuple[str, str]] = Counter()
    recorded_assets: set[str] = set()
    for shipment in order.shipments.all():
        for entry in shipment.serial_numbers if isinstance(shipment.serial_numbers, list) else []:
            if not isinstance(entry, Mapping):
                continue
            key = _reference_key(entry.get("seller_product_reference"))
            if key is not None:
                recorded[key] += 1
            if isinstance(entry.get("asset_id"), str):
                recorded_assets.add(entry["asset_id"])
    groups: dict[tuple[str, str], list[tuple[Asset, dict[str, str]]]] = defaultdict(list)
    for asset in assets:
        reference = _reference_for(asset)
        if reference is not None:
            groups[(reference["source"], reference["reference"])].append((asset, reference))
    order_lines = _dicts(order.order_lines)
    offer_lines = _dicts(order.offer.raw.get("lines")) if order.offer is not None else []
    units = []
    for key, members in groups.items():
        shipped_at_topi = sum(1 for asset, _ref in members if asset.status != AssetStatus.CREATED)
        left = len(members) - max(shipped_at_topi, recorded[key])
        open_members = [m for m in members if m[0].status == AssetStatus.CREATED]
        open_members.sort(key=lambda member: member[0].topi_id in recorded_assets)
        for asset, reference in open_members[: max(left, 0)]:
            required = _serial_required(asset, order_lines, offer_lines)
            units.append(ShippableUnit(asset, reference, required))
    units.sort(key=lambda unit: unit.asset.pk)
    return units


def can_ship(order: Order) -> bool:
    """Whether the order's status allows a shipment (confirmed or partially fulfilled)."""
    return can_proceed(order.fulfil_partially) or can_proceed(order.complete)


def ship(
    order: Order,
    items: Sequence[ShipmentItem],
    tracking_url: str = "",
    user: Any = None,
    *,
    metadata: Mapping[str, str] | None = None,
    origin: str = Origin.ADMIN,
) -> Outcome[Order]:
    """Report a shipment of ``items`` (one per unit) to topi, then re-sync the order.

    Partial shipments are fine; a unit already shipped is refused. The shipment is recorded
    locally (``Shipment``) as soon as topi took it, even if the re-sync after it fails.
    """
    check_environment(order)
    check_at_topi(order)
    with transaction.atomic():
        # Locked while topi is asked, so a double click cannot send the same units twice.
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not can_ship(locked):
            raise FulfilmentError(
                INVALID_STATE,
                _(
                    "%(name)s is %(status)s here: only confirmed or partially fulfilled orders "
                    "can be shipped."
                )
                % {"name": title(locked), "status": locked.get_status_display()},
                instance=locked,
            )
        body, entries = _shipment_body(locked, items, tracking_url, metadata)
        try:
            answer = get_client().create_shipment(body)
        except TopiError as exc:
            failure: TopiError | None = exc
        else:
            failure = None
            Shipment.objects.create(
                order=locked,
                tracking_url=body.get("tracking_url", ""),
                serial_numbers=entries,
                metadata=dict(body.get("metadata") or {}),
                created_by=user if getattr(user, "pk", None) else None,
                raw=answer if isinstance(answer, dict) else {},
            )
    if isinstance(failure, TopiUnprocessable):
        after_refusal(locked, SHIP_WORDS, "ship", failure, user)  # always raises: no target
    if failure is not None:
        raise topi_failed(locked, failure, SHIP_WORDS, "ship") from failure
    logger.info(
        "order %s: shipment of %d unit(s) sent to topi by %s (origin %s)",
        locked.topi_id, len(entries), username(user), origin,
    )  # fmt: skip
    try:
        fresh = fetch(locked, user, origin).instance
    except (TopiError, PayloadError) as exc:
        logger.warning("order %s: re-sync after the shipment failed: %s", locked.topi_id, exc)
        message = _(
            "%(count)d item(s) of order %(name)s were shipped at topi, but the order could not "
            "be re-synced (%(error)s). Re-sync it later to see its new status."
        ) % {"count": len(entries), "name": name_of(locked), "error": exc}
        return Outcome(locked, message, changed=True, warning=True)
    message = _("%(count)d item(s) of order %(name)s shipped at topi; the order is %(status)s.") % {
        "count": len(entries),
        "name": name_of(fresh),
        "status": fresh.get_status_display(),
    }
    return Outcome(fresh, message, changed=True)


def _shipment_body(
    order: Order,
    items: Sequence[ShipmentItem],
    tracking_url: str,
    metadata: Mapping[str, str] | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """topi's createShipment body and the entries kept locally, or ``FulfilmentError``."""
    errors: dict[str, list[str]] = defaultdict(list)
    assets = list(order.assets.order_by("pk"))
    units = {unit.asset.topi_id: unit for unit in shippable_units(order, assets)}
    known = {asset.topi_id: asset for asset in assets}
    if not items:
        errors["items"].append(_("Choose at least one item to ship."))
    seen: set[str] = set()
    serials: dict[str, str] = {}
    used = {asset.serial_number for asset in known.values() if asset.serial_number}
    entries = []
    for item in items:
        asset_id, serial = str(item.asset_id), str(item.serial_number or "").strip()
        if asset_id in seen:
            errors[asset_id].append(_("This item is listed twice: list each unit once."))
            continue
        seen.add(asset_id)
        unit = units.get(asset_id)
        if unit is None:
            errors[asset_id].append(
                _("This item has already been shipped.")
                if asset_id in known
                else _("This is not an item of this order.")
            )
            continue
        if unit.serial_required and not serial:
            errors[asset_id].append(
                _("A serial number is required: this product can be rented.")
                if order.order_lines
                else _(
                    "A serial number is required (django-topi cannot tell whether this is an "
                    "accessory until the order is re-synced from topi)."
                )
            )
        elif len(serial) > SERIAL_NUMBER_MAX_LENGTH:
            errors[asset_id].append(
                _("A serial number has at most %(max)d characters.")
                % {"max": SERIAL_NUMBER_MAX_LENGTH}
            )
        elif serial and (serial in used or serial in serials.values()):
            errors[asset_id].append(
                _("Serial number %(serial)s is already used in this order.") % {"serial": serial}
            )
        serials[asset_id] = serial
        entries.append(
            {
                "asset_id": asset_id,
                "seller_product_reference": unit.reference,
                "serial_number": serial,
            }
        )
    tracking_url = (tracking_url or "").strip()
    if tracking_url:
        try:
            URLValidator(schemes=["http", "https"])(tracking_url)
        except ValidationError:
            errors["tracking_url"].append(_("Enter the full tracking URL, starting with https://."))
        if len(tracking_url) > TRACKING_URL_MAX_LENGTH:
            errors["tracking_url"].append(
                _("A tracking URL has at most %(max)d characters.")
                % {"max": TRACKING_URL_MAX_LENGTH}
            )
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            errors["metadata"].append(_("Metadata keys and values are text."))
        elif len(value) > METADATA_VALUE_MAX_LENGTH:
            errors["metadata"].append(
                _("Metadata value %(key)s is longer than %(max)d characters.")
                % {"key": key, "max": METADATA_VALUE_MAX_LENGTH}
            )
    if errors:
        problems = " ".join(
            dict.fromkeys(message for found in errors.values() for message in found)
        )
        raise FulfilmentError(
            INVALID_SHIPMENT,
            _("The shipment was not sent to topi: %(problems)s") % {"problems": problems},
            instance=order,
            errors=errors,
        )
    body: dict[str, Any] = {
        "order_id": order.topi_id,
        "serial_numbers": [
            {key: entry[key] for key in ("seller_product_reference", "serial_number")}
            for entry in entries
        ],
    }
    if tracking_url:
        body["tracking_url"] = tracking_url
    if metadata:
        body["metadata"] = dict(metadata)
    return body, entries


def _reference_key(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, Mapping) or not value.get("source") or not value.get("reference"):
        return None
    return (str(value["source"]), str(value["reference"]))


def _reference_for(asset: Asset) -> dict[str, str] | None:
    """The reference to ship the asset under: the shop's own source if topi lists it."""
    references = [
        {"source": key[0], "reference": key[1]}
        for key in map(_reference_key, asset.product_references or [])
        if key is not None
    ]
    preferred = topi_settings.PRODUCT_REFERENCE_SOURCE
    return next((r for r in references if r["source"] == preferred), None) or next(
        iter(references), None
    )


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _same_product(asset: Asset, line: Mapping[str, Any]) -> bool:
    if asset.product_id and line.get("product_id") == asset.product_id:
        return True
    references = line.get("seller_product_references") or [line.get("seller_product_reference")]
    mine = {_reference_key(r) for r in asset.product_references or []} - {None}
    return bool(mine & {_reference_key(r) for r in references})


def _serial_required(
    asset: Asset, order_lines: list[Mapping[str, Any]], offer_lines: list[Mapping[str, Any]]
) -> bool:
    """Whether topi needs a serial number for the unit: anything with a rent option does.

    topi does not flag rentable units, so this reads the order: a unit of a rented line needs
    one; a unit that is no order line of its own (an accessory topi attached to a line) does
    not; a bought unit needs one unless topi's offer line shows it has no rent terms. With no
    order lines known (a slim webhook created the order), every unit needs one.
    """
    if not order_lines:
        return True
    lines = [line for line in order_lines if _same_product(asset, line)]
    if not lines:
        return False
    if any(line.get("contract_type") == "rent" for line in lines):
        return True
    offered = [line for line in offer_lines if _same_product(asset, line)]
    return not offered or any(_has_rent_option(line) for line in offered)


def _has_rent_option(line: Mapping[str, Any]) -> bool:
    terms = line.get("available_contract_terms")
    if isinstance(terms, Mapping):
        return bool(terms.get("rent"))
    return line.get("pricing_category") not in ("accessory", "service")
