"""THE one door for topi's truth: a topi payload becomes rows, status steps, audit rows and signals.

Every piece of topi state enters here, whoever brought it: the webhook, the customer's return,
the admin's re-sync, ``topi_sync`` and each fulfilment call. Nothing else writes a status.

Rules, whatever order and however often payloads arrive:

* a row is found by ``topi_id`` (a draft offer by its ``seller_offer_reference``), or created;
* the reported status is reached by walking the documented graph (``django_topi.states``), one
  logged step and one ``StatusChange`` row per edge; a row never moves backwards and never
  leaves a terminal status;
* a report older than what is known (a late webhook) changes nothing;
* a report the graph cannot reach is recorded on the row as a conflict and logged, not applied;
* an accepted offer whose total or currency differs from what the shop sent is a conflict;
* a conflict is signalled once when it appears, and cleared by a later report that fits;
* the same payload twice changes nothing and signals nothing;
* signals are sent after the transaction commits, once per real change.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from django_topi import signals
from django_topi.conf import topi_settings
from django_topi.ids import TOPI_ID
from django_topi.models import Asset, Offer, Order, StatusChange, WebhookEvent
from django_topi.models.base import Writes, insert_unless_taken, update_unless_changed
from django_topi.rows import (
    after_offer_save,
    early_orders,
    items,
    merge,
    offer_amount_conflict,
    refresh_offer,
    refresh_order,
)
from django_topi.states import (
    OFFER_EDGES,
    OFFER_INITIAL,
    OFFER_STATUS_ALIASES,
    ORDER_EDGES,
    ORDER_INITIAL,
    ORDER_STATUS_ALIASES,
    REPORTED_OFFER_STATUSES,
    REPORTED_ORDER_STATUSES,
    Edge,
    OfferStatus,
    OrderStatus,
    path,
)

logger = logging.getLogger("django_topi.sync")

Payload = Mapping[str, Any]
Record = Offer | Order
#: The ``StatusChange.transition`` of a conflict that staff marked resolved.
RESOLVE_CONFLICT = "resolve_conflict"


class PayloadError(ValueError):
    """The payload is not a topi offer or order django-topi can apply."""


class UnknownStatus(PayloadError):
    """topi reported a status this version of django-topi does not know (yet)."""

    def __init__(self, kind: str, topi_id: str, status: Any) -> None:
        super().__init__(f"topi {kind} {topi_id} has an unknown status {status!r}")
        self.kind = kind
        self.topi_id = topi_id
        self.status = status


R = TypeVar("R", Offer, Order)


@dataclass
class SyncResult(Generic[R]):
    """What applying one payload did."""

    instance: R
    created: bool = False
    steps: tuple[Edge, ...] = ()
    stale: bool = False
    conflict: str = ""
    changed: bool = False

    @property
    def statuses(self) -> list[str]:
        """The walk, status by status: ``["created", "confirmed", "completed"]`` (empty if none)."""
        return [self.steps[0].source, *(edge.target for edge in self.steps)] if self.steps else []


def apply_offer_payload(
    payload: Payload,
    origin: str,
    event: WebhookEvent | None = None,
    user: Any = None,
    draft: Offer | None = None,
    known: Mapping[str, bool] | None = None,
) -> SyncResult[Offer]:
    """Apply a topi offer (createOffer's answer, getOffer, a webhook body) to the local rows.

    ``draft``: the shop's draft whose createOffer (or edit) this payload answers, as the click
    that sent it holds it. It is written without being read again, unless another writer moved
    it meanwhile; and no order can name the offer yet, so none is looked for.

    ``known``: what the caller saw, in this transaction, of ``probes("offer", payload)``. No
    ``"row"``: the offer is inserted without being looked for again (one that another
    transaction inserted meanwhile is found as usual). No ``"early_orders"``: no orders are
    looked for to link to it.
    """
    return _apply(OFFER, payload, origin, event, user, draft, known)


def apply_order_payload(
    payload: Payload,
    origin: str,
    event: WebhookEvent | None = None,
    user: Any = None,
    known: Mapping[str, bool] | None = None,
) -> SyncResult[Order]:
    """Apply a topi order (getOrder, an order action's answer, a webhook body) to the local rows.
    ``known`` as for ``apply_offer_payload``."""
    return _apply(ORDER, payload, origin, event, user, known=known)


def probes(kind: str, payload: Payload) -> dict[str, tuple[str, list[Any]]]:
    """What sync would look up for a ``kind`` ("offer" or "order") payload, as SQL boolean
    expressions with their parameters, for a caller that can ask them in a statement it sends
    anyway (the webhook's event insert): ``"row"``, whether the offer or order exists (by topi
    id, or an offer's draft by reference); for an offer, ``"early_orders"``, whether orders
    that arrived before it wait to be linked. Pass the answers to ``apply_*_payload(known=)``.
    Empty for a payload without a valid id."""
    topi_id = payload.get("id") if isinstance(payload, Mapping) else None
    if not isinstance(topi_id, str) or not TOPI_ID.match(topi_id):
        return {}
    values = {
        "topi_id": topi_id,
        "reference": str(payload.get("seller_offer_reference") or ""),
        "environment": topi_settings.ENVIRONMENT,
    }
    names = ("row", "early_orders") if kind == OFFER.name else ("row",)
    return {name: _probe(f"{kind}.{name}", values) for name in names}


def _probe(name: str, values: Mapping[str, str]) -> tuple[str, list[Any]]:
    sql, slots = _compiled_probe(name, bool(values["reference"]))
    return sql, [values[slot[1]] if slot[0] is _SLOT else slot[1] for slot in slots]


_SLOT = object()
_MARK = "\x00probe:"
_PROBE_QUERIES: dict[str, Callable[[str, str, str], QuerySet[Any]]] = {
    "offer.row": lambda topi_id, reference, environment: Offer.objects.filter(
        _match(OFFER, topi_id, {"seller_offer_reference": reference}, environment)
    ),
    "order.row": lambda topi_id, reference, environment: Order.objects.filter(topi_id=topi_id),
    "offer.early_orders": lambda topi_id, reference, environment: Order.objects.filter(
        early_orders(topi_id, reference), offer__isnull=True, environment=environment
    ),
}


@functools.lru_cache(maxsize=16)
def _compiled_probe(name: str, with_reference: bool) -> tuple[str, tuple[tuple[Any, Any], ...]]:
    """``EXISTS(...)`` for the probe ``name``, compiled once: the ORM would build the same SQL on
    every delivery. Its parameters are slots for the values, or constants of the query."""
    queryset = _PROBE_QUERIES[name](
        _MARK + "topi_id", _MARK + "reference" if with_reference else "", _MARK + "environment"
    )
    sql, params = queryset.values("pk")[:1].query.sql_with_params()
    slots = tuple(
        (_SLOT, p.removeprefix(_MARK)) if isinstance(p, str) and p.startswith(_MARK) else (None, p)
        for p in params
    )
    return f"EXISTS({sql})", slots


def record_draft(offer: Offer, origin: str, user: Any = None) -> None:
    """Write the first line of a draft offer's timeline (the shop saved it; topi has not answered)."""
    StatusChange.objects.create(
        offer=offer,
        source="",
        target=offer.status,
        origin=origin,
        user=user if getattr(user, "pk", None) else None,
    )


# -- the walk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    model: type[Record]
    edges: tuple[Edge, ...]
    initial: str
    aliases: Mapping[str, str]
    reportable: frozenset[str]
    refresh: Callable[[Any, Payload], None]
    after_save: Callable[[Any, Payload, Payload, bool, bool, Writes], None]
    check: Callable[[Any], str]
    changed_signal: Signal
    conflict_signal: Signal
    target_signals: Mapping[str, Signal] = field(default_factory=dict)
    created_signal: Signal | None = None


def _apply(
    kind: _Kind,
    payload: Payload,
    origin: str,
    event: WebhookEvent | None,
    user: Any,
    draft: Offer | None = None,
    known: Mapping[str, bool] | None = None,
) -> SyncResult[Any]:
    topi_id, reported = _read(kind, payload)
    status = kind.aliases.get(reported, reported)
    environment = topi_settings.ENVIRONMENT
    # No savepoint inside a caller's transaction (a webhook's): it would cost two statements on
    # every delivery, and a failure here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False):
        if draft is not None and draft.topi_id is None and draft.status == OfferStatus.DRAFT:
            # The click holds the draft as it wrote it, so the row is not read again: it is
            # written only if it is still a draft that nothing has synced.
            draft.topi_id = topi_id
            result = _walk(
                kind, draft, False, topi_id, status, payload, origin, event, user,
                answered=True, link_early_orders=False,
            )  # fmt: skip
            if result is not None:
                return result
            # A webhook, or another click, synced the draft meanwhile: apply to it as it now is.
        for attempt in range(2):
            if known and known.get("row") is False and not attempt:  # none, as just seen
                instance, created = _new(kind, topi_id, payload, environment), True
            else:
                instance, created = _lock_or_new(kind, topi_id, payload, environment)
            result = _walk(
                kind, instance, created, topi_id, status, payload, origin, event, user,
                link_early_orders=not known or known.get("early_orders") is not False,
            )  # fmt: skip
            if result is not None:
                return result
            # Another worker inserted the row a moment ago: apply to it as it now is.
    raise IntegrityError(f"topi {kind.name} {topi_id} could not be inserted")


def _walk(
    kind: _Kind,
    instance: Record,
    created: bool,
    topi_id: str,
    status: str,
    payload: Payload,
    origin: str,
    event: WebhookEvent | None,
    user: Any,
    answered: bool = False,
    link_early_orders: bool = True,
) -> SyncResult[Any] | None:
    """Walk ``instance`` to ``status`` and keep what topi sent; ``None`` when a new row lost
    the race to insert it, or a draft whose createOffer topi ``answered`` was moved meanwhile.
    ``link_early_orders``: False when no order can be waiting for this offer (topi made it in
    the answer to this very request, or the caller saw there is none)."""
    result: SyncResult[Any] = SyncResult(instance, created=created)
    current = instance.status
    steps = path(kind.edges, current, status)
    if steps is None and path(kind.edges, status, current) is not None:
        result.stale = True
        logger.info(
            "topi %s %s: ignored %r, it is already %r (a late report)",
            kind.name, topi_id, status, current,
        )  # fmt: skip
        if not created:
            return result

    previous_raw = dict(instance.raw)
    merged = merge(previous_raw, payload)
    data_changed = created or merged != previous_raw
    if data_changed:
        instance.raw = merged
        kind.refresh(instance, payload)

    for edge in steps or ():
        getattr(instance, edge.transition)()
        logger.info(
            "topi %s %s: %s -> %s (%s, origin %s)",
            kind.name, topi_id, edge.source, edge.target, edge.transition, origin,
        )  # fmt: skip

    conflict = ""
    if steps is None and not result.stale:
        conflict = (
            f"topi reports status {status!r}, which the documented {kind.name} lifecycle "
            f"cannot reach from {current!r}; the status was left at {current!r}."
        )
    conflict = conflict or kind.check(instance)
    appeared = bool(conflict) and conflict != instance.conflict
    # A report that fits the lifecycle and the amounts settles an earlier conflict.
    cleared = not conflict and bool(instance.conflict) and steps is not None
    if appeared:
        instance.conflict = conflict
        instance.conflict_at = timezone.now()
        logger.warning("topi %s %s: conflict: %s", kind.name, topi_id, conflict)
    elif cleared:
        logger.info(
            "topi %s %s: conflict cleared, topi's report of %r fits: %s",
            kind.name, topi_id, status, instance.conflict,
        )  # fmt: skip
        instance.conflict = ""
        instance.conflict_at = None
    conflict_changed = appeared or cleared

    if created and not insert_unless_taken(instance):
        return None  # another worker inserted it a moment ago
    if not created and (data_changed or steps or conflict_changed):
        if not answered:
            instance.save()
        elif not update_unless_changed(instance, status=current, topi_id__isnull=True):
            return None  # the draft is no longer as its click held it
    # What follows the row's own write reads nothing back: one round trip on PostgreSQL.
    writes = Writes(instance._state.db or "default")
    if data_changed:
        kind.after_save(instance, payload, previous_raw, created, link_early_orders, writes)
    _record_steps(kind, instance, created, steps or [], origin, event, user, writes)
    writes.send()
    walked = (kind, instance, created, tuple(steps or ()), origin, user, event)
    transaction.on_commit(partial(_send_signals, *walked, conflict if appeared else ""))
    result.steps = tuple(steps or ())
    result.conflict = conflict
    result.changed = bool(data_changed or steps or conflict_changed)
    return result


def _read(kind: _Kind, payload: Payload) -> tuple[str, str]:
    if not isinstance(payload, Mapping):
        raise PayloadError(f"a topi {kind.name} is a JSON object, not {type(payload).__name__}")
    topi_id = payload.get("id")
    if not isinstance(topi_id, str) or not TOPI_ID.match(topi_id):
        raise PayloadError(f"the topi {kind.name} has no valid 'id' ({topi_id!r})")
    status = payload.get("status")
    if status not in kind.reportable:
        raise UnknownStatus(kind.name, topi_id, status)
    return topi_id, str(status)


def _match(kind: _Kind, topi_id: str, payload: Payload, environment: str) -> Q:
    """The row for ``topi_id``, or else the shop's draft for the payload's reference."""
    match = Q(topi_id=topi_id)
    reference = str(payload.get("seller_offer_reference") or "")
    if kind.model is Offer and reference:
        match |= Q(topi_id__isnull=True, seller_offer_reference=reference, environment=environment)
    return match


def _lock_or_new(kind: _Kind, topi_id: str, payload: Payload, environment: str) -> tuple[Any, bool]:
    """The row for ``topi_id`` (else the shop's draft for the payload's reference), locked until
    the transaction ends, in one query; else a new row, not saved yet (``created``)."""
    match = _match(kind, topi_id, payload, environment)
    rows: list[Record] = list(
        kind.model.objects.select_for_update().filter(match).order_by("-created_at", "-pk")
    )
    found = next((row for row in rows if row.topi_id == topi_id), None)
    if found is not None:
        return found, False
    if rows:  # the shop's draft, sent to topi but not yet answered: topi's answer is this
        rows[0].topi_id = topi_id
        return rows[0], False
    return _new(kind, topi_id, payload, environment), True


def _new(kind: _Kind, topi_id: str, payload: Payload, environment: str) -> Any:
    """A new row for ``topi_id``, not saved yet."""
    return kind.model(
        topi_id=topi_id,
        seller_offer_reference=str(payload.get("seller_offer_reference") or ""),
        environment=environment,
        status=kind.initial,
    )


def _record_steps(
    kind: _Kind,
    instance: Record,
    created: bool,
    steps: list[Edge],
    origin: str,
    event: WebhookEvent | None,
    user: Any,
    writes: Writes,
) -> None:
    owner = {kind.name: instance}
    rows = [
        StatusChange(source=edge.source, target=edge.target, transition=edge.transition, **owner)
        for edge in steps
    ]
    if created:
        rows.insert(0, StatusChange(source="", target=kind.initial, **owner))
    for row in rows:
        row.origin = origin
        row.webhook_event = event
        row.user = user if getattr(user, "pk", None) else None
    writes.insert(rows)


def _send_signals(
    kind: _Kind,
    instance: Record,
    created: bool,
    steps: tuple[Edge, ...],
    origin: str,
    user: Any,
    event: WebhookEvent | None,
    new_conflict: str,
) -> None:
    common = {"instance": instance, "origin": origin, "user": user, "event": event}
    if created and kind.created_signal is not None:
        _send(kind.created_signal, kind.model, **common)
    for edge in steps:
        _send(kind.changed_signal, kind.model, source=edge.source, target=edge.target, **common)
        specific = kind.target_signals.get(edge.target)
        if specific is not None:
            _send(
                specific,
                kind.model,
                source=edge.source,
                target=edge.target,
                conflict=instance.conflict,
                **common,
            )
    if new_conflict:
        _send(kind.conflict_signal, kind.model, conflict=new_conflict, **common)


def resolve_conflict(instance: Record, origin: str, user: Any = None) -> str:
    """Staff settled the row's conflict: clear it, and keep who, when and what in its timeline.

    Answers the conflict that was cleared ("" if there was none).
    """
    kind = OFFER if isinstance(instance, Offer) else ORDER
    with transaction.atomic():
        locked = kind.model.objects.select_for_update().get(pk=instance.pk)
        conflict = locked.conflict
        if conflict:
            kind.model.objects.filter(pk=locked.pk).update(
                conflict="", conflict_at=None, updated_at=timezone.now()
            )
            StatusChange.objects.create(
                source=locked.status,
                target=locked.status,
                transition=RESOLVE_CONFLICT,
                origin=origin,
                user=user if getattr(user, "pk", None) else None,
                note=conflict,
                **{kind.name: locked},
            )
    if conflict:
        logger.info(
            "topi %s %s: conflict marked resolved by %s (origin %s): %s",
            kind.name, locked.topi_id, getattr(user, "username", "") or "-", origin, conflict,
        )  # fmt: skip
    instance.conflict, instance.conflict_at = "", None
    return conflict


def _send(signal: Signal, sender: type[models.Model], **kwargs: Any) -> None:
    for receiver, response in signal.send_robust(sender=sender, **kwargs):
        if isinstance(response, Exception):
            logger.error("a django-topi signal receiver failed: %r", receiver, exc_info=response)


# -- assets: a unit's status is a status too, so it is written here ---------------------------

ASSET_FIELDS = ["order", "product_id", "title", "status", "serial_number", "tracking_url",
                "product_references", "raw"]  # fmt: skip


def _after_order_save(
    order: Order,
    payload: Payload,
    previous_raw: Payload,
    created: bool,
    link_early_orders: bool,
    writes: Writes,
) -> None:
    """Upsert the order's assets in a fixed number of queries, however many units it has."""
    assets = items(payload, "assets")
    if assets is None or assets == previous_raw.get("assets"):
        return
    incoming = {
        asset["id"]: asset
        for asset in assets
        if isinstance(asset, Mapping) and isinstance(asset.get("id"), str)
    }
    existing = {} if created else Asset.objects.in_bulk(list(incoming), field_name="topi_id")
    new: list[Asset] = []
    changed: list[Asset] = []
    for topi_id, asset in incoming.items():
        row = existing.get(topi_id) or Asset(topi_id=topi_id)
        row.order = order
        row.product_id = str(asset.get("product_id") or "")
        row.title = str(asset.get("title") or "")[:500]
        row.status = str(asset.get("status") or "created")
        row.serial_number = str(asset.get("serial_number") or "")
        row.tracking_url = str(asset.get("tracking_url") or "")
        row.product_references = list(asset.get("seller_product_references") or [])
        row.raw = dict(asset)
        (changed if row.pk else new).append(row)
    Asset.objects.bulk_create(new)
    Asset.objects.bulk_update(changed, ASSET_FIELDS)


def _no_conflict(instance: Record) -> str:
    return ""


OFFER: _Kind = _Kind(
    name="offer",
    model=Offer,
    edges=OFFER_EDGES,
    initial=OFFER_INITIAL,
    aliases=OFFER_STATUS_ALIASES,
    reportable=REPORTED_OFFER_STATUSES,
    refresh=refresh_offer,
    after_save=after_offer_save,
    check=offer_amount_conflict,
    changed_signal=signals.offer_status_changed,
    conflict_signal=signals.offer_conflict,
    target_signals={
        OfferStatus.ACCEPTED.value: signals.offer_accepted,
        OfferStatus.DECLINED.value: signals.offer_declined,
    },
)

ORDER: _Kind = _Kind(
    name="order",
    model=Order,
    edges=ORDER_EDGES,
    initial=ORDER_INITIAL,
    aliases=ORDER_STATUS_ALIASES,
    reportable=REPORTED_ORDER_STATUSES,
    refresh=refresh_order,
    after_save=_after_order_save,
    check=_no_conflict,
    changed_signal=signals.order_status_changed,
    conflict_signal=signals.order_conflict,
    target_signals={
        OrderStatus.CANCELED.value: signals.order_canceled,
        OrderStatus.COMPLETED.value: signals.order_completed,
    },
    created_signal=signals.order_created,
)
