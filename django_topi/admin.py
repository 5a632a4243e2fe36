"""A read-only admin for every django-topi model: staff look, only ``django_topi.sync`` writes.

Nothing here is a form input. Offers and orders are copies of topi's truth and change only when
topi says so, so the admin shows them (payloads pretty-printed, the status timeline inline,
conflicts flagged) and refuses add, change and delete. List columns read only the row and what
``list_select_related`` joins, so a changelist costs the same number of queries for 1 row or 100.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_topi.models import Asset, Offer, OfferLine, Order, Shipment, StatusChange, WebhookEvent
from django_topi.money import format_money
from django_topi.states import OfferStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline

DRAFT_HELP = _(
    "draft: not sent to topi yet (local only). The shop saved this offer, but topi has not "
    "answered createOffer, so topi does not know about it."
)


# -- rendering -----------------------------------------------------------------------------------


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


# -- read-only bases -----------------------------------------------------------------------------


class ReadOnlyModelAdmin(_ModelAdmin):
    """Lets staff with the view permission look; nobody adds, changes or deletes.

    Subclasses declare ``fieldsets``: every field in them is shown read-only.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Read-only even for a subclass that grants change: ``status`` is never a form field.
        return flatten_fieldsets(self.get_fieldsets(request, obj))

    def admin_link(self, obj: Model | None, text: object = None) -> str | None:
        """A link to ``obj``'s change page in this admin site (``obj`` must already be loaded)."""
        if obj is None:
            return None
        opts = obj._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )
        return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


class ReadOnlyTabularInline(_TabularInline):
    """An inline of rows to read: no extra forms, no inputs, no delete boxes.

    Subclasses declare ``fields``: all of them are shown read-only.
    """

    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.get_fieldsets(request, obj))


# -- inlines -------------------------------------------------------------------------------------


class StatusChangeInline(ReadOnlyTabularInline):
    """The status timeline of an offer or an order, oldest step first."""

    model = StatusChange
    fields = ("source", "target", "transition", "origin", "user", "webhook_event", "created_at")
    ordering = ("created_at", "pk")
    verbose_name_plural = _("status timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        return super().get_queryset(request).select_related("user", "webhook_event")


class OfferLineInline(ReadOnlyTabularInline):
    model = OfferLine
    fields = (
        "position",
        "title",
        "subtitle",
        "quantity",
        "product_source",
        "product_reference",
        "line_net",
        "line_gross",
        "topi_line_id",
    )
    # By position only: the model's ordering by ``offer`` would join the offer for nothing.
    ordering = ("position",)

    @admin.display(description=_("line total net"))
    def line_net(self, line: OfferLine) -> str:
        return format_money(line.price_net, line.currency) or self.get_empty_value_display()

    @admin.display(description=_("line total gross"))
    def line_gross(self, line: OfferLine) -> str:
        return format_money(line.price_gross, line.currency) or self.get_empty_value_display()


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
        return super().get_queryset(request).select_related("created_by")


# -- offers and orders ---------------------------------------------------------------------------


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
    def status_column(self, record: Offer | Order) -> str:
        label = str(record.get_status_display())
        note = self.status_notes.get(record.status)
        if note:
            return format_html('<span title="{}">{}</span>', note, label)
        return label

    @admin.display(description=_("status"))
    def status_explained(self, record: Offer | Order) -> str:
        label = str(record.get_status_display())
        note = self.status_notes.get(record.status)
        if note:
            return format_html('{}<div class="help">{}</div>', label, note)
        return label

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


@admin.register(Offer)
class OfferAdmin(TopiRecordAdmin):
    status_notes = {OfferStatus.DRAFT.value: DRAFT_HELP}

    list_display = (
        "seller_offer_reference",
        "topi_id",
        "status_column",
        "environment",
        "company_name",
        "email",
        "total",
        "conflict_flag",
        "created_at",
    )
    inlines = (OfferLineInline, StatusChangeInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "seller_offer_reference",
                    "topi_id",
                    "status_explained",
                    "environment",
                    "conflict_display",
                    "conflict_at",
                    "failure_reason",
                    "failure_code",
                )
            },
        ),
        (
            _("Customer"),
            {
                "fields": (
                    "company_name",
                    "email",
                    "owner",
                    "customer_json",
                    "shipping_address_json",
                )
            },
        ),
        (
            _("Amounts"),
            {"fields": ("total_net", "total_gross", "expected_total_net", "expected_total_gross")},
        ),
        (
            _("Checkout"),
            {
                "fields": (
                    "sales_channel",
                    "checkout_redirect_url",
                    "expires_at",
                    "shipping_json",
                    "metadata_json",
                )
            },
        ),
        (_("Dates"), {"fields": ("topi_created_at", "created_at", "updated_at")}),
        (_("Last payload from topi"), {"fields": ("raw_json",), "classes": ("collapse",)}),
    )

    shipping_json = json_column("shipping", _("shipping"))

    @admin.display(description=_("total"), ordering="amount_gross")
    def total(self, offer: Offer) -> str | None:
        if offer.amount_gross is None and offer.amount_net is not None:
            return gettext("%(amount)s net") % {
                "amount": format_money(offer.amount_net, offer.currency)
            }
        return format_money(offer.amount_gross, offer.currency)

    @admin.display(description=_("total net (as topi reports it)"))
    def total_net(self, offer: Offer) -> str:
        return format_money(offer.amount_net, offer.currency) or self.get_empty_value_display()

    @admin.display(description=_("total gross (as topi reports it)"))
    def total_gross(self, offer: Offer) -> str:
        return format_money(offer.amount_gross, offer.currency) or self.get_empty_value_display()

    @admin.display(description=_("total net the shop sent"))
    def expected_total_net(self, offer: Offer) -> str:
        return (
            format_money(offer.expected_amount_net, offer.expected_currency)
            or self.get_empty_value_display()
        )

    @admin.display(description=_("total gross the shop sent"))
    def expected_total_gross(self, offer: Offer) -> str:
        return (
            format_money(offer.expected_amount_gross, offer.expected_currency)
            or self.get_empty_value_display()
        )


