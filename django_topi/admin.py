"""A read-only admin for every django-topi model: staff look, only ``django_topi.sync`` writes.

No field here is a form input. Offers and orders are copies of topi's truth and change only when
topi says so, so the admin shows them (payloads pretty-printed, the status timeline inline,
conflicts flagged) and refuses add, change and delete. Staff act at topi through buttons and
changelist actions (acknowledge, confirm, reject, ship, void, re-sync), which go through
``django_topi.fulfilment``: topi first, then sync, each behind its own permission. List columns
read only the row and what ``list_select_related`` joins, so a changelist costs the same number
of queries for 1 row or 500.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from django_topi import fulfilment
from django_topi.fulfilment import (
    FulfilmentError,
    Outcome,
    ShipmentItem,
    ShippableUnit,
    dashboard_url,
)
from django_topi.models import Asset, Offer, OfferLine, Order, Shipment, StatusChange, WebhookEvent
from django_topi.money import format_money
from django_topi.states import OfferStatus
from django_topi.webhooks.processing import reprocess

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


#: What a step of a timeline shows, in the inline and on its own page.
TIMELINE_FIELDS = (
    "source",
    "target",
    "transition",
    "origin",
    "user",
    "webhook_event",
    "note",
    "created_at",
)


class StatusChangeInline(ReadOnlyTabularInline):
    """The status timeline of an offer or an order, oldest step first."""

    model = StatusChange
    fields = TIMELINE_FIELDS
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


# -- staff actions at topi -----------------------------------------------------------------------

#: The name django-fsm-2's transition buttons post; the change form's buttons use it too.
ACTION_PARAM = "_fsm_transition_to"


@dataclass(frozen=True)
class TopiAction:
    """A button on the change form. ``permission`` names ``has_<permission>_permission``;
    ``page`` names the confirmation or form view it opens (empty: it runs at once)."""

    name: str
    label: StrOrPromise
    permission: str
    help_text: StrOrPromise = ""
    page: str = ""


Operation = Callable[[Any, Any], Outcome[Any]]

RESOLVE_CONFLICT = TopiAction(
    "resolve_conflict",
    _("Mark conflict resolved"),
    "resolve_conflict",
    _("You checked the conflict with topi and settled it; the timeline keeps who and when."),
)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Optional, kept in django-topi only: topi's reject takes no reason."),
    )


class ShipForm(forms.Form):
    """One row per unit still to ship (tick it, give its serial number) and one tracking URL."""

    tracking_url = forms.CharField(
        label=_("Tracking URL"),
        required=False,
        max_length=fulfilment.TRACKING_URL_MAX_LENGTH,
        widget=forms.URLInput(attrs={"size": 60}),
        help_text=_("One per shipment. Ship units with different tracking URLs separately."),
    )

    def __init__(self, units: list[ShippableUnit], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = units
        for unit in units:
            self.fields[f"ship_{unit.asset.pk}"] = forms.BooleanField(
                label=_("ship"), required=False
            )
            self.fields[f"serial_{unit.asset.pk}"] = forms.CharField(
                label=_("serial number"),
                required=False,
                max_length=fulfilment.SERIAL_NUMBER_MAX_LENGTH,
                help_text=_("required") if unit.serial_required else _("optional (accessory)"),
            )

    def rows(self) -> list[tuple[ShippableUnit, forms.BoundField, forms.BoundField]]:
        return [
            (unit, self[f"ship_{unit.asset.pk}"], self[f"serial_{unit.asset.pk}"])
            for unit in self.units
        ]

    def items(self) -> list[ShipmentItem]:
        return [
            ShipmentItem(unit.asset.topi_id, self.cleaned_data[f"serial_{unit.asset.pk}"])
            for unit in self.units
            if self.cleaned_data[f"ship_{unit.asset.pk}"]
        ]

    def show_errors(self, error: FulfilmentError) -> None:
        """Put fulfilment's findings beside the fields they are about."""
        fields = {unit.asset.topi_id: f"serial_{unit.asset.pk}" for unit in self.units}
        for key, problems in error.errors.items():
            name = "tracking_url" if key == "tracking_url" else fields.get(key)
            for problem in problems:
                self.add_error(name, problem)
        if not error.errors:
            self.add_error(None, error.message)


