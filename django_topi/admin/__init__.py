"""A read-only admin for every django-topi model: staff look, only ``django_topi.sync`` writes.

No field here is a form input. Offers and orders are copies of topi's truth and change only when
topi says so, so the admin shows them (payloads pretty-printed, the status timeline inline,
conflicts flagged) and refuses add, change and delete. Staff act at topi through buttons and
changelist actions (acknowledge, confirm, reject, ship, void, re-sync), made from the staff
operations registry (``django_topi.fulfilment.registry``): topi first, then sync, each behind its
own permission. List columns
read only the row and what ``list_select_related`` joins, so a changelist costs the same number
of queries for 1 row or 500.

The package, laid out as dj-stripe's: ``base`` (read-only admins), ``display`` (JSON, badges,
links), ``inlines``, ``records`` (what offers and orders share), ``forms``, ``actions`` (the staff
operations), ``offers`` (offers and orders) and ``audit`` (timeline, shipments, webhooks).
"""

from __future__ import annotations

from django_topi.admin.actions import ACTION_PARAM, TopiActionsAdmin
from django_topi.admin.audit import ShipmentAdmin, StatusChangeAdmin, WebhookEventAdmin
from django_topi.admin.base import ReadOnlyModelAdmin, ReadOnlyTabularInline
from django_topi.admin.display import (
    STATUS_COLOURS,
    dashboard_link,
    json_column,
    pretty_body,
    pretty_json,
    status_badge,
)
from django_topi.admin.forms import RejectForm, ShipForm
from django_topi.admin.inlines import (
    TIMELINE_FIELDS,
    AssetInline,
    OfferLineInline,
    ShipmentInline,
    StatusChangeInline,
)
from django_topi.admin.offers import DRAFT_HELP, OfferAdmin, OrderAdmin
from django_topi.admin.records import ConflictListFilter, TopiRecordAdmin

__all__ = [
    "ACTION_PARAM",
    "DRAFT_HELP",
    "STATUS_COLOURS",
    "TIMELINE_FIELDS",
    "AssetInline",
    "ConflictListFilter",
    "OfferAdmin",
    "OfferLineInline",
    "OrderAdmin",
    "ReadOnlyModelAdmin",
    "ReadOnlyTabularInline",
    "RejectForm",
    "ShipForm",
    "ShipmentAdmin",
    "ShipmentInline",
    "StatusChangeAdmin",
    "StatusChangeInline",
    "TopiActionsAdmin",
    "TopiRecordAdmin",
    "WebhookEventAdmin",
    "dashboard_link",
    "json_column",
    "pretty_body",
    "pretty_json",
    "status_badge",
]
