"""The offers and orders: topi's truth to read, and the staff operations to act on it."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_topi.admin.actions import TopiActionsAdmin
from django_topi.admin.display import dashboard_link, json_column, money_column
from django_topi.admin.inlines import (
    AssetInline,
    OfferLineInline,
    ShipmentInline,
    StatusChangeInline,
)
from django_topi.models import Offer, Order
from django_topi.money import format_money
from django_topi.states import OfferStatus

DRAFT_HELP = _(
    "draft: not sent to topi yet (local only). The shop saved this offer, but topi has not "
    "answered createOffer, so topi does not know about it."
)


#: What each list of offers or orders starts and ends with.
LIST_HEAD = ("seller_offer_reference", "topi_id", "status_column", "environment")
LIST_TAIL = ("conflict_flag", "dashboard", "created_at")
#: What each offer or order page starts with: who it is at topi and where it stands.
IDENTITY = ("seller_offer_reference", "topi_id", "status_explained", "environment")
CONFLICT = ("conflict_display", "conflict_at")


@admin.register(Offer)
class OfferAdmin(TopiActionsAdmin):
    status_notes = {OfferStatus.DRAFT.value: DRAFT_HELP}

    list_display = (*LIST_HEAD, "company_name", "email", "total", *LIST_TAIL)
    inlines = (OfferLineInline, StatusChangeInline)
    fieldsets = (
        (
            None,
            {"fields": (*IDENTITY, "dashboard", *CONFLICT, "failure_reason", "failure_code")},
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
                    "superseded_by",
                    "cart_fingerprint",
                    "shipping_json",
                    "metadata_json",
                )
            },
        ),
        (_("Dates"), {"fields": ("topi_created_at", "created_at", "updated_at")}),
        (_("Last payload from topi"), {"fields": ("raw_json",), "classes": ("collapse",)}),
    )
    shipping_json = json_column("shipping", _("shipping"))

    @admin.display(description=_("topi dashboard"))
    def dashboard(self, offer: Offer) -> str:
        return dashboard_link(offer) or self.get_empty_value_display()

    @admin.display(description=_("total"), ordering="amount_gross")
    def total(self, offer: Offer) -> str | None:
        if offer.amount_gross is None and offer.amount_net is not None:
            return gettext("%(amount)s net") % {
                "amount": format_money(offer.amount_net, offer.currency)
            }
        return format_money(offer.amount_gross, offer.currency)

    total_net = money_column("amount_net", "currency", _("total net (as topi reports it)"))
    total_gross = money_column("amount_gross", "currency", _("total gross (as topi reports it)"))
    expected_total_net = money_column(
        "expected_amount_net", "expected_currency", _("total net the shop sent")
    )
    expected_total_gross = money_column(
        "expected_amount_gross", "expected_currency", _("total gross the shop sent")
    )


@admin.register(Order)
class OrderAdmin(TopiActionsAdmin):
    list_display = (*LIST_HEAD, "offer_link", "company_name", "email", *LIST_TAIL)
    list_select_related = ("offer",)
    inlines = (AssetInline, ShipmentInline, StatusChangeInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    *IDENTITY,
                    "offer",
                    "offer_topi_id",
                    "dashboard",
                    "rejection_reason",
                    *CONFLICT,
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

    @admin.display(description=_("topi dashboard"))
    def dashboard(self, order: Order) -> str:
        return dashboard_link(order.offer) or self.get_empty_value_display()