class TopiActionsAdmin(TopiRecordAdmin):
    """Buttons on the change form and changelist actions that act at topi via fulfilment.

    Each action is offered only with its permission and refused without it; every outcome is
    reported per row, in topi's words where topi refused.
    """

    change_form_template = "admin/django_topi/topi_change_form.html"
    topi_actions: tuple[TopiAction, ...] = ()

    def has_resync_permission(self, request: HttpRequest) -> bool:
        # Re-syncing only asks topi for its truth, like a webhook: whoever may look may ask.
        return self.has_view_permission(request)

    def has_resolve_conflict_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, f"resolve_{self.opts.model_name}_conflict")

    def _has_custom_permission(self, request: HttpRequest, codename: str) -> bool:
        return bool(request.user.has_perm(f"{self.opts.app_label}.{codename}"))

    def _allowed(self, request: HttpRequest, action: TopiAction) -> bool:
        check: Callable[[HttpRequest], bool] = getattr(self, f"has_{action.permission}_permission")
        return check(request)

    def applies(self, obj: Any, action: TopiAction) -> bool:
        """Whether ``action`` makes sense for ``obj`` in its current status."""
        if action.name == "resolve_conflict":
            return bool(obj.conflict)
        return True

    def topi_action(self, name: str) -> TopiAction:
        return next(action for action in self.topi_actions if action.name == name)

    def available_topi_actions(self, request: HttpRequest, obj: Any) -> list[TopiAction]:
        return [a for a in self.topi_actions if self._allowed(request, a) and self.applies(obj, a)]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context["topi_actions"] = self.available_topi_actions(request, obj)
            context["topi_action_param"] = ACTION_PARAM
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and ACTION_PARAM in request.POST:
            return self.button_view(request, object_id, request.POST[ACTION_PARAM])
        return super().change_view(request, object_id, form_url, extra_context)

    def button_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        """A button on the change form: run the action, or open its page."""
        if name not in {action.name for action in self.topi_actions}:
            return HttpResponseBadRequest(f"unknown action {name!r}")
        action = self.topi_action(name)
        obj = self.object_for_action(request, object_id, action)
        if action.page:
            return redirect(self.url(action.page, obj))
        self.report(request, obj, self.immediate_operation(action.name))
        return redirect(self.url("change", obj))

    def immediate_operation(self, name: str) -> Operation:
        """The fulfilment function behind a button that needs no page."""
        if name == "resync":
            return fulfilment.resync
        if name == "resolve_conflict":
            return fulfilment.resolve_conflict
        raise ValueError(f"{name!r} has a page, or no operation")

    def object_for_action(self, request: HttpRequest, object_id: str, action: TopiAction) -> Any:
        """The object, if it exists and the user may see it and take ``action`` (else 404/403)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No such %(name)s.") % {"name": self.opts.verbose_name})
        if not self.has_view_permission(request, obj) or not self._allowed(request, action):
            raise PermissionDenied
        return obj

    def url(self, view: str, obj: Model) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )

    def topi_page_urls(self) -> list[URLPattern]:
        """URLs of the actions' pages: ``<pk>/<page>/`` named ``<app>_<model>_<page>``."""
        opts = self.opts
        return [
            path(
                f"<path:object_id>/{action.page}/",
                self.admin_site.admin_view(getattr(self, f"{action.page}_view")),
                name=f"{opts.app_label}_{opts.model_name}_{action.page}",
            )
            for action in self.topi_actions
            if action.page
        ]

    def get_urls(self) -> list[URLPattern]:
        return [*self.topi_page_urls(), *super().get_urls()]

    def report(self, request: HttpRequest, obj: Any, operation: Operation) -> Outcome[Any] | None:
        """Run ``operation`` on one row and tell the user how it went."""
        try:
            outcome = operation(obj, request.user)
        except FulfilmentError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        level = (
            messages.WARNING
            if outcome.warning
            else messages.INFO
            if outcome.already
            else messages.SUCCESS
        )
        self.message_user(request, outcome.message, level)
        return outcome

    def run_per_row(
        self, request: HttpRequest, queryset: QuerySet[Any], operation: Operation
    ) -> None:
        for obj in queryset:
            self.report(request, obj, operation)

    def confirmation_page(
        self,
        request: HttpRequest,
        objects: list[Any],
        *,
        title: StrOrPromise,
        intro: StrOrPromise,
        submit: StrOrPromise,
        bulk_action: str = "",
        form: forms.Form | None = None,
    ) -> TemplateResponse:
        """A page that names the rows an action will change and asks to go ahead."""
        single = len(objects) == 1 and not bulk_action
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": intro,
            "submit_label": submit,
            "objects": [(obj, self.url("change", obj), status_badge(obj)) for obj in objects],
            "bulk_action": bulk_action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form": form,
            "cancel_url": self.url("change", objects[0])
            if single
            else reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/django_topi/confirm_action.html", context)

    @admin.action(description=_("Re-sync from topi"), permissions=["resync"])
    def resync_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.run_per_row(request, queryset, fulfilment.resync)

    @admin.action(description=_("Mark conflicts resolved"), permissions=["resolve_conflict"])
    def resolve_conflicts_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.run_per_row(request, queryset.exclude(conflict=""), fulfilment.resolve_conflict)


