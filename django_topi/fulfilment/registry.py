"""Every staff operation, declared once.

A ``StaffOperation`` says what the admin, the staff API and the docs need to know about one thing
staff can do to an offer or order at topi: its name and words, the permission it takes, the
fulfilment function that does it, when it applies (from the status graph), and what staff give
(nothing, a reason, or the units of a shipment). The admin's buttons, pages and changelist
actions, the staff API's routes, and the operations table in the docs are all made from
``OPERATIONS``. Adding an operation is one declaration here and its function in ``actions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from django_topi.fulfilment import actions
from django_topi.fulfilment.errors import Outcome
from django_topi.fulfilment.shipping import ShipmentItem, can_ship, ship, shippable_units
from django_topi.models import Offer, Order

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Text

#: What staff give with an operation: nothing, a free-text reason, or a shipment's units.
Input = Literal["", "reason", "shipment"]
#: How a changelist action takes the selected rows: each in turn; only those it applies to;
#: or one row at a time, on the operation's own page.
Bulk = Literal["each", "applicable", "one"]


@dataclass(frozen=True)
class Confirmation:
    """The page that asks before an operation that cannot be undone (``%(name)s``: the
    reference), for one row and for several."""

    title_one: Text
    intro_one: Text
    submit_one: Text
    title_many: Text
    intro_many: Text
    submit_many: Text


@dataclass(frozen=True)
class StaffOperation:
    """One thing staff can do to an offer or an order at topi."""

    #: The admin button's value, the staff API's URL segment, and the page's URL segment.
    name: str
    model: type[Offer] | type[Order]
    #: The admin button, and the words beside it (also the staff API's and the docs').
    label: Text
    help_text: Text
    #: The changelist action's label.
    bulk_label: Text
    #: The permission codename it takes besides the view permission ("": none).
    permission: str
    #: ``run(obj, user, *, origin, **given)``, ``given`` being what ``input`` asks for.
    run: Callable[..., Outcome[Any]]
    #: Whether the row's status allows it now (the buttons offered for a row).
    applies: Callable[[Any], bool]
    input: Input = ""
    confirmation: Confirmation | None = None
    bulk: Bulk = "each"
    #: The changelist action's name ("<name>_selected" unless given).
    action_name: str = ""
    #: Offered by the staff API (``api/staff/<model>s/<topi id>/<name>/``).
    in_api: bool = True
    #: For ``bulk="one"``: what the changelist says when more or fewer rows are selected.
    one_at_a_time: Text = ""

    @property
    def model_name(self) -> str:
        return str(self.model._meta.model_name)

    @property
    def changelist_action(self) -> str:
        return self.action_name or f"{self.name}_selected"

    @property
    def has_page(self) -> bool:
        """Whether a button opens a page first (a form, or a confirmation) instead of acting."""
        return bool(self.input or self.confirmation)

    def perm(self) -> str:
        """The full permission (``django_topi.<codename>``), or ``""`` when viewing is enough."""
        return f"{self.model._meta.app_label}.{self.permission}" if self.permission else ""


def _ship(
    order: Order,
    user: Any = None,
    *,
    origin: str,
    items: Sequence[ShipmentItem],
    tracking_url: str = "",
    metadata: dict[str, str] | None = None,
) -> Outcome[Order]:
    return ship(order, items, tracking_url, user, metadata=metadata, origin=origin)


def _shippable(order: Order) -> bool:
    return can_ship(order) and bool(shippable_units(order))


def _resync(model: type[Offer] | type[Order], help_text: Text) -> StaffOperation:
    # Re-syncing only asks topi for its truth, like a webhook: whoever may look may ask.
    return StaffOperation(
        "resync",
        model,
        _("Re-sync from topi"),
        help_text,
        _("Re-sync from topi"),
        "",
        actions.resync,
        lambda obj: True,
    )


def _resolve_conflict(model: type[Offer] | type[Order]) -> StaffOperation:
    return StaffOperation(
        "resolve_conflict",
        model,
        _("Mark conflict resolved"),
        _("You checked the conflict with topi and settled it; the timeline keeps who and when."),
        _("Mark conflicts resolved"),
        f"resolve_{model._meta.model_name}_conflict",
        actions.resolve_conflict,
        lambda obj: bool(obj.conflict),
        bulk="applicable",
        action_name="resolve_conflicts_selected",
        in_api=False,
    )


OPERATIONS: tuple[StaffOperation, ...] = (
    StaffOperation(
        "void",
        Offer,
        _("Void…"),
        _("Void the offer at topi: the customer can no longer check it out."),
        _("Void at topi…"),
        "void_offer",
        actions.void,
        lambda offer: bool(offer.topi_id) and can_proceed(offer.void),
        confirmation=Confirmation(
            title_one=_("Void offer %(name)s at topi"),
            intro_one=_("This offer will be voided at topi; its customer can no longer check out:"),
            submit_one=_("Yes, void it"),
            title_many=_("Void offers at topi"),
            intro_many=_(
                "These offers will be voided at topi; their customers can no longer check out:"
            ),
            submit_many=_("Yes, void them"),
        ),
    ),
    _resync(Offer, _("Fetch the offer from topi.")),
    _resolve_conflict(Offer),
    StaffOperation(
        "acknowledge",
        Order,
        _("Acknowledge"),
        _("Confirm to topi that the shop can fulfil the order."),
        _("Acknowledge at topi"),
        "acknowledge_order",
        actions.acknowledge,
        lambda order: can_proceed(order.acknowledge),
    ),
    StaffOperation(
        "confirm",
        Order,
        _("Confirm"),
        _("Accept the order at topi: this activates the rental contracts."),
        _("Confirm at topi"),
        "confirm_order",
        actions.confirm,
        lambda order: can_proceed(order.confirm),
    ),
    StaffOperation(
        "reject",
        Order,
        _("Reject…"),
        _("Tell topi the shop cannot fulfil the order."),
        _("Reject at topi…"),
        "reject_order",
        actions.reject,
        lambda order: can_proceed(order.reject),
        input="reason",
        confirmation=Confirmation(
            title_one=_("Reject order %(name)s at topi"),
            intro_one=_("This order will be rejected at topi; this cannot be undone:"),
            submit_one=_("Yes, reject it"),
            title_many=_("Reject orders at topi"),
            intro_many=_("These orders will be rejected at topi; this cannot be undone:"),
            submit_many=_("Yes, reject them"),
        ),
    ),
    StaffOperation(
        "ship",
        Order,
        _("Ship…"),
        _("Report shipped units to topi."),
        _("Ship…"),
        "ship_order",
        _ship,
        _shippable,
        input="shipment",
        bulk="one",
        one_at_a_time=_("Ship one order at a time: select a single order."),
    ),
    _resync(Order, _("Fetch the order from topi.")),
    _resolve_conflict(Order),
)


def operations_for(model: type[Offer] | type[Order]) -> tuple[StaffOperation, ...]:
    """The operations on ``model``'s rows, in the order their buttons appear."""
    return tuple(operation for operation in OPERATIONS if operation.model is model)


def operation(model: type[Offer] | type[Order], name: str) -> StaffOperation:
    """The operation ``name`` on ``model``; ``KeyError`` when there is none."""
    for candidate in operations_for(model):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no staff operation {name!r} on {model.__name__}")
