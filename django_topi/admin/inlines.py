"""The inlines of an offer's and an order's page: lines, units, shipments, the timeline."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_topi.admin.base import ReadOnlyTabularInline
from django_topi.admin.display import json_column, money_column
from django_topi.models import Asset, OfferLine, Shipment, StatusChange

#: What a step of a timeline is, in the list of all steps.
STEP_FIELDS = ("source", "target", "transition", "origin", "user", "webhook_event")
#: What a step of a timeline shows, in the inline and on its own page.
TIMELINE_FIELDS = (*STEP_FIELDS, "note", "created_at")


#: What a timeline's rows do not show of their offer, order and event, yet would load with them:
#: a page of 500 steps would read up to 500 webhook bodies and payloads.
LARGE_RELATED_FIELDS = (
    "webhook_event__body",
    "webhook_event__headers",
    "webhook_event__traceback",
    "offer__raw",
    "order__raw",
)


class StatusChangeInline(ReadOnlyTabularInline):
    """The status timeline of an offer or an order, oldest step first."""

    model = StatusChange
    fields = TIMELINE_FIELDS
    ordering = ("created_at", "pk")
    verbose_name_plural = _("status timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return (
            super()
            .get_queryset(request)
            .select_related("user", "webhook_event")
            .defer("webhook_event__body", "webhook_event__headers", "webhook_event__traceback")
        )


class OfferLineInline(ReadOnlyTabularInline):
    model = OfferLine
    fields = (
        *OfferLine.DESCRIPTION,
        "line_net",
        "line_gross",
        "topi_line_id",
    )
    # By position only: the model's ordering by ``offer`` would join the offer for nothing.
    ordering = ("position",)

    line_net = money_column("price_net", "currency", _("line total net"))
    line_gross = money_column("price_gross", "currency", _("line total gross"))


class AssetInline(ReadOnlyTabularInline):
    model = Asset
    fields = (
        "topi_id",
        "title",
        "status",
        "product_id",
        "serial_number",
        "tracking_url",
        "product_references_json",
    )
    ordering = ("pk",)

    product_references_json = json_column("product_references", _("seller product references"))


class ShipmentInline(ReadOnlyTabularInline):
    model = Shipment
    fields = ("created_at", "tracking_url", "serial_numbers_json", "created_by")
    ordering = ("created_at", "pk")
    show_change_link = True

    serial_numbers_json = json_column("serial_numbers", _("serial numbers"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shipment]:
        # The order too: the change link's title is ``str(shipment)``, which names it.
        return super().get_queryset(request).select_related("created_by", "order")