@admin.register(Offer)
class OfferAdmin(TopiActionsAdmin):
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
        "dashboard",
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
                    "dashboard",
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
    actions = ["void_selected", "resync_selected", "resolve_conflicts_selected"]
    topi_actions = (
        TopiAction(
            "void",
            _("Void…"),
            "void",
            _("Void the offer at topi: the customer can no longer check it out."),
            page="void",
        ),
        TopiAction("resync", _("Re-sync from topi"), "resync", _("Fetch the offer from topi.")),
        RESOLVE_CONFLICT,
    )

    shipping_json = json_column("shipping", _("shipping"))

    def has_void_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, "void_offer")

    def applies(self, offer: Offer, action: TopiAction) -> bool:
        if action.name == "void":
            return bool(offer.topi_id) and can_proceed(offer.void)
        return super().applies(offer, action)

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

    @admin.action(description=_("Void at topi…"), permissions=["void"])
    def void_selected(
        self, request: HttpRequest, queryset: QuerySet[Offer]
    ) -> TemplateResponse | None:
        if request.POST.get("confirm"):
            self.run_per_row(request, queryset, fulfilment.void)
            return None
        return self.confirmation_page(
            request,
            list(queryset),
            title=_("Void offers at topi"),
            intro=_(
                "These offers will be voided at topi; their customers can no longer check out:"
            ),
            submit=_("Yes, void them"),
            bulk_action="void_selected",
        )

    def void_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        offer = self.object_for_action(request, object_id, self.topi_action("void"))
        if request.method == "POST":
            self.report(request, offer, fulfilment.void)
            return redirect(self.url("change", offer))
        return self.confirmation_page(
            request,
            [offer],
            title=_("Void offer %(name)s at topi") % {"name": offer.seller_offer_reference},
            intro=_("This offer will be voided at topi; its customer can no longer check out:"),
            submit=_("Yes, void it"),
        )


