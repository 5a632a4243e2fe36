"""How fulfilment speaks to staff: whole sentences per operation (so each language can phrase
them its own way), and the names of offers and orders inside them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_topi.client import TopiAPIError
from django_topi.models import Offer, Order


@dataclass(frozen=True)
class Wording:
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


ACKNOWLEDGE_WORDS = Wording(
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
        "Order %(name)s is %(status)s here; only orders that are %(allowed)s can be acknowledged."
    ),
)

CONFIRM_WORDS = Wording(
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
)

REJECT_WORDS = Wording(
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
)

VOID_WORDS = Wording(
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
)

SHIP_WORDS = Wording(
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
RESYNC_WORDS = Wording(
    timeout=gettext_lazy(
        "topi did not answer in time, so %(name)s was not re-synced. Try again in a few minutes."
    ),
    refused=gettext_lazy("topi refused to send %(name)s: %(topi)s"),
    unreadable=gettext_lazy(
        "topi answered something django-topi cannot read, so %(name)s was not re-synced."
    ),
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


def kind(instance: Offer | Order) -> str:
    return "order" if isinstance(instance, Order) else "offer"


def name_of(instance: Offer | Order) -> str:
    return instance.seller_offer_reference or str(instance.topi_id or instance.pk)


def noun(instance: Offer | Order) -> str:
    """``order SO-1`` / ``offer SO-1``, inside a sentence."""
    if isinstance(instance, Order):
        return _("order %(name)s") % {"name": name_of(instance)}
    return _("offer %(name)s") % {"name": name_of(instance)}


def title(instance: Offer | Order) -> str:
    """``Order SO-1`` / ``Offer SO-1``."""
    if isinstance(instance, Order):
        return _("Order %(name)s") % {"name": name_of(instance)}
    return _("Offer %(name)s") % {"name": name_of(instance)}


def label(instance: Offer | Order, status: str) -> str:
    choices: Iterable[tuple[Any, Any]] = type(instance)._meta.get_field("status").choices or ()
    return str(dict(choices).get(status, status))


def username(user: Any) -> str:
    getter = getattr(user, "get_username", None)
    return str(getter()) if callable(getter) and getattr(user, "pk", None) else "nobody"


def topi_words(exc: TopiAPIError) -> str:
    """topi's own name and message for an error, for staff to read or pass on to topi."""
    status = f"HTTP {exc.status}" if exc.status is not None else ""
    name = f"{exc.name}: " if exc.name else ""
    return f"{status} {name}{exc.message}".strip()
