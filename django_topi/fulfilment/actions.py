"""The operations on one order or offer at topi: acknowledge, confirm, reject, void, re-sync,
and marking a conflict resolved. Each asks topi, then hands topi's answer to ``django_topi.sync``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from django_topi.client import (
    TopiClient,
    TopiError,
    TopiUnprocessable,
    get_client,
)
from django_topi.fulfilment.errors import (
    INVALID_STATE,
    INVALID_STATUS,
    TOPI_REFUSED,
    FulfilmentError,
    Outcome,
    R,
    check_at_topi,
    check_environment,
    topi_failed,
)
from django_topi.fulfilment.words import (
    ACKNOWLEDGE_WORDS,
    CONFIRM_WORDS,
    REJECT_TOO_LATE_AT_TOPI,
    REJECT_TOO_LATE_HERE,
    REJECT_WORDS,
    RESYNC_WORDS,
    TOPI_SUPPORT,
    VOID_WORDS,
    Wording,
    kind,
    label,
    name_of,
    noun,
    title,
    topi_words,
    username,
)
from django_topi.models import Offer, Order, Origin
from django_topi.states import (
    OFFER_EDGES,
    ORDER_EDGES,
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

#: Every part of fulfilment logs as "django_topi.fulfilment".
logger = logging.getLogger("django_topi.fulfilment")


@dataclass(frozen=True)
class Action:
    transition: str  # the model's django-fsm transition, and the name of the operation
    done: Any  # lazily translated sentences with %(name)s (the reference)
    already: Any
    call: Callable[[TopiClient, str], Any]
    edges: tuple[Edge, ...]
    words: Wording

    @property
    def target(self) -> str:
        return target_of(self.edges, self.transition)


ACKNOWLEDGE = Action(
    "acknowledge",
    gettext_lazy("Order %(name)s is acknowledged at topi."),
    gettext_lazy("Order %(name)s was already acknowledged at topi."),
    TopiClient.acknowledge_order,
    ORDER_EDGES,
    ACKNOWLEDGE_WORDS,
)
CONFIRM = Action(
    "confirm",
    gettext_lazy("Order %(name)s is confirmed at topi: its rental contracts are active."),
    gettext_lazy("Order %(name)s was already confirmed at topi."),
    TopiClient.accept_order,
    ORDER_EDGES,
    CONFIRM_WORDS,
)
REJECT = Action(
    "reject",
    gettext_lazy("Order %(name)s is rejected at topi."),
    gettext_lazy("Order %(name)s was already rejected at topi."),
    TopiClient.reject_order,
    ORDER_EDGES,
    REJECT_WORDS,
)
#: topi: "You can reject from created or acknowledged, but not after the order is confirmed."
#: For those, topi's advice is its support: the staff message says so in whole sentences.
TOO_LATE_TO_REJECT = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED}
)
VOID = Action(
    "void",
    gettext_lazy("Offer %(name)s is voided at topi."),
    gettext_lazy("Offer %(name)s was already voided at topi."),
    TopiClient.void_offer,
    OFFER_EDGES,
    VOID_WORDS,
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
            obj, _("%(name)s has no conflict to resolve.") % {"name": title(obj)}, already=True
        )
    return Outcome(
        obj, _("The conflict on %(name)s is marked resolved.") % {"name": noun(obj)}, changed=True
    )


def resync(obj: R, user: Any = None, *, origin: str = Origin.ADMIN) -> Outcome[R]:
    """Fetch the order or offer from topi and apply it; a draft offer is looked up by reference."""
    check_environment(obj)
    result: SyncResult[R]
    try:
        result = fetch(obj, user, origin)
    except TopiError as exc:
        raise topi_failed(obj, exc, RESYNC_WORDS, "re-sync") from exc
    except PayloadError as exc:
        raise FulfilmentError(
            TOPI_REFUSED,
            _("topi's answer for %(name)s could not be applied: %(error)s")
            % {"name": title(obj), "error": exc},
            instance=obj,
        ) from exc
    instance = result.instance
    if result.steps:
        message = _("%(name)s re-synced from topi: %(steps)s.") % {
            "name": title(instance),
            "steps": " → ".join(label(instance, status) for status in result.statuses),
        }
    else:
        message = _("%(name)s re-synced from topi: it is %(status)s.") % {
            "name": title(instance),
            "status": instance.get_status_display(),
        }
    if result.conflict:
        message = _("%(message)s Conflict: %(conflict)s") % {
            "message": message,
            "conflict": result.conflict,
        }
    logger.info(
        "%s %s re-synced from topi by %s (origin %s): %s",
        kind(instance), instance.topi_id, username(user), origin, instance.status,
    )  # fmt: skip
    return Outcome(instance, message, changed=result.changed, warning=bool(result.conflict))


def _act(instance: R, action: Action, user: Any, origin: str) -> Outcome[R]:
    check_environment(instance)
    check_at_topi(instance)
    if instance.status == action.target:
        # Only sync moves a status, so topi said so: a repeated click is done, not an error.
        return Outcome(instance, str(action.already) % {"name": name_of(instance)}, already=True)
    if not can_proceed(getattr(instance, action.transition)):
        raise invalid_state(instance, action)
    try:
        answer = action.call(get_client(), str(instance.topi_id))
    except TopiUnprocessable as exc:
        return after_refusal(instance, action.words, action.transition, exc, user, action)
    except TopiError as exc:
        raise topi_failed(instance, exc, action.words, action.transition) from exc
    logger.info(
        "%s %s: %s at topi by %s (origin %s)",
        kind(instance), instance.topi_id, action.transition, username(user), origin,
    )  # fmt: skip
    try:
        result = apply(instance, answer, origin, user)
    except PayloadError:
        # topi did it but answered something sync cannot read: ask for the whole object.
        return refetch_after_success(instance, action, user, origin)
    fresh = result.instance
    if fresh.status == action.target:
        message = str(action.done) % {"name": name_of(fresh)}
    else:
        message = _("topi took the request; %(name)s is now %(status)s.") % {
            "name": title(fresh),
            "status": fresh.get_status_display(),
        }
    return Outcome(fresh, message, changed=result.changed)


def refetch_after_success(instance: R, action: Action, user: Any, origin: str) -> Outcome[R]:
    try:
        fresh = fetch(instance, user, origin).instance
    except (TopiError, PayloadError) as exc:
        logger.warning(
            "%s %s: re-sync after %s failed: %s",
            kind(instance), instance.topi_id, action.transition, exc,
        )  # fmt: skip
        message = str(action.words.done_unread) % {"name": noun(instance), "error": exc}
        return Outcome(instance, message, warning=True)
    return Outcome(fresh, str(action.done) % {"name": name_of(fresh)}, changed=True)


def after_refusal(
    instance: R,
    wording: Wording,
    operation: str,
    exc: TopiUnprocessable,
    user: Any,
    action: Action | None = None,
) -> Outcome[R]:
    """topi refused (422): re-sync, then report the real status (or that it is done already)."""
    logger.warning(
        "%s %s: topi refused to %s: %s", kind(instance), instance.topi_id, operation, exc
    )
    words = topi_words(exc)
    try:
        fresh = fetch(instance, user, Origin.SYNC).instance
    except (TopiError, PayloadError) as resync_exc:
        raise FulfilmentError(
            INVALID_STATUS,
            str(wording.refused_unsynced)
            % {"name": noun(instance), "topi": words, "error": resync_exc},
            instance=instance,
        ) from exc
    if action is not None and fresh.status == action.target:
        return Outcome(fresh, str(action.already) % {"name": name_of(fresh)}, already=True)
    raise refusal(
        INVALID_STATUS, wording.refused_now, REJECT_TOO_LATE_AT_TOPI, fresh, action,
        name=noun(fresh), topi=words,
    ) from exc  # fmt: skip


def invalid_state(instance: Offer | Order, action: Action) -> FulfilmentError:
    allowed = [label(instance, status) for status in sources_of(action.edges, action.transition)]
    return refusal(
        INVALID_STATE, action.words.not_allowed, REJECT_TOO_LATE_HERE, instance, action,
        name=name_of(instance), allowed=_(" or ").join(allowed),
    )  # fmt: skip


def refusal(
    code: str,
    sentence: Any,
    too_late_to_reject: Any,
    instance: Offer | Order,
    action: Action | None,
    **words: Any,
) -> FulfilmentError:
    """The error that says why ``action`` cannot be done in the instance's status; a reject
    that comes too late says so, with whom to ask."""
    if action is REJECT and instance.status in TOO_LATE_TO_REJECT:
        sentence = too_late_to_reject
    values = {"status": instance.get_status_display(), "support": TOPI_SUPPORT, **words}
    return FulfilmentError(code, str(sentence) % values, instance=instance)


def fetch(instance: R, user: Any, origin: str) -> SyncResult[R]:
    client = get_client()
    if isinstance(instance, Order):
        return apply_order_payload(client.get_order(str(instance.topi_id)), origin, user=user)
    if instance.topi_id:
        payload = client.get_offer(instance.topi_id)
    else:
        payload = client.get_offer_by_reference(instance.seller_offer_reference)
    return apply_offer_payload(payload, origin, user=user)


def apply(instance: Offer | Order, answer: Any, origin: str, user: Any) -> SyncResult[Any]:
    if isinstance(instance, Order):
        return apply_order_payload(answer, origin, user=user)
    return apply_offer_payload(answer, origin, user=user)


def dashboard_url(offer: Offer | None) -> str | None:
    """topi's own page for the offer: ``seller_offer_redirect_url`` from topi's payload.

    topi does not document the field (API-NOTES §7.7); it is the seller's link to the offer in
    topi's dashboard, so it is shown only when topi sent an http(s) URL, never built by hand.
    """
    if offer is None or not isinstance(offer.raw, dict):
        return None
    url = offer.raw.get("seller_offer_redirect_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
