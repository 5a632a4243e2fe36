"""How the admin shows topi's data: pretty JSON, untrusted bodies, status badges, topi links."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from django_topi.fulfilment import dashboard_url
from django_topi.models import Offer, Order
from django_topi.money import format_money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def pretty_json(value: Any) -> SafeString:
    """``value`` as indented, key-sorted JSON inside ``<pre>``, escaped."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html("<pre>{}</pre>", text)


def pretty_body(body: bytes | memoryview | None) -> SafeString:
    """A webhook body (untrusted bytes) as text inside ``<pre>``, pretty-printed if it is JSON."""
    text = bytes(body or b"").decode("utf-8", errors="replace")
    # Not JSON, or nested too deep to re-indent (anyone can post a body): show it as received.
    with contextlib.suppress(ValueError, RecursionError):
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False, sort_keys=True)
    return format_html("<pre>{}</pre>", text)


def json_column(name: str, description: StrOrPromise) -> Callable[[Any, Model], SafeString]:
    """A read-only admin field that shows the JSON field ``name`` pretty-printed."""

    @admin.display(description=description)
    def show(model_admin: Any, obj: Model) -> SafeString:
        return pretty_json(getattr(obj, name))

    return show


def money_column(
    amount: str, currency: str, description: StrOrPromise
) -> Callable[[Any, Model], str]:
    """A read-only admin field that shows the minor units in field ``amount`` as money in the
    currency of field ``currency`` (the admin's empty value when unknown)."""

    @admin.display(description=description)
    def show(model_admin: Any, obj: Model) -> str:
        shown = format_money(getattr(obj, amount), getattr(obj, currency))
        return shown or str(model_admin.get_empty_value_display())

    return show


#: Badge colours by status value (offers and orders share the names they share).
STATUS_COLOURS = {
    "draft": "#6b7280",
    "created": "#417690",
    "pending_review": "#b45309",
    "accepted": "#15803d",
    "declined": "#b91c1c",
    "voided": "#6b7280",
    "expired": "#6b7280",
    "rejected": "#b91c1c",
    "acknowledged": "#1d4ed8",
    "confirmed": "#6d28d9",
    "partially_fulfilled": "#b45309",
    "completed": "#15803d",
    "canceled": "#6b7280",
}
BADGE_STYLE = (
    "background:{};color:#fff;border-radius:4px;padding:1px 6px;white-space:nowrap;font-size:0.9em"
)


def status_badge(record: Offer | Order, note: StrOrPromise | None = None) -> SafeString:
    """The record's status as a coloured badge, with ``note`` as its tooltip."""
    colour = STATUS_COLOURS.get(record.status, "#6b7280")
    return format_html(
        '<span class="topi-status topi-status-{}" style="{}"{}>{}</span>',
        record.status,
        format_html(BADGE_STYLE, colour),
        format_html(' title="{}"', note) if note else "",
        record.get_status_display(),
    )


def dashboard_link(offer: Offer | None) -> SafeString | None:
    url = dashboard_url(offer)
    if url is None:
        return None
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, _("open in topi")
    )
