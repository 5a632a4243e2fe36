"""Staff act at topi from the admin: buttons, changelist actions, confirmation pages, shipping."""

from __future__ import annotations

import pytest
import requests
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from django_topi.models import (
    Asset,
    Offer,
    OfferLine,
    Order,
    Shipment,
    StatusChange,
    WebhookEvent,
)
from tests import payloads
from tests.conftest import api_calls
from tests.fulfilment_helpers import (
    DASHBOARD,
    LAPTOP,
    LAPTOP_1,
    LAPTOP_2,
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


def url(model, view="changelist", *args):
    return reverse(f"admin:django_topi_{model._meta.model_name}_{view}", args=args)


def shown(response):
    """The messages the next page shows, as (level tag, text)."""
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def staff_with(*codenames):
    """A signed-in browser for a staff member holding exactly these django_topi permissions."""
    name = "staff-" + "-".join(codenames)
    user = get_user_model().objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="django_topi", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def offered_actions(browser, model):
    response = browser.get(url(model))
    assert response.status_code == 200
    return [
        name for name, _label in response.context["action_form"].fields["action"].choices if name
    ]


def buttons(page):
    return [
        value
        for value in ("acknowledge", "confirm", "reject", "ship", "void", "resync")
        if f'name="_fsm_transition_to" value="{value}"' in page
    ]


def run_action(browser, model, action, rows, **extra):
    data = {"action": action, "_selected_action": [row.pk for row in rows], **extra}
    return browser.post(url(model), data)


# -- what is offered -----------------------------------------------------------------------------


def test_a_superuser_is_offered_every_order_action(admin_client):
    make_order()
    assert offered_actions(admin_client, Order) == [
        "acknowledge_selected",
        "confirm_selected",
        "reject_selected",
        "ship_selected",
        "resync_selected",
        "resolve_conflicts_selected",
    ]
    assert offered_actions(admin_client, Offer) == [
        "void_selected",
        "resync_selected",
        "resolve_conflicts_selected",
    ]


def test_an_action_is_offered_only_with_its_permission():
    make_order()
    viewer = staff_with("view_order", "view_offer")
    assert offered_actions(viewer, Order) == ["resync_selected"]
    assert offered_actions(viewer, Offer) == ["resync_selected"]

    shipper = staff_with("view_order", "ship_order", "confirm_order")
    assert offered_actions(shipper, Order) == [
        "confirm_selected",
        "ship_selected",
        "resync_selected",
    ]


def test_an_action_without_its_permission_is_refused(mocked):
    order = make_order()
    viewer = staff_with("view_order")

    response = run_action(viewer, Order, "acknowledge_selected", [order])

    assert shown(response) == [("warning", "No action selected.")]
    assert api_calls(mocked) == []
    assert Order.objects.get().status == "created"


def test_the_change_form_shows_the_buttons_that_fit_the_status(admin_client):
    order = make_order("created")
    assert buttons(admin_client.get(url(Order, "change", order.pk)).text) == [
        "acknowledge", "confirm", "reject", "resync"]  # fmt: skip

    Order.objects.all().delete()
    order = make_order("confirmed")
    assert buttons(admin_client.get(url(Order, "change", order.pk)).text) == ["ship", "resync"]

    offer = Offer.objects.get()  # accepted: no void
    assert buttons(admin_client.get(url(Offer, "change", offer.pk)).text) == ["resync"]


def test_the_change_form_shows_only_the_buttons_the_user_may_press():
    order = make_order("created")
    browser = staff_with("view_order", "acknowledge_order")

    page = browser.get(url(Order, "change", order.pk)).text

    assert buttons(page) == ["acknowledge", "resync"]
    assert 'name="_save"' not in page


def test_the_buttons_carry_an_explanation(admin_client):
    order = make_order("created")

    page = admin_client.get(url(Order, "change", order.pk)).text

    assert 'title="Accept the order at topi: this activates the rental contracts."' in page
    # topi's meaning: acknowledging "confirms that the order can be fulfilled".
    assert 'title="Confirm to topi that the shop can fulfil the order."' in page


# -- buttons on the change form ------------------------------------------------------------------


def test_the_acknowledge_button_acts_at_topi_and_reports(admin_client, mocked):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", json=order_result("acknowledged"))

    response = admin_client.post(
        url(Order, "change", order.pk), {"_fsm_transition_to": "acknowledge"}
    )

    assert response.status_code == 302
    assert response.url == url(Order, "change", order.pk)
    assert shown(response) == [("success", "Order SO-100234 is acknowledged at topi.")]
    order.refresh_from_db()
    assert order.status == "acknowledged"
    change = order.status_changes.last()
    assert (change.origin, change.user.username) == ("admin", "admin")


def test_a_button_without_its_permission_is_refused(mocked):
    order = make_order("created")
    browser = staff_with("view_order", "acknowledge_order")

    response = browser.post(url(Order, "change", order.pk), {"_fsm_transition_to": "confirm"})

    assert response.status_code == 403
    assert api_calls(mocked) == []


def test_an_unknown_button_is_a_bad_request(admin_client):
    order = make_order("created")

    response = admin_client.post(url(Order, "change", order.pk), {"_fsm_transition_to": "cancel"})

    assert response.status_code == 400


def test_the_form_itself_still_cannot_be_saved(admin_client):
    order = make_order("created")

    response = admin_client.post(
        url(Order, "change", order.pk), {"status": "completed", "_save": "1"}
    )

    assert response.status_code == 403


def test_a_button_when_topi_is_down_shows_the_reason(admin_client, mocked):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/accept", body=requests.ConnectionError("down"))

    response = admin_client.post(url(Order, "change", order.pk), {"_fsm_transition_to": "confirm"})

    assert shown(response) == [(
        "error",
        "topi cannot be reached right now, so order SO-100234 was left as it is. "
        "Try again in a few minutes.",
    )]  # fmt: skip
    assert Order.objects.get().status == "created"


def test_the_resync_button(admin_client, mocked):
    order = make_order("created")
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    response = admin_client.post(url(Order, "change", order.pk), {"_fsm_transition_to": "resync"})

    assert shown(response) == [
        ("success", "Order SO-100234 re-synced from topi: created → confirmed.")
    ]


# -- rejecting -----------------------------------------------------------------------------------


def test_reject_button_opens_a_confirmation_page_with_an_optional_reason(admin_client):
    order = make_order("created")

    response = admin_client.post(url(Order, "change", order.pk), {"_fsm_transition_to": "reject"})
    assert response.url == url(Order, "reject", order.pk)
    page = admin_client.get(response.url)

    assert page.status_code == 200
    assert "This order will be rejected at topi; this cannot be undone:" in page.text
    assert 'name="reason"' in page.text
    assert "Yes, reject it" in page.text


def test_rejecting_from_the_page_keeps_the_reason(admin_client, mocked):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/reject", json=order_result("rejected"))

    response = admin_client.post(url(Order, "reject", order.pk), {"reason": "Damaged in stock"})

    assert response.url == url(Order, "change", order.pk)
    assert shown(response) == [("success", "Order SO-100234 is rejected at topi.")]
    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == ("rejected", "Damaged in stock")
    assert "Damaged in stock" in admin_client.get(url(Order, "change", order.pk)).text


def test_the_reject_page_needs_the_permission(mocked):
    order = make_order("created")
    browser = staff_with("view_order", "confirm_order")

    assert browser.get(url(Order, "reject", order.pk)).status_code == 403
    assert browser.post(url(Order, "reject", order.pk), {"reason": "x"}).status_code == 403
    assert api_calls(mocked) == []


def test_bulk_reject_asks_first_then_reports_each_row(admin_client, mocked):
    order = make_order("created")
    other = Order.objects.create(
        topi_id="d-2", seller_offer_reference="SO-2", environment="sandbox"
    )
    Order.objects.filter(pk=other.pk).update(status="completed")  # a row topi finished

    confirm_page = run_action(admin_client, Order, "reject_selected", [order, other])
    assert confirm_page.status_code == 200
    assert "These orders will be rejected at topi" in confirm_page.text
    assert confirm_page.text.count('name="_selected_action"') == 2
    assert api_calls(mocked) == []

    mocked.post(f"{ORDER_URL}/reject", json=order_result("rejected"))
    done = run_action(
        admin_client, Order, "reject_selected", [order, other], confirm="yes", reason="No stock"
    )

    assert done.status_code == 302
    assert sorted(shown(done)) == [
        ("error", "Order SO-2 is completed: a confirmed order can no longer be rejected. To cancel "
                  "it, contact topi support (support@topi.eu)."),
        ("success", "Order SO-100234 is rejected at topi."),
    ]  # fmt: skip
    assert Order.objects.get(pk=order.pk).rejection_reason == "No stock"
    assert len(posts(mocked)) == 1


# -- bulk actions report per row -----------------------------------------------------------------


def test_bulk_acknowledge_reports_the_outcome_of_every_row(admin_client, mocked):
    first = make_order("created")
    second_payload = {**payloads.order("created"), "id": "d-2", "seller_offer_reference": "SO-2",
                      "assets": []}  # fmt: skip
    from django_topi.sync import apply_order_payload

    second = apply_order_payload(second_payload, "webhook").instance
    third = apply_order_payload(
        {**second_payload, "id": "d-3", "seller_offer_reference": "SO-3", "status": "confirmed"},
        "webhook",
    ).instance
    mocked.post(f"{ORDER_URL}/acknowledge", json=order_result("acknowledged"))
    mocked.post(
        "https://seller-api-sandbox.topi-sandbox.eu/v1/orders/d-2/acknowledge",
        status=422,
        json={"name": "InvalidStatus", "id": "e", "message": "not created", "temporary": False,
              "timeout": False, "fault": False},
    )  # fmt: skip
    mocked.get(
        "https://seller-api-sandbox.topi-sandbox.eu/v1/orders/d-2",
        json={**second_payload, "status": "canceled"},
    )

    response = run_action(admin_client, Order, "acknowledge_selected", [first, second, third])

    assert sorted(shown(response)) == [
        ("error", "Order SO-3 is confirmed here; only orders that are created can be acknowledged."),
        ("error", "topi refused to acknowledge order SO-2: at topi it is canceled "
                  "(HTTP 422 InvalidStatus: not created). django-topi has re-synced it."),
        ("success", "Order SO-100234 is acknowledged at topi."),
    ]  # fmt: skip
    assert dict(Order.objects.values_list("seller_offer_reference", "status")) == {
        "SO-100234": "acknowledged", "SO-2": "canceled", "SO-3": "confirmed"}  # fmt: skip


def test_bulk_confirm(admin_client, mocked):
    order = make_order("acknowledged")
    mocked.post(f"{ORDER_URL}/accept", json=order_result("confirmed"))

    response = run_action(admin_client, Order, "confirm_selected", [order])

    assert shown(response) == [
        ("success", "Order SO-100234 is confirmed at topi: its rental contracts are active.")
    ]


def test_bulk_resync(admin_client, mocked):
    order = make_order("acknowledged")
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    response = run_action(admin_client, Order, "resync_selected", [order])

    assert shown(response) == [
        ("success", "Order SO-100234 re-synced from topi: acknowledged → confirmed.")
    ]
    last = Order.objects.get().status_changes.last()
    assert (last.target, last.origin, last.user.username) == ("confirmed", "admin", "admin")


def test_an_order_topi_already_moved_is_reported_as_information(admin_client, mocked):
    order = make_order("acknowledged")

    response = run_action(admin_client, Order, "acknowledge_selected", [order])

    assert shown(response) == [("info", "Order SO-100234 was already acknowledged at topi.")]
    assert api_calls(mocked) == []


# -- voiding -------------------------------------------------------------------------------------


def test_bulk_void_asks_first_then_voids(admin_client, mocked):
    offer = make_offer("created")

    page = run_action(admin_client, Offer, "void_selected", [offer])
    assert "These offers will be voided at topi" in page.text
    assert api_calls(mocked) == []

    mocked.post(f"{OFFER_URL}/void", json=payloads.offer("voided"))
    done = run_action(admin_client, Offer, "void_selected", [offer], confirm="yes")

    assert shown(done) == [("success", "Offer SO-100234 is voided at topi.")]
    assert Offer.objects.get().status == "voided"


def test_the_void_button_and_page(admin_client, mocked):
    offer = make_offer("created")
    assert buttons(admin_client.get(url(Offer, "change", offer.pk)).text) == ["void", "resync"]

    redirect = admin_client.post(url(Offer, "change", offer.pk), {"_fsm_transition_to": "void"})
    assert redirect.url == url(Offer, "void", offer.pk)
    assert "Yes, void it" in admin_client.get(redirect.url).text

    mocked.post(f"{OFFER_URL}/void", json=payloads.offer("voided"))
    done = admin_client.post(url(Offer, "void", offer.pk))
    assert shown(done) == [("success", "Offer SO-100234 is voided at topi.")]


def test_voiding_needs_the_void_permission(mocked):
    offer = make_offer("created")
    browser = staff_with("view_offer")

    assert buttons(browser.get(url(Offer, "change", offer.pk)).text) == ["resync"]
    assert browser.get(url(Offer, "void", offer.pk)).status_code == 403
    assert (
        browser.post(url(Offer, "change", offer.pk), {"_fsm_transition_to": "void"}).status_code
        == 403
    )
    assert api_calls(mocked) == []


# -- shipping ------------------------------------------------------------------------------------


def test_the_ship_page_lists_the_units_still_to_ship(admin_client):
    order = make_order(
        "partially_fulfilled", assets=with_assets_shipped(payloads.order(), LAPTOP_1)["assets"]
    )
    asset = {a.topi_id: a.pk for a in Asset.objects.all()}

    page = admin_client.get(url(Order, "ship", order.pk)).text

    assert f'name="ship_{asset[LAPTOP_2]}"' in page
    assert f'name="serial_{asset[LAPTOP_2]}"' in page
    assert f'name="ship_{asset[SLEEVE]}"' in page
    assert f'name="ship_{asset[LAPTOP_1]}"' not in page  # shipped already
    assert "optional (accessory)" in page
    assert 'name="tracking_url"' in page
    assert "SN-001" in page  # the shipped unit's serial number, listed below


def test_shipping_from_the_admin(admin_client, mocked):
    order = make_order("confirmed")
    asset = {a.topi_id: a.pk for a in Asset.objects.all()}
    mocked.post(SHIPMENT_URL, json={"serial_numbers": []})
    mocked.get(ORDER_URL, json=with_assets_shipped(payloads.order("partially_fulfilled"), LAPTOP_1))

    response = admin_client.post(
        url(Order, "ship", order.pk),
        {
            f"ship_{asset[LAPTOP_1]}": "on",
            f"serial_{asset[LAPTOP_1]}": "SN-1",
            f"serial_{asset[LAPTOP_2]}": "ignored: not ticked",
            "tracking_url": "https://tracking.example/parcel/1",
        },
    )

    assert response.url == url(Order, "change", order.pk)
    assert shown(response) == [
        (
            "success",
            "1 item(s) of order SO-100234 shipped at topi; the order is partially fulfilled.",
        )
    ]
    assert sent_json(posts(mocked)[0]) == {
        "order_id": ORDER_ID,
        "serial_numbers": [{"seller_product_reference": LAPTOP, "serial_number": "SN-1"}],
        "tracking_url": "https://tracking.example/parcel/1",
    }
    shipment = Shipment.objects.get()
    assert shipment.created_by.username == "admin"


def test_the_ship_form_shows_what_is_wrong_beside_the_unit(admin_client, mocked):
    order = make_order("confirmed")
    asset = {a.topi_id: a.pk for a in Asset.objects.all()}

    response = admin_client.post(
        url(Order, "ship", order.pk),
        {f"ship_{asset[LAPTOP_1]}": "on", "tracking_url": "not a url"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        f"serial_{asset[LAPTOP_1]}": ["A serial number is required: this product can be rented."],
        "tracking_url": ["Enter the full tracking URL, starting with https://."],
    }
    assert api_calls(mocked) == []


def test_the_ship_page_needs_the_permission(mocked):
    order = make_order("confirmed")
    browser = staff_with("view_order", "confirm_order")

    assert browser.get(url(Order, "ship", order.pk)).status_code == 403
    assert browser.post(url(Order, "ship", order.pk), {}).status_code == 403
    assert offered_actions(browser, Order) == ["confirm_selected", "resync_selected"]


def test_the_ship_action_opens_the_page_for_one_order(admin_client):
    order = make_order("confirmed")
    other = Order.objects.create(
        topi_id="d-2", seller_offer_reference="SO-2", environment="sandbox"
    )

    one = run_action(admin_client, Order, "ship_selected", [order])
    two = run_action(admin_client, Order, "ship_selected", [order, other])

    assert one.url == url(Order, "ship", order.pk)
    assert shown(two) == [("warning", "Ship one order at a time: select a single order.")]


def test_the_ship_page_of_an_order_that_cannot_ship(admin_client):
    order = make_order("created")

    page = admin_client.get(url(Order, "ship", order.pk)).text

    assert "Only confirmed or partially fulfilled orders can be shipped." in page
    assert 'name="tracking_url"' not in page


# -- list pages ----------------------------------------------------------------------------------


def test_list_pages_show_status_badges_and_topis_dashboard(admin_client):
    make_order("confirmed")

    offers = admin_client.get(url(Offer)).text
    orders = admin_client.get(url(Order)).text

    assert 'class="topi-status topi-status-accepted"' in offers
    assert 'class="topi-status topi-status-confirmed"' in orders
    for page in (offers, orders):
        assert (
            f'<a href="{DASHBOARD}" target="_blank" rel="noopener noreferrer">open in topi</a>'
            in page
        )


def add_rows(count):
    """``count`` offers and orders, each order with its offer, cheaply."""
    offers = Offer.objects.bulk_create(
        Offer(topi_id=f"o-{n}", seller_offer_reference=f"SO-{n}", environment="sandbox",
              status="accepted", raw={"seller_offer_redirect_url": f"https://dashboard.example/{n}"},
              amount_gross=1000, currency="EUR")
        for n in range(count)
    )  # fmt: skip
    Order.objects.bulk_create(
        Order(topi_id=f"d-{n}", seller_offer_reference=f"SO-{n}", environment="sandbox",
              status="confirmed", offer=offer, offer_topi_id=offer.topi_id)
        for n, offer in enumerate(offers)
    )  # fmt: skip


@pytest.mark.parametrize(("model", "budget"), [(Offer, 7), (Order, 7)], ids=["Offer", "Order"])
def test_a_list_page_with_status_badges_costs_its_budget_for_1_or_500_rows(
    admin_client, monkeypatch, model, budget, query_budget
):
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 500)
    add_rows(1)
    admin_client.get(url(model))  # fills per-process caches (content types, permissions)

    def show(rows_expected):
        with query_budget(budget, f"the {model.__name__} list of {rows_expected}"):
            response = admin_client.get(url(model))
        assert len(response.context["cl"].result_list) == rows_expected
        assert response.text.count("topi-status-") >= rows_expected

    show(1)
    Order.objects.all().delete()
    Offer.objects.all().delete()
    add_rows(500)
    show(500)


# -- every page renders --------------------------------------------------------------------------


@pytest.fixture
def every_row(admin_user):
    order = make_order("confirmed")
    Shipment.objects.create(order=order, serial_numbers=[], created_by=admin_user)
    WebhookEvent.objects.create(body=b"{}", headers={}, dedupe_key="k-1")
    return {
        Offer: Offer.objects.get(),
        Order: order,
        StatusChange: StatusChange.objects.first(),
        Shipment: Shipment.objects.get(),
        WebhookEvent: WebhookEvent.objects.get(),
    }


def test_every_changelist_and_change_form_renders(admin_client, every_row):
    registered = [m for m in admin.site._registry if m._meta.app_label == "django_topi"]
    assert set(registered) == set(every_row)
    for model, row in every_row.items():
        changelist = admin_client.get(url(model))
        assert changelist.status_code == 200, model
        assert row.pk in [shown.pk for shown in changelist.context["cl"].result_list], model
        page = admin_client.get(url(model, "change", row.pk))
        assert page.status_code == 200, model
        assert escape(str(row)) in page.text, model  # the breadcrumbs name the row
    offer_page = admin_client.get(url(Offer, "change", every_row[Offer].pk)).text
    titles = list(OfferLine.objects.values_list("title", flat=True))
    assert titles
    assert all(escape(title) in offer_page for title in titles)


def test_every_action_page_renders(admin_client, every_row):
    order, offer = (
        every_row[Order],
        make_offer("created", id="o-open", seller_offer_reference="SO-7"),
    )

    ship = admin_client.get(url(Order, "ship", order.pk))
    reject = admin_client.get(url(Order, "reject", order.pk))
    void = admin_client.get(url(Offer, "void", offer.pk))

    assert [ship.status_code, reject.status_code, void.status_code] == [200, 200, 200]
    assert 'name="tracking_url"' in ship.text
    assert 'name="reason"' in reject.text
    assert order.seller_offer_reference in ship.text
    assert order.seller_offer_reference in reject.text
    assert "SO-7" in void.text
    assert "No, take me back" in reject.text
    assert "No, take me back" in void.text


def test_an_action_page_of_a_missing_row_is_404(admin_client):
    assert admin_client.get(url(Order, "ship", 999)).status_code == 404
    assert admin_client.get(url(Offer, "void", 999)).status_code == 404


def test_an_order_page_costs_the_same_for_1_or_5_shipments(admin_client, admin_user, query_budget):
    """The shipments inline names each shipment's order: one join, not a query per row."""
    order = make_order("confirmed")

    def show(shipments: int) -> None:
        Shipment.objects.filter(order=order).delete()
        Shipment.objects.bulk_create(
            Shipment(order=order, serial_numbers=[f"SN-{n}"], created_by=admin_user)
            for n in range(shipments)
        )
        with query_budget(9, f"the page of an order with {shipments} shipment(s)"):
            response = admin_client.get(url(Order, "change", order.pk))
        assert response.text.count("SN-") == shipments

    admin_client.get(url(Order, "change", order.pk))  # Django's own caches, once per process
    show(1)
    show(5)
