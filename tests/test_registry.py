"""The staff operations registry is the one place an operation is declared: the admin's buttons,
pages and changelist actions, the staff API's endpoints and the docs' table all follow it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIRequestFactory, force_authenticate

from django_topi.admin import OrderAdmin
from django_topi.api.staff import ACTION_VIEWS, action_view
from django_topi.fulfilment import OPERATIONS, Outcome, StaffOperation, registry
from django_topi.models import Order
from tests.docs_ext import load
from tests.fulfilment_helpers import make_order

pytestmark = pytest.mark.django_db


def test_every_operation_is_in_the_admin_the_staff_api_and_the_docs(admin_client):
    make_order()
    for operation in OPERATIONS:
        changelist = reverse(f"admin:django_topi_{operation.model_name}_changelist")
        choices = dict(admin_client.get(changelist).context["action_form"].fields["action"].choices)
        assert choices[operation.changelist_action] == operation.bulk_label, operation.name
        if operation.permission:
            assert Permission.objects.filter(
                content_type__app_label="django_topi", codename=operation.permission
            ).exists(), operation.permission
        if operation.in_api:
            assert (operation.model_name, operation.name) in ACTION_VIEWS
            reverse(f"django_topi:api_staff_{operation.model_name}_{operation.name}", args=["x"])
    assert len(ACTION_VIEWS) == sum(operation.in_api for operation in OPERATIONS)

    table = {row[0:2]: row for row in load("operations_table").rows()}
    assert list(table) == [(op.name, op.model_name) for op in OPERATIONS]
    assert table[("ship", "order")][5] == "POST /topi/api/staff/orders/{topi_id}/ship/"
    assert table[("ship", "order")][3] == "django_topi.ship_order"
    assert table[("resolve_conflict", "order")][5] == ""  # not in the staff API


def test_a_new_operation_is_one_declaration(monkeypatch, admin_user):
    """A hypothetical "hold" operation, declared once: the admin offers its button and its
    changelist action and runs it; the staff API's endpoint for it runs it too."""
    calls: list[tuple[str, str]] = []

    def hold(order: Order, user: object = None, *, origin: str) -> Outcome[Order]:
        calls.append((order.seller_offer_reference, origin))
        return Outcome(order, f"Order {order.seller_offer_reference} is on hold.", changed=True)

    hold_operation = StaffOperation(
        "hold", Order, "Hold", "Keep the order back.", "Hold at topi", "", hold, lambda o: True
    )
    monkeypatch.setattr(registry, "OPERATIONS", (*OPERATIONS, hold_operation))
    order = make_order()
    order_admin = OrderAdmin(Order, admin.site)
    request = RequestFactory().get("/")
    request.user = admin_user

    assert hold_operation in order_admin.available_operations(request, order)
    assert ("hold_selected", "Hold at topi") in order_admin.get_action_choices(request)
    order_admin.message_user = lambda request, message, level: calls.append(("said", message))
    order_admin.report(request, order, hold_operation)

    view = action_view(hold_operation).as_view()
    api_request = APIRequestFactory().post("/", {}, format="json")
    force_authenticate(api_request, admin_user)
    response = view(api_request, topi_id=order.topi_id)

    assert response.status_code == 200
    assert response.data["detail"] == "Order SO-100234 is on hold."
    assert calls == [
        ("SO-100234", "admin"),
        ("said", "Order SO-100234 is on hold."),
        ("SO-100234", "api"),
    ]
