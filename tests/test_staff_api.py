"""The staff API: model permissions, filters, JSON errors with codes, and actions through fulfilment."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework.authtoken.models import Token

from django_topi.models import Offer, Order, Shipment
from tests import payloads
from tests.conftest import api_calls
from tests.fulfilment_helpers import (
    DASHBOARD,
    LAPTOP,
    LAPTOP_1,
    OFFER_ID,
    OFFER_URL,
    ORDER_ID,
    ORDER_URL,
    SHIPMENT_URL,
    SLEEVE,
    make_offer,
    make_order,
    order_result,
    posts,
    sent_json,
    with_assets_shipped,
)

pytestmark = pytest.mark.django_db

BASE = "/topi/api/staff"
ALL_ORDER_PERMISSIONS = (
    "view_order",
    "acknowledge_order",
    "confirm_order",
    "reject_order",
    "ship_order",
)


def browser_for(*codenames, name="carol"):
    """A signed-in API client for a user holding exactly these django_topi permissions."""
    user = get_user_model().objects.create_user(name, password="pw")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="django_topi", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff():
    return browser_for(*ALL_ORDER_PERMISSIONS, "view_offer", "void_offer")


def invalid_status():
    return {"name": "InvalidStatus", "id": "e", "message": "wrong status", "temporary": False,
            "timeout": False, "fault": False}  # fmt: skip


# -- who may look --------------------------------------------------------------------------------


def test_an_anonymous_caller_is_refused_with_a_code():
    response = Client().get(f"{BASE}/orders/")

    assert response.status_code == 403
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
    }


def test_reading_needs_the_view_permission():
    make_order()
    browser = browser_for("view_offer")

    assert browser.get(f"{BASE}/offers/").status_code == 200
    response = browser.get(f"{BASE}/orders/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert browser.get(f"{BASE}/orders/{ORDER_ID}/").status_code == 403


def test_a_token_works_too():
    make_order()
    user = get_user_model().objects.create_user("robot")
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    token = Token.objects.create(user=user)

    response = Client().get(f"{BASE}/orders/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


# -- lists and details ---------------------------------------------------------------------------


def add_orders():
    """Three orders: created today, confirmed today, completed ten days ago in production."""
    make_order("created")
    Order.objects.create(topi_id="d-2", seller_offer_reference="SO-2", environment="sandbox")
    Order.objects.filter(topi_id="d-2").update(status="confirmed")
    old = Order.objects.create(
        topi_id="d-3", seller_offer_reference="SO-3", environment="production"
    )
    Order.objects.filter(pk=old.pk).update(
        status="completed", created_at=timezone.now() - timedelta(days=10)
    )


def listed(browser, **params):
    response = browser.get(f"{BASE}/orders/", params)
    assert response.status_code == 200, response.json()
    return [row["reference"] for row in response.json()["results"]]


def test_orders_are_listed_newest_first(staff):
    add_orders()

    body = staff.get(f"{BASE}/orders/").json()

    assert body["count"] == 3
    assert [row["reference"] for row in body["results"]] == ["SO-2", "SO-100234", "SO-3"]
    assert body["results"][1] == {
        "topi_id": ORDER_ID,
        "reference": "SO-100234",
        "status": "created",
        "environment": "sandbox",
        "offer_id": OFFER_ID,
        "company_name": "Unicorn Corp",
        "email": "alice@unicorn.example",
        "conflict": "",
        "topi_created_at": timezone.localtime(
            Order.objects.get(topi_id=ORDER_ID).topi_created_at
        ).isoformat(),
        "created_at": body["results"][1]["created_at"],
        "updated_at": body["results"][1]["updated_at"],
    }


def test_orders_are_filtered_by_status_environment_date_and_reference(staff):
    add_orders()
    today = timezone.localdate().isoformat()
    five_days_ago = (timezone.now() - timedelta(days=5)).isoformat()

    assert listed(staff, status="confirmed") == ["SO-2"]
    assert listed(staff, status="created,completed") == ["SO-100234", "SO-3"]
    assert listed(staff, environment="production") == ["SO-3"]
    assert listed(staff, created_after=today) == ["SO-2", "SO-100234"]
    assert listed(staff, created_before=five_days_ago) == ["SO-3"]
    assert listed(staff, created_before=today) == ["SO-2", "SO-100234", "SO-3"]  # the whole day
    assert listed(staff, reference="SO-2") == ["SO-2"]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"status": "shipped"}, {"status": [
            "Unknown status shipped; use one of created, acknowledged, confirmed, accepted, "
            "partially_fulfilled, completed, canceled, rejected."]}),
        ({"environment": "staging"}, {"environment": ["Use one of production, sandbox, simulator."]}),
        ({"created_after": "last tuesday"}, {"created_after": ["Use an ISO 8601 date or date-time."]}),
    ],
)  # fmt: skip
def test_a_bad_filter_answers_400_with_the_field(staff, params, errors):
    response = staff.get(f"{BASE}/orders/", params)

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "The request is not valid: see errors.",
        "errors": errors,
    }


def test_lists_are_paginated(staff):
    Order.objects.bulk_create(
        Order(topi_id=f"d-{n}", seller_offer_reference=f"SO-{n}", environment="sandbox")
        for n in range(7)
    )

    body = staff.get(f"{BASE}/orders/", {"page_size": 5, "page": 2}).json()

    assert body["count"] == 7
    assert len(body["results"]) == 2
    assert body["next"] is None
    assert body["previous"].endswith("page_size=5")


def test_a_list_costs_its_query_budget_for_1_or_50_rows(staff, query_budget):
    def show(rows):
        with query_budget(6, f"the staff API's order list of {rows}"):
            assert staff.get(f"{BASE}/orders/").json()["count"] == rows

    Order.objects.create(topi_id="d-x", seller_offer_reference="SO-x", environment="sandbox")
    show(1)
    Order.objects.bulk_create(
        Order(topi_id=f"d-{n}", seller_offer_reference=f"SO-{n}", environment="sandbox")
        for n in range(49)
    )
    show(50)


def test_an_order_in_detail_has_its_units_shipments_and_timeline(staff, admin_user):
    order = make_order("confirmed")
    Shipment.objects.create(order=order, tracking_url="https://t.example/1", created_by=admin_user)

    body = staff.get(f"{BASE}/orders/{ORDER_ID}/").json()

    assert [asset["id"] for asset in body["assets"]] == [
        a["id"] for a in payloads.order()["assets"]
    ]
    assert body["assets"][0]["product_references"] == [LAPTOP]
    assert body["shipments"][0]["tracking_url"] == "https://t.example/1"
    assert body["shipments"][0]["created_by"] == "admin"
    assert [(s["source"], s["target"]) for s in body["status_changes"]] == [
        ("", "created"), ("created", "confirmed")]  # fmt: skip
    assert body["dashboard_url"] == DASHBOARD
    assert body["order_lines"][0]["contract_type"] == "rent"


def test_an_unknown_order_is_a_json_404(staff):
    response = staff.get(f"{BASE}/orders/nope/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_offers_are_listed_and_read_without_the_customers_checkout_link(staff):
    make_order()
    Offer.objects.create(seller_offer_reference="SO-9", environment="sandbox")  # a draft

    rows = staff.get(f"{BASE}/offers/", {"status": "accepted"}).json()["results"]
    detail = staff.get(f"{BASE}/offers/{OFFER_ID}/").json()

    assert [row["reference"] for row in rows] == ["SO-100234"]
    assert detail["orders"] == [ORDER_ID]
    assert detail["dashboard_url"] == DASHBOARD
    assert [line["title"] for line in detail["lines"]] == ["Pro Laptop 14", "Laptop Sleeve"]
    assert "token=" not in str(detail)
    assert "checkout_redirect_url" not in detail
    assert staff.get(f"{BASE}/offers/", {"status": "draft"}).json()["count"] == 1


# -- actions -------------------------------------------------------------------------------------


def test_acknowledge(staff, mocked):
    make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", json=order_result("acknowledged"))

    response = staff.post(f"{BASE}/orders/{ORDER_ID}/acknowledge/")

    assert response.status_code == 200
    body = response.json()
    assert body["detail"] == "Order SO-100234 is acknowledged at topi."
    assert body["already"] is False
    assert body["order"]["status"] == "acknowledged"
    assert body["order"]["status_changes"][-1] == {
        "source": "created",
        "target": "acknowledged",
        "transition": "acknowledge",
        "origin": "api",
        "user": "carol",
        "created_at": body["order"]["status_changes"][-1]["created_at"],
    }


def test_an_action_needs_its_own_permission(mocked):
    make_order("created")
    browser = browser_for("view_order", "acknowledge_order")

    response = browser.post(f"{BASE}/orders/{ORDER_ID}/confirm/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api_calls(mocked) == []


def test_an_action_needs_the_view_permission_too(mocked):
    make_order("created")
    browser = browser_for("acknowledge_order")

    assert browser.post(f"{BASE}/orders/{ORDER_ID}/acknowledge/").status_code == 403
    assert api_calls(mocked) == []


def test_confirm_repeated_is_harmless(staff, mocked):
    make_order("confirmed")

    response = staff.post(f"{BASE}/orders/{ORDER_ID}/confirm/")

    assert response.status_code == 200
    assert response.json()["already"] is True
    assert response.json()["detail"] == "Order SO-100234 was already confirmed at topi."
    assert api_calls(mocked) == []


def test_reject_with_a_reason(staff, mocked):
    make_order("created")
    mocked.post(f"{ORDER_URL}/reject", json=order_result("rejected"))

    response = staff.post(
        f"{BASE}/orders/{ORDER_ID}/reject/", {"reason": "Sold out"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["order"]["rejection_reason"] == "Sold out"
    assert Order.objects.get().status == "rejected"


def test_a_refusal_by_topi_is_409_with_the_real_status(staff, mocked):
    make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", status=422, json=invalid_status())
    mocked.get(ORDER_URL, json=payloads.order("canceled"))

    response = staff.post(f"{BASE}/orders/{ORDER_ID}/acknowledge/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_status",
        "detail": "topi refused to acknowledge order SO-100234: at topi it is canceled "
        "(HTTP 422 InvalidStatus: wrong status). django-topi has re-synced it.",
        "status": "canceled",
    }


def test_topi_down_is_503(staff, mocked):
    make_order("created")
    mocked.post(f"{ORDER_URL}/accept", body=requests.ConnectionError("down"))

    response = staff.post(f"{BASE}/orders/{ORDER_ID}/confirm/")

    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert Order.objects.get().status == "created"


def test_the_wrong_local_state_is_409_without_asking_topi(staff, mocked):
    make_order("completed")

    response = staff.post(f"{BASE}/orders/{ORDER_ID}/reject/")

    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_state",
        "detail": "Order SO-100234 is completed: a confirmed order can no longer be rejected. "
        "To cancel it, contact topi support (support@topi.eu).",
    }
    assert api_calls(mocked) == []


def test_ship(staff, mocked):
    make_order("confirmed")
    mocked.post(SHIPMENT_URL, json={"serial_numbers": []})
    mocked.get(ORDER_URL, json=with_assets_shipped(payloads.order("partially_fulfilled"), LAPTOP_1))

    response = staff.post(
        f"{BASE}/orders/{ORDER_ID}/ship/",
        {
            "items": [{"asset_id": LAPTOP_1, "serial_number": "SN-1"}, {"asset_id": SLEEVE}],
            "tracking_url": "https://tracking.example/1",
            "metadata": {"parcel": "1/2"},
        },
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["order"]["status"] == "partially_fulfilled"
    assert sent_json(posts(mocked)[0])["metadata"] == {"parcel": "1/2"}
    assert len(sent_json(posts(mocked)[0])["serial_numbers"]) == 2
    assert Shipment.objects.get().metadata == {"parcel": "1/2"}


def test_an_invalid_shipment_is_400_with_the_problem_per_unit(staff, mocked):
    make_order("confirmed")

    response = staff.post(
        f"{BASE}/orders/{ORDER_ID}/ship/",
        {"items": [{"asset_id": LAPTOP_1}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_shipment"
    assert response.json()["errors"] == {
        LAPTOP_1: ["A serial number is required: this product can be rented."]
    }
    assert api_calls(mocked) == []


def test_a_malformed_ship_body_is_400_with_the_fields(staff, mocked):
    make_order("confirmed")

    response = staff.post(
        f"{BASE}/orders/{ORDER_ID}/ship/",
        {"items": [{"serial_number": "SN-1"}], "tracking_url": ["a", "b"]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {
        "items.0.asset_id": ["This field is required."],
        "tracking_url": ["Not a valid string."],
    }
    assert api_calls(mocked) == []


def test_ship_needs_the_ship_permission(mocked):
    make_order("confirmed")
    browser = browser_for("view_order", "confirm_order")

    response = browser.post(
        f"{BASE}/orders/{ORDER_ID}/ship/", {"items": []}, content_type="application/json"
    )

    assert response.status_code == 403
    assert api_calls(mocked) == []


def test_void_and_resync_an_offer(staff, mocked):
    make_offer("created")
    mocked.post(f"{OFFER_URL}/void", json=payloads.offer("voided"))
    mocked.get(OFFER_URL, json=payloads.offer("voided"))

    voided = staff.post(f"{BASE}/offers/{OFFER_ID}/void/")
    gets_before = sum(
        c.request.method == "GET" and c.request.url == OFFER_URL for c in mocked.calls
    )
    resynced = staff.post(f"{BASE}/offers/{OFFER_ID}/resync/")
    gets_after = sum(c.request.method == "GET" and c.request.url == OFFER_URL for c in mocked.calls)

    assert voided.status_code == 200
    assert voided.json()["offer"]["status"] == "voided"
    assert resynced.json()["detail"] == "Offer SO-100234 re-synced from topi: it is voided."
    assert gets_after == gets_before + 1  # the re-sync asked topi
    assert Offer.objects.get().status_changes.last().origin == "api"


def test_void_needs_the_void_permission(mocked):
    make_offer("created")
    browser = browser_for("view_offer")

    response = browser.post(f"{BASE}/offers/{OFFER_ID}/void/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert api_calls(mocked) == []
    assert Offer.objects.get().status == "created"


def test_resync_an_order_needs_only_the_view_permission(mocked):
    make_order("created")
    mocked.get(ORDER_URL, json=payloads.order("acknowledged"))
    browser = browser_for("view_order")

    response = browser.post(f"{BASE}/orders/{ORDER_ID}/resync/")

    assert response.status_code == 200
    assert response.json()["order"]["status"] == "acknowledged"


def test_session_callers_need_a_csrf_token(mocked):
    make_order("created")
    user = get_user_model().objects.create_superuser("root", password="pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = browser.post(f"{BASE}/orders/{ORDER_ID}/acknowledge/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
    assert api_calls(mocked) == []


# -- the schema ----------------------------------------------------------------------------------


def test_the_staff_endpoints_are_described_for_openapi():
    from drf_spectacular.generators import SchemaGenerator

    from django_topi.api.urls import staff_urlpatterns

    generator = SchemaGenerator(patterns=[path("topi/api/", include(staff_urlpatterns))])
    schema = generator.get_schema(request=None, public=True)

    paths = schema["paths"]
    assert sorted(paths) == [
        "/topi/api/staff/offers/",
        "/topi/api/staff/offers/{topi_id}/",
        "/topi/api/staff/offers/{topi_id}/resync/",
        "/topi/api/staff/offers/{topi_id}/void/",
        "/topi/api/staff/orders/",
        "/topi/api/staff/orders/{topi_id}/",
        "/topi/api/staff/orders/{topi_id}/acknowledge/",
        "/topi/api/staff/orders/{topi_id}/confirm/",
        "/topi/api/staff/orders/{topi_id}/reject/",
        "/topi/api/staff/orders/{topi_id}/resync/",
        "/topi/api/staff/orders/{topi_id}/ship/",
    ]
    listing = paths["/topi/api/staff/orders/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "status", "environment", "created_after", "created_before", "reference", "page"}  # fmt: skip
    ship = paths["/topi/api/staff/orders/{topi_id}/ship/"]["post"]
    assert ship["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Ship")
    assert set(ship["responses"]) == {"200", "400", "403", "404", "409", "502", "503"}
    assert "errors" in schema["components"]["schemas"]["StaffError"]["properties"]
