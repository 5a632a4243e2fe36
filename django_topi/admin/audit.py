"""The audit trail, shipments and webhook deliveries: read, and reprocess a webhook."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_topi.admin.base import ReadOnlyModelAdmin
from django_topi.admin.display import json_column, pretty_body
from django_topi.admin.inlines import LARGE_RELATED_FIELDS, STEP_FIELDS, TIMELINE_FIELDS
from django_topi.models import Shipment, StatusChange, WebhookEvent
from django_topi.webhooks.processing import reprocess


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "subject", *STEP_FIELDS)
    list_select_related = ("offer", "order", "user", "webhook_event")
    list_filter = ("origin", "target")
    search_fields = (
        "offer__seller_offer_reference",
        "order__seller_offer_reference",
        "offer__topi_id",
        "order__topi_id",
    )
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    fieldsets = (
        (
            None,
            {"fields": ("offer", "order", *TIMELINE_FIELDS)},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).defer(*LARGE_RELATED_FIELDS)

    @admin.display(description=_("offer or order"))
    def subject(self, change: StatusChange) -> str | None:
        return self.admin_link(change.offer or change.order)


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "order_link", "tracking_url", "units", "created_by")
    list_select_related = ("order", "created_by")
    search_fields = ("order__seller_offer_reference", "order__topi_id", "tracking_url")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    fieldsets = (
        (None, {"fields": ("order", "created_by", "created_at", "tracking_url")}),
        (_("Sent to topi"), {"fields": ("serial_numbers_json", "metadata_json")}),
        (_("topi's answer"), {"fields": ("raw_json",), "classes": ("collapse",)}),
    )

    serial_numbers_json = json_column("serial_numbers", _("serial numbers"))
    metadata_json = json_column("metadata", _("metadata"))
    raw_json = json_column("raw", _("topi's answer"))

    @admin.display(description=_("order"), ordering="order__seller_offer_reference")
    def order_link(self, shipment: Shipment) -> str | None:
        return self.admin_link(shipment.order)

    @admin.display(description=_("units"))
    def units(self, shipment: Shipment) -> int:
        return len(shipment.serial_numbers)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    #: What a delivery is and what became of it, in the list and atop its page.
    summary_fields = ("received_at", "kind", "topi_id", "reported_status", "verification", "status")
    list_display = (*summary_fields, "attempts")
    list_filter = ("kind", "status", "verification")
    search_fields = ("topi_id", "svix_id")
    date_hierarchy = "received_at"
    fieldsets = (
        (
            None,
            {"fields": (*summary_fields, "attempts", "processed_at")},
        ),
        (_("Error"), {"fields": ("error", "traceback_text")}),
        (
            _("Delivery"),
            {"fields": ("svix_id", "dedupe_key", "remote_ip", "headers_json", "body_text")},
        ),
    )

    headers_json = json_column("headers", _("headers (redacted)"))
    actions = ["reprocess_events"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        # A list page must not load every body (up to WEBHOOK_MAX_BODY_BYTES each).
        return super().get_queryset(request).defer("body", "traceback")

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("django_topi.change_webhookevent"))

    @admin.action(description=_("Reprocess selected events"), permissions=["reprocess"])
    def reprocess_events(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        """Run each event through processing again (idempotent: sync ignores what it knows)."""
        outcomes: dict[str, int] = {}
        for event in queryset.order_by("pk"):
            outcome = reprocess(event)
            outcomes[outcome.status] = outcomes.get(outcome.status, 0) + 1
            if outcome.status == WebhookEvent.Status.FAILED:
                event.refresh_from_db(fields=["error"])
                self.message_user(
                    request,
                    gettext("Event %(id)s failed again: %(error)s")
                    % {"id": event.pk, "error": event.error},
                    messages.ERROR,
                )
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        self.message_user(request, gettext("Reprocessed: %(summary)s.") % {"summary": summary})

    @admin.display(description=_("body, as received (untrusted unless verified)"))
    def body_text(self, event: WebhookEvent) -> SafeString:
        return pretty_body(event.body)

    @admin.display(description=_("traceback"))
    def traceback_text(self, event: WebhookEvent) -> str:
        if not event.traceback:
            return self.get_empty_value_display()
        return format_html("<pre>{}</pre>", event.traceback)
