"""Staff operations in the admin, made from ``django_topi.fulfilment.registry``.

For each operation on the model the admin offers a button on the change form (when the user has
the operation's permission and the row's status allows it), a changelist action, and, for
operations that ask first, a page at ``<pk>/<operation>/``: a confirmation with its form, or the
shipment form. Every outcome is reported per row, in topi's words where topi refused.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_topi import fulfilment
from django_topi.admin.display import status_badge
from django_topi.admin.forms import INPUT_FORMS, ShipForm
from django_topi.admin.records import TopiRecordAdmin
from django_topi.fulfilment import (
    FulfilmentError,
    Outcome,
    StaffOperation,
    operations_for,
)
from django_topi.fulfilment import operation as find_operation
from django_topi.models import Order, Origin

#: The name django-fsm-2's transition buttons post; the change form's buttons use it too.
ACTION_PARAM = "_fsm_transition_to"
#: What a changelist action is to Django: ``(modeladmin, request, queryset) -> response``.
ChangelistAction = Callable[[Any, HttpRequest, QuerySet[Any]], HttpResponse | None]


class TopiActionsAdmin(TopiRecordAdmin):
    """Buttons, pages and changelist actions for the model's staff operations at topi."""

    change_form_template = "admin/django_topi/topi_change_form.html"

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        if self.actions is not None:  # None: the shop switched the changelist actions off
            generated = [self.changelist_action(operation) for operation in self.operations]
            self.actions = [*self.actions, *generated]
        for operation in self.operations:
            # Django asks ``has_<permission>_permission`` for each action's permissions.
            setattr(
                self,
                f"has_topi_{operation.name}_permission",
                partial(self.allowed, operation=operation),
            )

    @property
    def operations(self) -> tuple[StaffOperation, ...]:
        return operations_for(self.model)

    def allowed(self, request: HttpRequest, operation: StaffOperation) -> bool:
        """Whether the user may take ``operation`` (its permission, else the view permission)."""
        permission = operation.perm()
        if permission:
            return bool(request.user.has_perm(permission))
        return self.has_view_permission(request)

    def available_operations(self, request: HttpRequest, obj: Any) -> list[StaffOperation]:
        """The buttons for ``obj``: operations the user may take and its status allows."""
        return [op for op in self.operations if self.allowed(request, op) and op.applies(obj)]

    # -- the change form's buttons and the operations' pages -------------------------------------

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
            context["topi_actions"] = self.available_operations(request, obj)
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
        """A button on the change form: run the operation, or open its page."""
        try:
            chosen = find_operation(self.model, name)
        except KeyError:
            return HttpResponseBadRequest(f"unknown action {name!r}")
        obj = self.object_for(request, object_id, chosen)
        if chosen.has_page:
            return redirect(self.url(chosen.name, obj))
        self.report(request, obj, chosen)
        return redirect(self.url("change", obj))

    def get_urls(self) -> list[URLPattern]:
        """The operations' pages, ``<pk>/<operation>/`` named ``<app>_<model>_<operation>``."""
        opts = self.opts
        pages = [
            path(
                f"<path:object_id>/{operation.name}/",
                self.admin_site.admin_view(self.page_view(operation)),
                name=f"{opts.app_label}_{opts.model_name}_{operation.name}",
            )
            for operation in self.operations
            if operation.has_page
        ]
        return [*pages, *super().get_urls()]

    def page_view(self, operation: StaffOperation) -> Callable[..., HttpResponse]:
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            obj = self.object_for(request, object_id, operation)
            if operation.input == "shipment":
                return self.ship_page(request, obj)
            form = self.input_form(operation, request.POST if request.method == "POST" else None)
            if request.method == "POST" and (form is None or form.is_valid()):
                self.report(request, obj, operation, **(form.cleaned_data if form else {}))
                return redirect(self.url("change", obj))
            return self.confirmation_page(request, operation, [obj], form=form)

        return view

    def input_form(self, operation: StaffOperation, data: Any) -> forms.Form | None:
        form_class = INPUT_FORMS.get(operation.input)
        return form_class(data) if form_class is not None else None

    def object_for(self, request: HttpRequest, object_id: str, operation: StaffOperation) -> Any:
        """The row, if it exists and the user may see it and take ``operation`` (else 404/403)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No such %(name)s.") % {"name": self.opts.verbose_name})
        if not self.has_view_permission(request, obj) or not self.allowed(request, operation):
            raise PermissionDenied
        return obj

    def url(self, view: str, obj: Model) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )

    # -- changelist actions ----------------------------------------------------------------------

    def changelist_action(self, operation: StaffOperation) -> ChangelistAction:
        def action(
            modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
        ) -> HttpResponse | None:
            return self.run_selected(request, queryset, operation)

        action.__name__ = operation.changelist_action
        return admin.action(
            description=operation.bulk_label, permissions=[f"topi_{operation.name}"]
        )(action)

    def run_selected(
        self, request: HttpRequest, queryset: QuerySet[Any], operation: StaffOperation
    ) -> HttpResponse | None:
        """The changelist action: each row in turn, after a confirmation where it asks first."""
        if operation.bulk == "one":
            rows = list(queryset[:2])
            if len(rows) != 1:
                self.message_user(request, str(operation.one_at_a_time), messages.WARNING)
                return None
            return redirect(self.url(operation.name, rows[0]))
        given: dict[str, Any] = {}
        if operation.confirmation is not None:
            form = self.input_form(operation, request.POST if request.POST.get("confirm") else None)
            confirmed = bool(request.POST.get("confirm")) and (form is None or form.is_valid())
            if not confirmed:
                return self.confirmation_page(
                    request, operation, list(queryset), form=form, bulk=True
                )
            given = form.cleaned_data if form is not None else {}
        for obj in queryset:
            if operation.bulk == "applicable" and not operation.applies(obj):
                continue
            self.report(request, obj, operation, **given)
        return None

    # -- running and reporting -------------------------------------------------------------------

    def report(
        self, request: HttpRequest, obj: Any, operation: StaffOperation, **given: Any
    ) -> Outcome[Any] | None:
        """Run ``operation`` on one row and tell the user how it went."""
        try:
            outcome = operation.run(obj, request.user, origin=Origin.ADMIN, **given)
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

    def confirmation_page(
        self,
        request: HttpRequest,
        operation: StaffOperation,
        objects: list[Any],
        *,
        form: forms.Form | None = None,
        bulk: bool = False,
    ) -> TemplateResponse:
        """A page that names the rows an operation will change and asks to go ahead."""
        words = operation.confirmation
        assert words is not None, f"{operation.name} asks for input but has no confirmation"
        single = len(objects) == 1 and not bulk
        title = (
            str(words.title_one) % {"name": objects[0].seller_offer_reference}
            if single
            else words.title_many
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "intro": words.intro_one if single else words.intro_many,
            "submit_label": words.submit_one if single else words.submit_many,
            "objects": [(obj, self.url("change", obj), status_badge(obj)) for obj in objects],
            "bulk_action": operation.changelist_action if bulk else "",
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

    def ship_page(self, request: HttpRequest, order: Order) -> HttpResponse:
        """Tick the units in the parcel, give their serial numbers and one tracking URL."""
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
