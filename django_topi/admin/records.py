"""What the offer and order admins share: list filters, status badges, conflicts, payloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from django_topi.admin.base import ReadOnlyModelAdmin
from django_topi.admin.display import json_column, status_badge
from django_topi.models import Offer, Order

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ConflictListFilter(admin.SimpleListFilter):
    """Rows where topi reported something django-topi could not apply."""

    title = _("conflict")
    parameter_name = "conflict"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("with a conflict")), ("no", _("without"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(conflict="")
        if self.value() == "no":
            return queryset.filter(conflict="")
        return queryset


class TopiRecordAdmin(ReadOnlyModelAdmin):
    """What the offer and order admins share: status, conflict, customer and payload display."""

    #: Explanations shown beside a status, keyed by status value.
    status_notes: Mapping[str, StrOrPromise] = {}

    list_filter = ("status", "environment", ConflictListFilter)
    date_hierarchy = "created_at"
    search_fields = ("topi_id", "seller_offer_reference", "company_name", "email")

    customer_json = json_column("customer", _("customer"))
    shipping_address_json = json_column("shipping_address", _("shipping address"))
    metadata_json = json_column("metadata", _("metadata"))
    raw_json = json_column("raw", _("last payload from topi"))

    @admin.display(description=_("status"), ordering="status")
    def status_column(self, record: Offer | Order) -> SafeString:
        return status_badge(record, self.status_notes.get(record.status))

    @admin.display(description=_("status"))
    def status_explained(self, record: Offer | Order) -> SafeString:
        note = self.status_notes.get(record.status)
        if note:
            return format_html('{}<div class="help">{}</div>', status_badge(record), note)
        return status_badge(record)

    @admin.display(description=_("conflict"), ordering="conflict")
    def conflict_flag(self, record: Offer | Order) -> str:
        if not record.conflict:
            return ""
        return format_html('<span title="{}">⚠</span>', record.conflict)

    @admin.display(description=_("conflict"))
    def conflict_display(self, record: Offer | Order) -> str:
        if not record.conflict:
            return self.get_empty_value_display()
        return format_html('<p class="errornote">⚠ {}</p>', record.conflict)