@admin.register(Order)
class OrderAdmin(TopiActionsAdmin):
    list_display = (
        "seller_offer_reference",
        "topi_id",
        "status_column",
        "environment",
        "offer_link",
        "company_name",
        "email",
        "conflict_flag",
        "dashboard",
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
                    "dashboard",
                    "rejection_reason",
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
    actions = [
        "acknowledge_selected",
        "confirm_selected",
        "reject_selected",
        "ship_selected",
        "resync_selected",
        "resolve_conflicts_selected",
    ]
    topi_actions = (
        TopiAction(
            "acknowledge",
            _("Acknowledge"),
            "acknowledge",
            _("Confirm to topi that the shop can fulfil the order."),
        ),
        TopiAction(
            "confirm",
            _("Confirm"),
            "confirm",
            _("Accept the order at topi: this activates the rental contracts."),
        ),
        TopiAction(
            "reject",
            _("Reject…"),
            "reject",
            _("Tell topi the shop cannot fulfil the order."),
            page="reject",
        ),
        TopiAction("ship", _("Ship…"), "ship", _("Report shipped units to topi."), page="ship"),
        TopiAction("resync", _("Re-sync from topi"), "resync", _("Fetch the order from topi.")),
        RESOLVE_CONFLICT,
    )

    shipping_info_json = json_column("shipping_info", _("shipping"))
    order_lines_json = json_column("order_lines", _("order lines"))
    tracking_urls_json = json_column("tracking_urls", _("tracking URLs"))

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, "acknowledge_order")

    def has_confirm_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, "confirm_order")

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, "reject_order")

    def has_ship_permission(self, request: HttpRequest) -> bool:
        return self._has_custom_permission(request, "ship_order")

    def applies(self, order: Order, action: TopiAction) -> bool:
        if action.name in ("acknowledge", "confirm", "reject"):
            return can_proceed(getattr(order, action.name))
        if action.name == "ship":
            return fulfilment.can_ship(order) and bool(fulfilment.shippable_units(order))
        return super().applies(order, action)

    def immediate_operation(self, name: str) -> Operation:
        if name == "acknowledge":
            return fulfilment.acknowledge
        if name == "confirm":
            return fulfilment.confirm
        return super().immediate_operation(name)

    @admin.display(description=_("offer"), ordering="offer__seller_offer_reference")
    def offer_link(self, order: Order) -> str | None:
        if order.offer is None:
            return order.offer_topi_id or None
        return self.admin_link(order.offer, order.offer.seller_offer_reference)

    @admin.display(description=_("topi dashboard"))
    def dashboard(self, order: Order) -> str:
        return dashboard_link(order.offer) or self.get_empty_value_display()

    @admin.action(description=_("Acknowledge at topi"), permissions=["acknowledge"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self.run_per_row(request, queryset, fulfilment.acknowledge)

    @admin.action(description=_("Confirm at topi"), permissions=["confirm"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self.run_per_row(request, queryset, fulfilment.confirm)

    @admin.action(description=_("Reject at topi…"), permissions=["reject"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        form = RejectForm(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self.run_per_row(
                request, queryset, lambda order, user: fulfilment.reject(order, user, reason)
            )
            return None
        return self.confirmation_page(
            request,
            list(queryset),
            title=_("Reject orders at topi"),
            intro=_("These orders will be rejected at topi; this cannot be undone:"),
            submit=_("Yes, reject them"),
            bulk_action="reject_selected",
            form=form,
        )

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self.object_for_action(request, object_id, self.topi_action("reject"))
        form = RejectForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self.report(request, order, lambda order, user: fulfilment.reject(order, user, reason))
            return redirect(self.url("change", order))
        return self.confirmation_page(
            request,
            [order],
            title=_("Reject order %(name)s at topi") % {"name": order.seller_offer_reference},
            intro=_("This order will be rejected at topi; this cannot be undone:"),
            submit=_("Yes, reject it"),
            form=form,
        )

    @admin.action(description=_("Ship…"), permissions=["ship"])
    def ship_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(
                request,
                gettext("Ship one order at a time: select a single order."),
                messages.WARNING,
            )
            return None
        return redirect(self.url("ship", orders[0]))

    def ship_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self.object_for_action(request, object_id, self.topi_action("ship"))
        can_ship = fulfilment.can_ship(order)
        assets = list(order.assets.order_by("pk"))
        units = fulfilment.shippable_units(order, assets) if can_ship else []
        form = ShipForm(units, request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                outcome = fulfilment.ship(
                    order, form.items(), form.cleaned_data["tracking_url"], request.user
                )
            except FulfilmentError as exc:
                if exc.code != fulfilment.INVALID_SHIPMENT:
                    self.message_user(request, exc.message, messages.ERROR)
                    return redirect(self.url("change", order))
                form.show_errors(exc)
            else:
                level = messages.WARNING if outcome.warning else messages.SUCCESS
                self.message_user(request, outcome.message, level)
                return redirect(self.url("change", order))
        shippable = {unit.asset.pk for unit in units}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": order,
            "title": _("Ship order %(name)s") % {"name": order.seller_offer_reference},
            "form": form,
            "status": status_badge(order),
            "can_ship": can_ship,
            "shipped": [asset for asset in assets if asset.pk not in shippable],
            "change_url": self.url("change", order),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/django_topi/order_ship.html", context)


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
            {"fields": ("offer", "order", *TIMELINE_FIELDS)},
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