@admin.register(Order)
class OrderAdmin(TopiRecordAdmin):
    list_display = (
        "seller_offer_reference",
        "topi_id",
        "status_column",
        "environment",
        "offer_link",
        "company_name",
        "email",
        "conflict_flag",
        "created_at",
    )
    list_select_related = ("offer",)
    inlines = (AssetInline, ShipmentInline, StatusChangeInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "seller_offer_reference",
                    "topi_id",
                    "status_explained",
                    "environment",
                    "offer",
                    "offer_topi_id",
                    "conflict_display",
                    "conflict_at",
                )
            },
        ),
        (
            _("Customer"),
            {"fields": ("company_name", "email", "customer_json", "shipping_address_json")},
        ),
        (
            _("Fulfilment"),
            {"fields": ("shipping_info_json", "order_lines_json", "tracking_urls_json")},
        ),
        (_("Dates"), {"fields": ("topi_created_at", "canceled_at", "created_at", "updated_at")}),
        (
            _("Last payload from topi"),
            {"fields": ("metadata_json", "raw_json"), "classes": ("collapse",)},
        ),
    )

    shipping_info_json = json_column("shipping_info", _("shipping"))
    order_lines_json = json_column("order_lines", _("order lines"))
    tracking_urls_json = json_column("tracking_urls", _("tracking URLs"))

    @admin.display(description=_("offer"), ordering="offer__seller_offer_reference")
    def offer_link(self, order: Order) -> str | None:
        if order.offer is None:
            return order.offer_topi_id or None
        return self.admin_link(order.offer, order.offer.seller_offer_reference)


# -- the audit trail, shipments and webhook deliveries -------------------------------------------


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyModelAdmin):
    list_display = (
        "created_at",
        "subject",
        "source",
        "target",
        "transition",
        "origin",
        "user",
        "webhook_event",
    )
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
            {
                "fields": (
                    "offer",
                    "order",
                    "source",
                    "target",
                    "transition",
                    "origin",
                    "user",
                    "webhook_event",
                    "created_at",
                )
            },
        ),
    )

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
    list_display = (
        "received_at",
        "kind",
        "topi_id",
        "reported_status",
        "verification",
        "status",
        "attempts",
    )
    list_filter = ("kind", "status", "verification")
    search_fields = ("topi_id", "svix_id")
    date_hierarchy = "received_at"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "received_at",
                    "kind",
                    "topi_id",
                    "reported_status",
                    "verification",
                    "status",
                    "attempts",
                    "processed_at",
                )
            },
        ),
        (_("Error"), {"fields": ("error", "traceback_text")}),
        (
            _("Delivery"),
            {"fields": ("svix_id", "dedupe_key", "remote_ip", "headers_json", "body_text")},
        ),
    )

    headers_json = json_column("headers", _("headers (redacted)"))

    @admin.display(description=_("body, as received (untrusted unless verified)"))
    def body_text(self, event: WebhookEvent) -> SafeString:
        return pretty_body(event.body)

    @admin.display(description=_("traceback"))
    def traceback_text(self, event: WebhookEvent) -> str:
        if not event.traceback:
            return self.get_empty_value_display()
        return format_html("<pre>{}</pre>", event.traceback)
