"""topi's statuses, spelled exactly as topi spells them, and the documented transition graph.

The graph is data: the models' django-fsm transitions, ``sync``'s path finding, the docs'
diagrams and the tests are all derived from ``OFFER_EDGES`` and ``ORDER_EDGES`` below, so a
change to topi's lifecycle is a change in one place. Sources: API-NOTES §4 (topi's status
tables, risk-review and order pages). Where topi is silent, the choice is marked below.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferStatus(models.TextChoices):
    #: Local only: the shop saved the offer but topi has not answered createOffer yet.
    DRAFT = "draft", _("draft (not sent to topi yet)")
    CREATED = "created", _("created")
    PENDING_REVIEW = "pending_review", _("pending review")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    VOIDED = "voided", _("voided")
    EXPIRED = "expired", _("expired")
    #: Deprecated by topi: its older word for a refused offer, seen on legacy offers.
    REJECTED = "rejected", _("rejected (deprecated)")


class OrderStatus(models.TextChoices):
    CREATED = "created", _("created")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    CONFIRMED = "confirmed", _("confirmed")
    #: In topi's enum, meaning undocumented; treated as ``confirmed`` (see ORDER_STATUS_ALIASES).
    ACCEPTED = "accepted", _("accepted (treated as confirmed)")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("partially fulfilled")
    COMPLETED = "completed", _("completed")
    CANCELED = "canceled", _("canceled")
    REJECTED = "rejected", _("rejected")


class AssetStatus(models.TextChoices):
    CREATED = "created", _("created")
    SHIPPED = "shipped", _("shipped")
    RETURNED = "returned", _("returned")
    COMPLETED = "completed", _("completed")
    REJECTED = "rejected", _("rejected")


class Actor(models.TextChoices):
    """Who moves an edge of the lifecycle."""

    SHOP = "shop", _("the shop (django-topi)")
    CUSTOMER = "customer", _("the customer")
    TOPI = "topi", _("topi")
    STAFF = "staff", _("the shop's staff")


@dataclass(frozen=True)
class Edge:
    """One documented step: ``transition`` is the model method that takes it."""

    source: str
    target: str
    transition: str
    actor: str
    note: str = ""


OFFER_EDGES: tuple[Edge, ...] = (
    Edge("draft", "created", "mark_created", Actor.SHOP, "topi answered createOffer"),
    Edge("created", "pending_review", "begin_review", Actor.CUSTOMER,
         "the customer checked out and topi needs more information"),
    Edge("created", "accepted", "accept", Actor.TOPI, "the customer checked out and topi approved"),
    Edge("pending_review", "accepted", "accept", Actor.TOPI, "topi's risk review approved"),
    Edge("pending_review", "declined", "decline", Actor.TOPI, "topi's risk review declined"),
    Edge("created", "expired", "expire", Actor.TOPI, "expires_at passed"),
    # topi's deprecated word for an offer it refused, still found on legacy offers. Reached
    # from the statuses an offer is open in; never reused by checkout.
    Edge("created", "rejected", "reject", Actor.TOPI, "topi refused the offer (legacy status)"),
    Edge("pending_review", "rejected", "reject", Actor.TOPI,
         "topi refused the offer (legacy status)"),
    # voidOffer: "All offers can be voided except those with status accepted". So every status
    # but accepted (and voided itself) has an edge to voided, the closed ones included: topi may
    # report a void of an offer that had expired or been declined, and that is no conflict.
    Edge("created", "voided", "void", Actor.STAFF, "the shop voided or edited the offer"),
    Edge("pending_review", "voided", "void", Actor.STAFF, "the shop voided the offer"),
    Edge("declined", "voided", "void", Actor.STAFF, "voided after topi declined it"),
    Edge("expired", "voided", "void", Actor.STAFF, "voided after it expired"),
    Edge("rejected", "voided", "void", Actor.STAFF, "voided after topi refused it"),
)  # fmt: skip

ORDER_EDGES: tuple[Edge, ...] = (
    # topi: acknowledging "confirms that the order can be fulfilled"; confirming (acceptOrder)
    # then activates the rental contracts.
    Edge("created", "acknowledged", "acknowledge", Actor.STAFF,
         "the shop confirmed the order can be fulfilled"),
    Edge("created", "confirmed", "confirm", Actor.STAFF, "the shop can fulfil it"),
    Edge("acknowledged", "confirmed", "confirm", Actor.STAFF, "the shop can fulfil it"),
    Edge("created", "rejected", "reject", Actor.STAFF, "the shop cannot fulfil it"),
    Edge("acknowledged", "rejected", "reject", Actor.STAFF, "the shop cannot fulfil it"),
    Edge("confirmed", "partially_fulfilled", "fulfil_partially", Actor.STAFF,
         "some items shipped"),
    Edge("confirmed", "completed", "complete", Actor.STAFF, "every item shipped"),
    Edge("partially_fulfilled", "completed", "complete", Actor.STAFF, "the rest shipped"),
    # topi does not say from which statuses an order can be canceled; every open one is allowed.
    Edge("created", "canceled", "cancel", Actor.TOPI, "canceled by topi or the customer"),
    Edge("acknowledged", "canceled", "cancel", Actor.TOPI, "canceled by topi or the customer"),
    Edge("confirmed", "canceled", "cancel", Actor.TOPI, "canceled by topi or the customer"),
    Edge("partially_fulfilled", "canceled", "cancel", Actor.TOPI,
         "canceled by topi or the customer"),
)  # fmt: skip

#: Where a new row starts: a draft is created by checkout, anything topi reports starts here.
OFFER_INITIAL = OfferStatus.CREATED.value
ORDER_INITIAL = OrderStatus.CREATED.value

#: Statuses topi reports that mean another one.
ORDER_STATUS_ALIASES = {OrderStatus.ACCEPTED.value: OrderStatus.CONFIRMED.value}
OFFER_STATUS_ALIASES: dict[str, str] = {}

#: The statuses django-topi applies when topi reports them (``draft`` is never topi's word).
REPORTED_OFFER_STATUSES = frozenset(OfferStatus.values) - {OfferStatus.DRAFT.value}
REPORTED_ORDER_STATUSES = frozenset(OrderStatus.values)


def terminal_statuses(edges: Iterable[Edge], statuses: Iterable[str]) -> frozenset[str]:
    """The statuses no edge leaves."""
    sources = {edge.source for edge in edges}
    return frozenset(status for status in statuses if status not in sources)


OFFER_TERMINAL = terminal_statuses(OFFER_EDGES, OfferStatus.values)
ORDER_TERMINAL = terminal_statuses(ORDER_EDGES, set(OrderStatus.values) - set(ORDER_STATUS_ALIASES))


def sources_of(edges: Iterable[Edge], transition: str) -> list[str]:
    """The statuses a transition may start from (for the django-fsm decorators)."""
    return [edge.source for edge in edges if edge.transition == transition]


def target_of(edges: Iterable[Edge], transition: str) -> str:
    (target,) = {edge.target for edge in edges if edge.transition == transition}
    return target


def path(edges: Iterable[Edge], source: str, target: str) -> list[Edge] | None:
    """The shortest documented path from ``source`` to ``target``; ``[]`` if equal, else None."""
    if source == target:
        return []
    edges = tuple(edges)
    previous: dict[str, Edge] = {}
    queue = deque([source])
    while queue:
        status = queue.popleft()
        for edge in edges:
            if edge.source != status or edge.target in previous or edge.target == source:
                continue
            previous[edge.target] = edge
            if edge.target == target:
                steps = [edge]
                while steps[0].source != source:
                    steps.insert(0, previous[steps[0].source])
                return steps
            queue.append(edge.target)
    return None


#: Offers the customer can no longer check out: no documented path leads them to ``accepted``.
#: Checkout never sends a customer to one of these.
OFFER_CLOSED = frozenset(
    status
    for status in OfferStatus.values
    if status != OfferStatus.ACCEPTED and path(OFFER_EDGES, status, OfferStatus.ACCEPTED) is None
)
