"""Staff operations at topi: acknowledge, confirm, reject, ship, void and re-sync.

Each operation asks topi first and hands topi's answer to ``django_topi.sync``, the only code
that moves a status, so every step lands in the timeline with the caller's origin ("admin",
"api") and user. Rules every operation keeps:

* a row that cannot take the step here (wrong status, another environment, a draft topi never
  saw) is refused before topi is called;
* when topi fails (down, slow, credentials, unknown id) nothing changes locally and the
  ``FulfilmentError`` says why and what to do;
* when topi refuses with a 422 (``InvalidStatus``: the order moved on at topi), the row is
  re-synced from topi and the message says what its real status is; if it already is where
  the operation wanted it, that is reported as done, so a repeated click is harmless;
* a shipment is checked against topi's rules before it is sent (one entry per unit, serial
  numbers for anything rentable, nothing shipped twice, one tracking URL).

Messages are for staff and translated; ``FulfilmentError.code`` is for programs.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiClient,
    TopiConfigurationError,
    TopiError,
    TopiNotFound,
    TopiUnavailable,
    TopiUnprocessable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.models import Asset, Offer, Order, Origin, Shipment
from django_topi.states import (
    OFFER_EDGES,
    ORDER_EDGES,
    AssetStatus,
    Edge,
    OrderStatus,
    sources_of,
    target_of,
)
from django_topi.sync import (
    PayloadError,
    SyncResult,
    apply_offer_payload,
    apply_order_payload,
)
from django_topi.sync import resolve_conflict as clear_conflict

logger = logging.getLogger("django_topi.fulfilment")

R = TypeVar("R", Offer, Order)

#: ``FulfilmentError.code`` values.
INVALID_STATE = "invalid_state"  # the local status does not allow the step; topi was not called
WRONG_ENVIRONMENT = "wrong_environment"  # the row belongs to another topi environment
NOT_AT_TOPI = "not_at_topi"  # a draft offer: topi does not know it
INVALID_SHIPMENT = "invalid_shipment"  # the shipment breaks topi's rules; topi was not called
INVALID_STATUS = "invalid_status"  # topi refused (422); the row was re-synced from topi
UNAVAILABLE = "unavailable"  # topi could not be reached or did not answer in time
NOT_FOUND_AT_TOPI = "not_found_at_topi"  # topi does not know the id
TOPI_AUTH = "topi_auth"  # topi refused django-topi's credentials
TOPI_REFUSED = "topi_refused"  # any other error answer from topi

#: What the token endpoint answers when it refuses the credentials themselves.
CREDENTIAL_REFUSALS = (400, 401, 403)

SERIAL_NUMBER_MAX_LENGTH = 255
METADATA_VALUE_MAX_LENGTH = 400
TRACKING_URL_MAX_LENGTH = 2000


class FulfilmentError(Exception):
    """The operation did not happen, or topi refused it. ``message`` is for staff.

    ``instance`` is the row as it is now (re-synced from topi after a 422); ``errors`` maps an
    asset's topi id, ``"items"``, ``"tracking_url"`` or ``"metadata"`` to what is wrong with it.
    """

    def __init__(
        self,
        code: str,
        message: str,
        instance: Offer | Order | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.instance = instance
        self.errors: dict[str, list[str]] = dict(errors or {})


@dataclass
class Outcome(Generic[R]):
    """What an operation did: the row as it is now and a message for staff.

    ``already``: topi was already where the operation wanted it (a repeated click).
    ``warning``: the operation happened but something after it did not (see the message).
    """

    instance: R
    message: str
    changed: bool = False
    already: bool = False
    warning: bool = False


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


# -- the order and offer actions -----------------------------------------------------------------


@dataclass(frozen=True)
class _Wording:
    """Whole sentences for one operation, so each language can phrase them its own way.

    ``%(name)s`` is "order SO-1" or "offer SO-1"; ``%(topi)s`` is topi's own words.
    """

    timeout: Any  # topi did not answer: did it happen?
    refused: Any  # topi answered with an error (%(topi)s)
    unreadable: Any  # topi's answer cannot be read: did it happen?
    refused_now: Any = None  # topi refused (422) and the re-sync shows %(status)s
    refused_unsynced: Any = None  # topi refused (422) and the re-sync failed (%(error)s)
    done_unread: Any = None  # topi did it, but its new status cannot be read (%(error)s)
    not_allowed: Any = None  # not from %(status)s here; only from %(allowed)s


@dataclass(frozen=True)
class _Action:
    transition: str  # the model's django-fsm transition, and the name of the operation
    done: Any  # lazily translated sentences with %(name)s (the reference)
    already: Any
    call: Callable[[TopiClient, str], Any]
    edges: tuple[Edge, ...]
    words: _Wording

    @property
    def target(self) -> str:
        return target_of(self.edges, self.transition)


ACKNOWLEDGE = _Action(
    "acknowledge",
    gettext_lazy("Order %(name)s is acknowledged at topi."),
    gettext_lazy("Order %(name)s was already acknowledged at topi."),
    TopiClient.acknowledge_order,
    ORDER_EDGES,
    _Wording(
        timeout=gettext_lazy(
            "topi did not answer in time, so it is not known whether %(name)s was acknowledged. "
            "Re-sync it before you try again."
        ),
        refused=gettext_lazy("topi refused to acknowledge %(name)s: %(topi)s"),
        unreadable=gettext_lazy(
            "topi answered something django-topi cannot read, so it is not known whether "
            "%(name)s was acknowledged. Re-sync it before you try again."
        ),
        refused_now=gettext_lazy(
            "topi refused to acknowledge %(name)s: at topi it is %(status)s (%(topi)s). "
            "django-topi has re-synced it."
        ),
        refused_unsynced=gettext_lazy(
            "topi refused to acknowledge %(name)s (%(topi)s), and django-topi could not re-sync "
            "it to see why: %(error)s"
        ),
        done_unread=gettext_lazy(
            "topi acknowledged %(name)s, but django-topi could not read the new status "
            "(%(error)s). Re-sync it to see."
        ),
        not_allowed=gettext_lazy(
            "Order %(name)s is %(status)s here; only orders that are %(allowed)s can be "
            "acknowledged."
        ),
    ),
)
CONFIRM = _Action(
    "confirm",
    gettext_lazy("Order %(name)s is confirmed at topi: its rental contracts are active."),
    gettext_lazy("Order %(name)s was already confirmed at topi."),
    TopiClient.accept_order,
    ORDER_EDGES,
    _Wording(
        timeout=gettext_lazy(
            "topi did not answer in time, so it is not known whether %(name)s was confirmed. "
            "Re-sync it before you try again."
        ),
        refused=gettext_lazy("topi refused to confirm %(name)s: %(topi)s"),
        unreadable=gettext_lazy(
            "topi answered something django-topi cannot read, so it is not known whether "
            "%(name)s was confirmed. Re-sync it before you try again."
        ),
        refused_now=gettext_lazy(
            "topi refused to confirm %(name)s: at topi it is %(status)s (%(topi)s). "
            "django-topi has re-synced it."
        ),
        refused_unsynced=gettext_lazy(
            "topi refused to confirm %(name)s (%(topi)s), and django-topi could not re-sync it "
            "to see why: %(error)s"
        ),
        done_unread=gettext_lazy(
            "topi confirmed %(name)s, but django-topi could not read the new status (%(error)s). "
            "Re-sync it to see."
        ),
        not_allowed=gettext_lazy(
            "Order %(name)s is %(status)s here; only orders that are %(allowed)s can be confirmed."
        ),
    ),
)
REJECT = _Action(
    "reject",
    gettext_lazy("Order %(name)s is rejected at topi."),
    gettext_lazy("Order %(name)s was already rejected at topi."),
    TopiClient.reject_order,
    ORDER_EDGES,
    _Wording(
        timeout=gettext_lazy(
            "topi did not answer in time, so it is not known whether %(name)s was rejected. "
            "Re-sync it before you try again."
        ),
        refused=gettext_lazy("topi refused to reject %(name)s: %(topi)s"),
        unreadable=gettext_lazy(
            "topi answered something django-topi cannot read, so it is not known whether "
            "%(name)s was rejected. Re-sync it before you try again."
        ),
        refused_now=gettext_lazy(
            "topi refused to reject %(name)s: at topi it is %(status)s (%(topi)s). "
            "django-topi has re-synced it."
        ),
        refused_unsynced=gettext_lazy(
            "topi refused to reject %(name)s (%(topi)s), and django-topi could not re-sync it "
            "to see why: %(error)s"
        ),
        done_unread=gettext_lazy(
            "topi rejected %(name)s, but django-topi could not read the new status (%(error)s). "
            "Re-sync it to see."
        ),
        not_allowed=gettext_lazy(
            "Order %(name)s is %(status)s here; only orders that are %(allowed)s can be rejected."
        ),
    ),
)
#: topi: "You can reject from created or acknowledged, but not after the order is confirmed."
#: For those, topi's advice is its support: the staff message says so in whole sentences.
TOO_LATE_TO_REJECT = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED}
)
TOPI_SUPPORT = "support@topi.eu"
REJECT_TOO_LATE_HERE = gettext_lazy(
    "Order %(name)s is %(status)s: a confirmed order can no longer be rejected. To cancel it, "
    "contact topi support (%(support)s)."
)
REJECT_TOO_LATE_AT_TOPI = gettext_lazy(
    "topi refused to reject %(name)s: at topi it is %(status)s (%(topi)s), and a confirmed order "
    "can no longer be rejected. To cancel it, contact topi support (%(support)s). django-topi "
    "has re-synced it."
)
VOID = _Action(
    "void",
    gettext_lazy("Offer %(name)s is voided at topi."),
    gettext_lazy("Offer %(name)s was already voided at topi."),
    TopiClient.void_offer,
    OFFER_EDGES,
    _Wording(
        timeout=gettext_lazy(
            "topi did not answer in time, so it is not known whether %(name)s was voided. "
            "Re-sync it before you try again."
        ),
        refused=gettext_lazy("topi refused to void %(name)s: %(topi)s"),
        unreadable=gettext_lazy(
            "topi answered something django-topi cannot read, so it is not known whether "
            "%(name)s was voided. Re-sync it before you try again."
        ),
        refused_now=gettext_lazy(
            "topi refused to void %(name)s: at topi it is %(status)s (%(topi)s). "
            "django-topi has re-synced it."
        ),
        refused_unsynced=gettext_lazy(
            "topi refused to void %(name)s (%(topi)s), and django-topi could not re-sync it to "
            "see why: %(error)s"
        ),
        done_unread=gettext_lazy(
            "topi voided %(name)s, but django-topi could not read the new status (%(error)s). "
            "Re-sync it to see."
        ),
        not_allowed=gettext_lazy(
            "Offer %(name)s is %(status)s here; only offers that are %(allowed)s can be voided."
        ),
    ),
)
SHIP_WORDS = _Wording(
    timeout=gettext_lazy(
        "topi did not answer in time, so it is not known whether the shipment of %(name)s went "
        "through. Re-sync it before you try again."
    ),
    refused=gettext_lazy("topi refused to ship %(name)s: %(topi)s"),
    unreadable=gettext_lazy(
        "topi answered something django-topi cannot read, so it is not known whether the "
        "shipment of %(name)s went through. Re-sync it before you try again."
    ),
    refused_now=gettext_lazy(
        "topi refused to ship %(name)s: at topi it is %(status)s (%(topi)s). "
        "django-topi has re-synced it."
    ),
    refused_unsynced=gettext_lazy(
        "topi refused to ship %(name)s (%(topi)s), and django-topi could not re-sync it to see "
        "why: %(error)s"
    ),
)
RESYNC_WORDS = _Wording(
    timeout=gettext_lazy(
        "topi did not answer in time, so %(name)s was not re-synced. Try again in a few minutes."
    ),
    refused=gettext_lazy("topi refused to send %(name)s: %(topi)s"),
    unreadable=gettext_lazy(
        "topi answered something django-topi cannot read, so %(name)s was not re-synced."
    ),
)


def acknowledge(order: Order, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[Order]:
    """Confirm to topi that the order can be fulfilled (only from ``created``)."""
    return _act(order, ACKNOWLEDGE, user, origin)


def confirm(order: Order, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[Order]:
    """Accept the order (topi's acceptOrder): activates the rental contracts."""
    return _act(order, CONFIRM, user, origin)


def reject(
    order: Order, user: Any = None, reason: str = "", *, origin: str = Origin.ADMIN
) -> Outcome[Order]:
    """Reject an order the shop cannot fulfil; ``reason`` is kept locally (topi takes none)."""
    outcome = _act(order, REJECT, user, origin)
    reason = reason.strip()
    if reason and (not outcome.already or not outcome.instance.rejection_reason):
        Order.objects.filter(pk=outcome.instance.pk).update(rejection_reason=reason)
        outcome.instance.rejection_reason = reason
    return outcome


def void(offer: Offer, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[Offer]:
    """Void an offer at topi (any open one; topi refuses accepted offers)."""
    return _act(offer, VOID, user, origin)


def resolve_conflict(obj: R, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[R]:
    """Staff settled the row's conflict: clear it; its timeline keeps who did, when, and what."""
    if not clear_conflict(obj, origin, user):
        return Outcome(
            obj, _("%(name)s has no conflict to resolve.") % {"name": _title(obj)}, already=True
        )
    return Outcome(
        obj, _("The conflict on %(name)s is marked resolved.") % {"name": _noun(obj)}, changed=True
    )


def resync(obj: R, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[R]:
    """Fetch the order or offer from topi and apply it; a draft offer is looked up by reference."""
    _check_environment(obj)
    result: SyncResult[R]
    try:
        result = _fetch(obj, user, origin)
    except TopiError as exc:
        raise _topi_failed(obj, exc, RESYNC_WORDS, "re-sync") from exc
    except PayloadError as exc:
        raise FulfilmentError(
            TOPI_REFUSED,
            _("topi's answer for %(name)s could not be applied: %(error)s")
            % {"name": _title(obj), "error": exc},
            instance=obj,
        ) from exc
    instance = result.instance
    if result.steps:
        message = _("%(name)s re-synced from topi: %(steps)s.") % {
            "name": _title(instance),
            "steps": " → ".join(_label(instance, status) for status in result.statuses),
        }
    else:
        message = _("%(name)s re-synced from topi: it is %(status)s.") % {
            "name": _title(instance),
            "status": instance.get_status_display(),
        }
    if result.conflict:
        message = _("%(message)s Conflict: %(conflict)s") % {
            "message": message,
            "conflict": result.conflict,
        }
    logger.info(
        "%s %s re-synced from topi by %s (origin %s): %s",
        _kind(instance), instance.topi_id, _username(user), origin, instance.status,
    )  # fmt: skip
    return Outcome(instance, message, changed=result.changed, warning=bool(result.conflict))


def _act(instance: R, action: _Action, user: Any, origin: str) -> Outcome[R]:
    _check_environment(instance)
    _check_at_topi(instance)
    if instance.status == action.target:
        # Only sync moves a status, so topi said so: a repeated click is done, not an error.
        return Outcome(instance, str(action.already) % {"name": _name(instance)}, already=True)
    if not can_proceed(getattr(instance, action.transition)):
        raise _invalid_state(instance, action)
    try:
        answer = action.call(get_client(), str(instance.topi_id))
    except TopiUnprocessable as exc:
        return _after_refusal(instance, action.words, action.transition, exc, user, action)
    except TopiError as exc:
        raise _topi_failed(instance, exc, action.words, action.transition) from exc
    logger.info(
        "%s %s: %s at topi by %s (origin %s)",
        _kind(instance), instance.topi_id, action.transition, _username(user), origin,
    )  # fmt: skip
    try:
        result = _apply(instance, answer, origin, user)
    except PayloadError:
        # topi did it but answered something sync cannot read: ask for the whole object.
        return _refetch_after_success(instance, action, user, origin)
    fresh = result.instance
    if fresh.status == action.target:
        message = str(action.done) % {"name": _name(fresh)}
    else:
        message = _("topi took the request; %(name)s is now %(status)s.") % {
            "name": _title(fresh),
            "status": fresh.get_status_display(),
        }
    return Outcome(fresh, message, changed=result.changed)


def _refetch_after_success(instance: R, action: _Action, user: Any, origin: str) -> Outcome[R]:
    try:
        fresh = _fetch(instance, user, origin).instance
    except (TopiError, PayloadError) as exc:
        logger.warning(
            "%s %s: re-sync after %s failed: %s",
            _kind(instance), instance.topi_id, action.transition, exc,
        )  # fmt: skip
        message = str(action.words.done_unread) % {"name": _noun(instance), "error": exc}
        return Outcome(instance, message, warning=True)
    return Outcome(fresh, str(action.done) % {"name": _name(fresh)}, changed=True)


def _after_refusal(
    instance: R,
    wording: _Wording,
    operation: str,
    exc: TopiUnprocessable,
    user: Any,
    action: _Action | None = None,
) -> Outcome[R]:
    """topi refused (422): re-sync, then report the real status (or that it is done already)."""
    logger.warning(
        "%s %s: topi refused to %s: %s", _kind(instance), instance.topi_id, operation, exc
    )
    words = _topi_words(exc)
    try:
        fresh = _fetch(instance, user, Origin.SYNC).instance
    except (TopiError, PayloadError) as resync_exc:
        raise FulfilmentError(
            INVALID_STATUS,
            str(wording.refused_unsynced)
            % {"name": _noun(instance), "topi": words, "error": resync_exc},
            instance=instance,
        ) from exc
    if action is not None and fresh.status == action.target:
        return Outcome(fresh, str(action.already) % {"name": _name(fresh)}, already=True)
    sentence = wording.refused_now
    if action is REJECT and fresh.status in TOO_LATE_TO_REJECT:
        sentence = REJECT_TOO_LATE_AT_TOPI
    raise FulfilmentError(
        INVALID_STATUS,
        str(sentence)
        % {
            "name": _noun(fresh),
            "status": fresh.get_status_display(),
            "topi": words,
            "support": TOPI_SUPPORT,
        },
        instance=fresh,
    ) from exc


# -- shipping ------------------------------------------------------------------------------------


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
    _check_environment(order)
    _check_at_topi(order)
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
                % {"name": _title(locked), "status": locked.get_status_display()},
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
        _after_refusal(locked, SHIP_WORDS, "ship", failure, user)  # always raises: no target
    if failure is not None:
        raise _topi_failed(locked, failure, SHIP_WORDS, "ship") from failure
    logger.info(
        "order %s: shipment of %d unit(s) sent to topi by %s (origin %s)",
        locked.topi_id, len(entries), _username(user), origin,
    )  # fmt: skip
    try:
        fresh = _fetch(locked, user, origin).instance
    except (TopiError, PayloadError) as exc:
        logger.warning("order %s: re-sync after the shipment failed: %s", locked.topi_id, exc)
        message = _(
            "%(count)d item(s) of order %(name)s were shipped at topi, but the order could not "
            "be re-synced (%(error)s). Re-sync it later to see its new status."
        ) % {"count": len(entries), "name": _name(locked), "error": exc}
        return Outcome(locked, message, changed=True, warning=True)
    message = _("%(count)d item(s) of order %(name)s shipped at topi; the order is %(status)s.") % {
        "count": len(entries),
        "name": _name(fresh),
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


def dashboard_url(offer: Offer | None) -> str | None:
    """topi's own page for the offer: ``seller_offer_redirect_url`` from topi's payload.

    topi does not document the field (API-NOTES §7.7); it is the seller's link to the offer in
    topi's dashboard, so it is shown only when topi sent an http(s) URL, never built by hand.
    """
    if offer is None or not isinstance(offer.raw, dict):
        return None
    url = offer.raw.get("seller_offer_redirect_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


# -- shared --------------------------------------------------------------------------------------


def _fetch(instance: R, user: Any, origin: str) -> SyncResult[R]:
    client = get_client()
    if isinstance(instance, Order):
        return apply_order_payload(client.get_order(str(instance.topi_id)), origin, user=user)
    if instance.topi_id:
        payload = client.get_offer(instance.topi_id)
    else:
        payload = client.get_offer_by_reference(instance.seller_offer_reference)
    return apply_offer_payload(payload, origin, user=user)


def _apply(instance: Offer | Order, answer: Any, origin: str, user: Any) -> SyncResult[Any]:
    if isinstance(instance, Order):
        return apply_order_payload(answer, origin, user=user)
    return apply_offer_payload(answer, origin, user=user)


def _check_environment(instance: Offer | Order) -> None:
    if instance.environment != topi_settings.ENVIRONMENT:
        raise FulfilmentError(
            WRONG_ENVIRONMENT,
            _(
                "%(name)s belongs to topi's %(theirs)s environment, but django-topi is set up "
                "for %(ours)s (TOPI['ENVIRONMENT']), so topi cannot be asked about it here."
            )
            % {
                "name": _title(instance),
                "theirs": instance.environment,
                "ours": topi_settings.ENVIRONMENT,
            },
            instance=instance,
        )


def _check_at_topi(instance: Offer | Order) -> None:
    if not instance.topi_id:
        raise FulfilmentError(
            NOT_AT_TOPI,
            _("%(name)s is a draft: topi does not know it yet, so there is nothing to do there.")
            % {"name": _title(instance)},
            instance=instance,
        )


def _invalid_state(instance: Offer | Order, action: _Action) -> FulfilmentError:
    allowed = [_label(instance, status) for status in sources_of(action.edges, action.transition)]
    sentence = action.words.not_allowed
    if action is REJECT and instance.status in TOO_LATE_TO_REJECT:
        sentence = REJECT_TOO_LATE_HERE
    return FulfilmentError(
        INVALID_STATE,
        str(sentence)
        % {
            "name": _name(instance),
            "status": instance.get_status_display(),
            "allowed": _(" or ").join(allowed),
            "support": TOPI_SUPPORT,
        },
        instance=instance,
    )


def _topi_failed(
    instance: Offer | Order, exc: TopiError, wording: _Wording, operation: str
) -> FulfilmentError:
    """The error for a call that failed; nothing changed locally."""
    names = {"name": _noun(instance)}
    if isinstance(exc, TopiUnavailable) and exc.timeout:
        code = UNAVAILABLE
        message = str(wording.timeout)
    elif isinstance(exc, TopiUnavailable):
        code = UNAVAILABLE
        message = _(
            "topi cannot be reached right now, so %(name)s was left as it is. Try again in a few "
            "minutes."
        )
    elif isinstance(exc, TopiConfigurationError) and exc.status not in CREDENTIAL_REFUSALS:
        code = TOPI_AUTH
        message = _(
            "django-topi cannot use topi's token endpoint (%(problem)s), so %(name)s was left as "
            "it is. Check TOPI['ENVIRONMENT'] and TOPI['TOKEN_URL']."
        )
        names.update(problem=exc.message)
    elif isinstance(exc, TopiAuthError):
        code = TOPI_AUTH
        message = _(
            "topi refused django-topi's credentials (HTTP %(status)s), so %(name)s was left as "
            "it is. Check TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET'] for the %(environment)s "
            "environment."
        )
    elif isinstance(exc, TopiNotFound):
        code = NOT_FOUND_AT_TOPI
        message = _(
            "topi does not know %(name)s (topi id %(id)s) in its %(environment)s environment."
        )
    elif isinstance(exc, TopiAPIError):
        code = TOPI_REFUSED
        message = str(wording.refused)
    else:
        code = TOPI_REFUSED
        message = str(wording.unreadable)
    if isinstance(exc, TopiAPIError):
        names.update(status=str(exc.status), topi=_topi_words(exc))
    names.update(id=str(instance.topi_id), environment=topi_settings.ENVIRONMENT)
    log = logger.error if code == TOPI_AUTH else logger.warning
    log("%s %s: %s failed: %s", _kind(instance), instance.topi_id, operation, exc)
    return FulfilmentError(code, message % names, instance=instance)


def _topi_words(exc: TopiAPIError) -> str:
    """topi's own name and message for an error, for staff to read or pass on to topi."""
    status = f"HTTP {exc.status}" if exc.status is not None else ""
    name = f"{exc.name}: " if exc.name else ""
    return f"{status} {name}{exc.message}".strip()


def _kind(instance: Offer | Order) -> str:
    return "order" if isinstance(instance, Order) else "offer"


def _name(instance: Offer | Order) -> str:
    return instance.seller_offer_reference or str(instance.topi_id or instance.pk)


def _noun(instance: Offer | Order) -> str:
    """``order SO-1`` / ``offer SO-1``, inside a sentence."""
    if isinstance(instance, Order):
        return _("order %(name)s") % {"name": _name(instance)}
    return _("offer %(name)s") % {"name": _name(instance)}


def _title(instance: Offer | Order) -> str:
    """``Order SO-1`` / ``Offer SO-1``."""
    if isinstance(instance, Order):
        return _("Order %(name)s") % {"name": _name(instance)}
    return _("Offer %(name)s") % {"name": _name(instance)}


def _label(instance: Offer | Order, status: str) -> str:
    choices: Iterable[tuple[Any, Any]] = type(instance)._meta.get_field("status").choices or ()
    return str(dict(choices).get(status, status))


def _username(user: Any) -> str:
    getter = getattr(user, "get_username", None)
    return str(getter()) if callable(getter) and getattr(user, "pk", None) else "nobody"


__all__ = [
    "INVALID_SHIPMENT",
    "INVALID_STATE",
    "INVALID_STATUS",
    "NOT_AT_TOPI",
    "NOT_FOUND_AT_TOPI",
    "TOPI_AUTH",
    "TOPI_REFUSED",
    "UNAVAILABLE",
    "WRONG_ENVIRONMENT",
    "FulfilmentError",
    "Outcome",
    "ShipmentItem",
    "ShippableUnit",
    "acknowledge",
    "can_ship",
    "confirm",
    "dashboard_url",
    "reject",
    "resync",
    "ship",
    "shippable_units",
    "void",
]
