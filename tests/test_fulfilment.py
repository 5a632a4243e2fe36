"""Staff operations: topi first, then sync; nothing changes locally when topi fails."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from django.contrib.auth import get_user_model
from django.test import override_settings

from django_topi import fulfilment
from django_topi.fulfilment import FulfilmentError, ShipmentItem
from django_topi.models import Asset, Offer, Order, Shipment
from tests import payloads
from tests.conftest import API, SECRET, TOKEN_URL, api_calls
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
    SLEEVE_REFERENCE,
    make_offer,
    make_order,
    order_result,
    posts,
    sent_json,
    shipment_answer,
    with_assets_shipped,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("alice", password="pw", is_staff=True)


def timeline(obj):
    return list(obj.status_changes.values_list("source", "target", "origin", "user__username"))


# -- acknowledge, confirm, reject ----------------------------------------------------------------


def test_acknowledge_asks_topi_then_moves_the_order_with_the_user_and_origin(mocked, staff, caplog):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", json=order_result("acknowledged"))

    with caplog.at_level(logging.INFO, logger="django_topi"):
        outcome = fulfilment.acknowledge(order, staff)

    assert [c.request.url for c in api_calls(mocked)] == [f"{ORDER_URL}/acknowledge"]
    order.refresh_from_db()
    assert order.status == "acknowledged"
    assert outcome.message == "Order SO-100234 is acknowledged at topi."
    assert outcome.changed
    assert not outcome.already
    assert timeline(order)[-1] == ("created", "acknowledged", "admin", "alice")
    assert f"order {ORDER_ID}: acknowledge at topi by alice (origin admin)" in caplog.text


def test_the_short_order_result_does_not_erase_what_getorder_said(mocked, staff):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", json=order_result("acknowledged"))

    fulfilment.acknowledge(order, staff)

    order.refresh_from_db()
    assert order.company_name == "Unicorn Corp"
    assert order.order_lines[0]["contract_type"] == "rent"
    assert order.assets.count() == 3


@pytest.mark.parametrize("start", ["created", "acknowledged"])
def test_confirm_from_created_or_acknowledged(mocked, staff, start):
    order = make_order(start)
    mocked.post(f"{ORDER_URL}/accept", json=order_result("confirmed"))

    outcome = fulfilment.confirm(order, staff, origin="api")

    order.refresh_from_db()
    assert order.status == "confirmed"
    assert (
        outcome.message == "Order SO-100234 is confirmed at topi: its rental contracts are active."
    )
    assert timeline(order)[-1] == (start, "confirmed", "api", "alice")


def test_topis_accepted_status_counts_as_confirmed(mocked, staff):
    order = make_order("acknowledged")
    mocked.post(f"{ORDER_URL}/accept", json=order_result("accepted"))

    outcome = fulfilment.confirm(order, staff)

    assert outcome.instance.status == "confirmed"
    assert outcome.message.startswith("Order SO-100234 is confirmed at topi")


def test_reject_keeps_the_reason_locally_and_sends_no_body(mocked, staff):
    order = make_order("acknowledged")
    mocked.post(f"{ORDER_URL}/reject", json=order_result("rejected"))

    outcome = fulfilment.reject(order, staff, "  Out of stock until March.  ")

    assert sent_json(posts(mocked)[0]) is None
    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == ("rejected", "Out of stock until March.")
    assert outcome.message == "Order SO-100234 is rejected at topi."


def test_reject_without_a_reason_leaves_the_reason_empty(mocked, staff):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/reject", json=order_result("rejected"))

    fulfilment.reject(order, staff)

    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == ("rejected", "")


def test_void_asks_topi_and_moves_the_offer(mocked, staff):
    offer = make_offer("created")
    mocked.post(f"{OFFER_URL}/void", json=payloads.offer("voided"))

    outcome = fulfilment.void(offer, staff)

    assert sent_json(posts(mocked)[0]) == {}
    offer.refresh_from_db()
    assert offer.status == "voided"
    assert outcome.message == "Offer SO-100234 is voided at topi."
    assert timeline(offer)[-1] == ("created", "voided", "admin", "alice")


# -- failures: topi down, slow, refusing; nothing changes locally ---------------------------------

ACTIONS = [
    ("acknowledge", "created", "acknowledge"),
    ("confirm", "acknowledged", "accept"),
    ("reject", "acknowledged", "reject"),
]


@pytest.mark.parametrize(("action", "start", "path"), ACTIONS)
def test_topi_down_changes_nothing_and_says_so(mocked, staff, action, start, path):
    order = make_order(start)
    before = timeline(order)
    mocked.post(f"{ORDER_URL}/{path}", body=requests.ConnectionError("refused"))

    with pytest.raises(FulfilmentError) as error:
        getattr(fulfilment, action)(order, staff)

    assert error.value.code == "unavailable"
    assert error.value.message == (
        "topi cannot be reached right now, so order SO-100234 was left as it is. "
        "Try again in a few minutes."
    )
    order.refresh_from_db()
    assert order.status == start
    assert timeline(order) == before
    assert len(posts(mocked)) == 1  # a POST that may have reached topi is never repeated


def test_a_timeout_says_the_outcome_is_unknown(mocked, staff):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/accept", body=requests.ReadTimeout("slow"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.confirm(order, staff)

    assert error.value.code == "unavailable"
    assert "not known whether order SO-100234 was confirmed" in (error.value.message)
    assert "Re-sync it before you try again" in error.value.message
    order.refresh_from_db()
    assert order.status == "created"


def test_refused_credentials_are_reported_without_the_secret(mocked, staff, caplog):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", status=401, json="Unauthorized")

    with caplog.at_level(logging.DEBUG), pytest.raises(FulfilmentError) as error:
        fulfilment.acknowledge(order, staff)

    assert error.value.code == "topi_auth"
    assert "Check TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET']" in error.value.message
    assert SECRET not in caplog.text
    assert "tok-1" not in caplog.text
    assert SECRET not in error.value.message
    assert any(
        r.levelname == "ERROR" and r.name == "django_topi.fulfilment" for r in caplog.records
    )
    order.refresh_from_db()
    assert order.status == "created"


def test_a_token_url_that_is_not_topis_is_named_as_the_cause(mocked, staff):
    order = make_order("created")
    mocked.replace(responses.POST, TOKEN_URL, status=404, body="Not Found")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.acknowledge(order, staff)

    assert (error.value.code, error.value.message) == (
        "topi_auth",
        "django-topi cannot use topi's token endpoint (the token URL is not topi's token "
        "endpoint), so order SO-100234 was left as it is. Check TOPI['ENVIRONMENT'] and "
        "TOPI['TOKEN_URL'].",
    )


def test_an_order_topi_does_not_know_is_reported(mocked, staff):
    order = make_order("created")
    mocked.post(
        f"{ORDER_URL}/acknowledge", status=404, json={"name": "not_found", "message": "no order"}
    )

    with pytest.raises(FulfilmentError) as error:
        fulfilment.acknowledge(order, staff)

    assert error.value.code == "not_found_at_topi"
    assert error.value.message == (
        f"topi does not know order SO-100234 (topi id {ORDER_ID}) in its sandbox environment."
    )


def invalid_status(message="order is not in status created"):
    return {"name": "InvalidStatus", "id": "e-1", "message": message, "temporary": False,
            "timeout": False, "fault": False}  # fmt: skip


def test_422_resyncs_and_says_what_the_real_status_is(mocked, staff, caplog):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", status=422, json=invalid_status())
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    with caplog.at_level(logging.INFO), pytest.raises(FulfilmentError) as error:
        fulfilment.acknowledge(order, staff)

    assert error.value.code == "invalid_status"
    assert error.value.message == (
        "topi refused to acknowledge order SO-100234: at topi it is confirmed "
        "(HTTP 422 InvalidStatus: order is not in status created). django-topi has re-synced it."
    )
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert error.value.instance.status == "confirmed"
    # The news came from the re-sync, brought by alice.
    assert timeline(order)[-1] == ("created", "confirmed", "sync", "alice")
    assert "topi refused to acknowledge" in caplog.text


def test_a_reject_topi_refuses_as_too_late_points_to_topi_support(mocked, staff):
    order = make_order("acknowledged")
    mocked.post(f"{ORDER_URL}/reject", status=422, json=invalid_status("order is confirmed"))
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.reject(order, staff, "out of stock")

    assert error.value.message == (
        "topi refused to reject order SO-100234: at topi it is confirmed (HTTP 422 InvalidStatus: "
        "order is confirmed), and a confirmed order can no longer be rejected. To cancel it, "
        "contact topi support (support@topi.eu). django-topi has re-synced it."
    )
    assert Order.objects.get().status == "confirmed"


def test_422_when_topi_is_already_there_is_reported_as_done(mocked, staff):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/accept", status=422, json=invalid_status())
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    outcome = fulfilment.confirm(order, staff)

    assert outcome.already
    assert outcome.message == "Order SO-100234 was already confirmed at topi."
    assert Order.objects.get().status == "confirmed"


def test_422_and_the_resync_failing_too_says_both(mocked, staff):
    order = make_order("created")
    mocked.post(f"{ORDER_URL}/acknowledge", status=422, json=invalid_status())
    mocked.get(ORDER_URL, status=503, json={"name": "unavailable", "message": "maintenance"})

    with pytest.raises(FulfilmentError) as error:
        fulfilment.acknowledge(order, staff)

    assert error.value.code == "invalid_status"
    assert "topi refused to acknowledge order SO-100234 (HTTP 422 InvalidStatus" in (
        error.value.message
    )
    assert "could not re-sync it to see why" in error.value.message
    assert Order.objects.get().status == "created"


def test_void_refused_by_topi_reports_the_offers_real_status(mocked, staff):
    offer = make_offer("created")
    mocked.post(f"{OFFER_URL}/void", status=422, json=invalid_status("accepted offers stay"))
    mocked.get(OFFER_URL, json=payloads.offer("accepted"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.void(offer, staff)

    assert "topi refused to void offer SO-100234: at topi it is accepted" in error.value.message
    assert Offer.objects.get().status == "accepted"


# -- wrong local state: refused before topi is called ---------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("acknowledge", "confirmed",
         "Order SO-100234 is confirmed here; only orders that are created can be acknowledged."),
        ("confirm", "rejected",
         "Order SO-100234 is rejected here; only orders that are created or acknowledged can be "
         "confirmed."),
        ("reject", "canceled",
         "Order SO-100234 is canceled here; only orders that are created or acknowledged can be "
         "rejected."),
        ("reject", "partially_fulfilled",
         "Order SO-100234 is partially fulfilled: a confirmed order can no longer be rejected. "
         "To cancel it, contact topi support (support@topi.eu)."),
    ],
)  # fmt: skip
def test_a_step_the_local_status_does_not_allow_is_refused_without_asking_topi(
    mocked, staff, action, status, message
):
    order = make_order(status)

    with pytest.raises(FulfilmentError) as error:
        getattr(fulfilment, action)(order, staff)

    assert (error.value.code, error.value.message) == ("invalid_state", message)
    assert api_calls(mocked) == []


def test_voiding_an_accepted_offer_is_refused_without_asking_topi(mocked, staff):
    offer = make_offer("accepted")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.void(offer, staff)

    assert error.value.code == "invalid_state"
    assert api_calls(mocked) == []


def test_an_action_topi_already_reported_done_is_not_sent_again(mocked, staff):
    order = make_order("acknowledged")

    outcome = fulfilment.acknowledge(order, staff)

    assert outcome.already
    assert outcome.message == "Order SO-100234 was already acknowledged at topi."
    assert api_calls(mocked) == []


def test_a_draft_offer_cannot_be_voided_at_topi(mocked, staff):
    draft = Offer.objects.create(seller_offer_reference="SO-9", environment="sandbox")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.void(draft, staff)

    assert error.value.code == "not_at_topi"
    assert "Offer SO-9 is a draft: topi does not know it yet" in error.value.message
    assert api_calls(mocked) == []


def test_a_row_of_another_environment_is_refused(mocked, staff):
    order = make_order("created")

    with (
        override_settings(
            TOPI={"ENVIRONMENT": "production", "CLIENT_ID": "x", "CLIENT_SECRET": "y"}
        ),
        pytest.raises(FulfilmentError) as error,
    ):
        fulfilment.acknowledge(order, staff)

    assert error.value.code == "wrong_environment"
    assert "belongs to topi's sandbox environment, but django-topi is set up for production" in (
        error.value.message
    )
    assert api_calls(mocked) == []


# -- re-sync -------------------------------------------------------------------------------------


def test_resync_applies_topis_order_and_names_the_steps(mocked, staff):
    order = make_order("created")
    mocked.get(ORDER_URL, json=payloads.order("partially_fulfilled"))

    outcome = fulfilment.resync(order, staff)

    assert outcome.message == (
        "Order SO-100234 re-synced from topi: created → confirmed → partially fulfilled."
    )
    assert timeline(Order.objects.get())[-1] == (
        "confirmed",
        "partially_fulfilled",
        "admin",
        "alice",
    )


def test_resync_with_nothing_new_says_the_status(mocked, staff):
    order = make_order("confirmed")
    mocked.get(ORDER_URL, json=payloads.order("confirmed"))

    outcome = fulfilment.resync(order, staff)

    assert outcome.message == "Order SO-100234 re-synced from topi: it is confirmed."
    assert not outcome.changed


def test_resync_of_a_draft_finds_the_offer_by_reference(mocked, staff):
    draft = Offer.objects.create(seller_offer_reference="SO-100234", environment="sandbox")
    mocked.get(f"{API}/v1/offers/ref/SO-100234", json=payloads.offer("created"))

    outcome = fulfilment.resync(draft, staff)

    draft.refresh_from_db()
    assert (draft.topi_id, draft.status) == (payloads.offer()["id"], "created")
    assert (
        outcome.message
        == "Offer SO-100234 re-synced from topi: draft (not sent to topi yet) → created."
    )


def test_resync_reports_a_conflict(mocked, staff):
    offer = make_offer("declined")
    mocked.get(OFFER_URL, json=payloads.offer("accepted"))

    outcome = fulfilment.resync(offer, staff)

    assert outcome.warning
    assert "Conflict: topi reports status 'accepted'" in outcome.message


def test_resync_when_topi_is_down(mocked, staff):
    order = make_order("created")
    mocked.get(ORDER_URL, body=requests.ConnectionError("down"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.resync(order, staff)

    assert error.value.code == "unavailable"
    assert Order.objects.get().status == "created"


# -- shipping ------------------------------------------------------------------------------------


def ship_ok(mocked, order_after):
    """topi takes the shipment and then reports the order as ``order_after``."""
    mocked.post(SHIPMENT_URL, json={"serial_numbers": [], "tracking_url": "https://t.example/1"})
    mocked.get(ORDER_URL, json=order_after)


def test_shipping_sends_one_entry_per_unit_with_its_serial_number(mocked, staff):
    order = make_order("confirmed")
    shipped_all = with_assets_shipped(payloads.order("completed"), LAPTOP_1, LAPTOP_2, SLEEVE)
    ship_ok(mocked, shipped_all)

    outcome = fulfilment.ship(
        order,
        [ShipmentItem(LAPTOP_1, "SN-1"), ShipmentItem(LAPTOP_2, " SN-2 "), ShipmentItem(SLEEVE)],
        "https://tracking.example/parcel/123",
        staff,
    )

    assert sent_json(posts(mocked)[0]) == {
        "order_id": ORDER_ID,
        "serial_numbers": [
            {"seller_product_reference": LAPTOP, "serial_number": "SN-1"},
            {"seller_product_reference": LAPTOP, "serial_number": "SN-2"},
            {"seller_product_reference": SLEEVE_REFERENCE, "serial_number": ""},
        ],
        "tracking_url": "https://tracking.example/parcel/123",
    }
    assert (
        outcome.message == "3 item(s) of order SO-100234 shipped at topi; the order is completed."
    )
    order.refresh_from_db()
    assert order.status == "completed"
    assert timeline(order)[-1] == ("confirmed", "completed", "admin", "alice")
    shipment = Shipment.objects.get()
    assert (shipment.created_by, shipment.tracking_url) == (
        staff,
        "https://tracking.example/parcel/123",
    )
    assert [e["asset_id"] for e in shipment.serial_numbers] == [LAPTOP_1, LAPTOP_2, SLEEVE]


@pytest.mark.contract
def test_the_shipment_body_fits_topis_spec(mocked, staff):
    from tests import openapi_spec

    order = make_order("confirmed")
    ship_ok(mocked, payloads.order("partially_fulfilled"))

    fulfilment.ship(
        order,
        [ShipmentItem(LAPTOP_1, "SN-1"), ShipmentItem(SLEEVE, "")],
        "https://tracking.example/parcel/123",
        staff,
        metadata={"parcel": "1 of 2"},
    )

    call = posts(mocked)[0]
    assert (
        openapi_spec.request_problems(
            "shipment#create", call.request.method, call.request.url, call.request.body
        )
        == []
    )
    assert (
        openapi_spec.schema_errors(
            openapi_spec.load_spec()["components"]["schemas"]["Shipment"],
            shipment_answer(sent_json(call)),
            write=False,
        )
        == []
    )


def test_a_partial_shipment_then_the_rest(mocked, staff):
    order = make_order("confirmed")
    after_first = with_assets_shipped(payloads.order("partially_fulfilled"), LAPTOP_1)
    ship_ok(mocked, after_first)

    first = fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "SN-1")], "", staff)

    assert first.instance.status == "partially_fulfilled"
    assert "tracking_url" not in sent_json(posts(mocked)[0])
    assert [u.asset.topi_id for u in fulfilment.shippable_units(first.instance)] == [
        LAPTOP_2,
        SLEEVE,
    ]

    mocked.replace(responses.GET, ORDER_URL, json=with_assets_shipped(
        payloads.order("completed"), LAPTOP_1, LAPTOP_2, SLEEVE))  # fmt: skip
    second = fulfilment.ship(
        first.instance, [ShipmentItem(LAPTOP_2, "SN-2"), ShipmentItem(SLEEVE)], "", staff
    )

    assert second.instance.status == "completed"
    assert [e["serial_number"] for e in sent_json(posts(mocked)[1])["serial_numbers"]] == [
        "SN-2",
        "",
    ]
    assert fulfilment.shippable_units(second.instance) == []


def test_a_rentable_unit_needs_a_serial_number(mocked, staff):
    order = make_order("confirmed")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "  ")], "", staff)

    assert error.value.code == "invalid_shipment"
    assert error.value.errors == {
        LAPTOP_1: ["A serial number is required: this product can be rented."]
    }
    assert error.value.message == (
        "The shipment was not sent to topi: A serial number is required: this product can be rented."
    )
    assert api_calls(mocked) == []


def test_an_accessory_may_go_without_a_serial_number():
    order = make_order("confirmed")

    units = {unit.asset.topi_id: unit.serial_required for unit in fulfilment.shippable_units(order)}

    assert units == {LAPTOP_1: True, LAPTOP_2: True, SLEEVE: False}


def test_a_bought_unit_with_a_rent_option_still_needs_a_serial_number():
    payload = payloads.order("confirmed")
    payload["order_lines"][0]["contract_type"] = "pay_now"
    order = make_order("confirmed", order_lines=payload["order_lines"])

    units = {unit.asset.topi_id: unit.serial_required for unit in fulfilment.shippable_units(order)}

    assert units[LAPTOP_1] is True


def test_a_bought_accessory_with_no_rent_terms_needs_none():
    lines = [
        {"title": "Laptop Sleeve", "quantity": 1, "contract_type": "pay_now", "duration": 0,
         "seller_product_references": [SLEEVE_REFERENCE], "selected_first_party_services": [],
         "monthly_price": {"currency": "EUR", "gross": 0, "net": 0}},
    ]  # fmt: skip
    order = make_order("confirmed", order_lines=lines)

    units = {unit.asset.topi_id: unit.serial_required for unit in fulfilment.shippable_units(order)}

    assert units[SLEEVE] is False  # the offer line is an accessory without rent terms


def test_without_order_lines_every_unit_needs_a_serial_number(mocked, staff):
    order = make_order("confirmed", order_lines=[])
    Order.objects.filter(pk=order.pk).update(order_lines=[])
    order.refresh_from_db()

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(SLEEVE, "")], "", staff)

    assert (
        "cannot tell whether this is an accessory until the order is re-synced"
        in (error.value.errors[SLEEVE][0])
    )
    assert api_calls(mocked) == []


def test_a_unit_topi_reports_shipped_is_never_sent_again(mocked, staff):
    order = make_order(
        "partially_fulfilled", assets=with_assets_shipped(payloads.order(), LAPTOP_1)["assets"]
    )

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "SN-9")], "", staff)

    assert error.value.errors == {LAPTOP_1: ["This item has already been shipped."]}
    assert api_calls(mocked) == []


def test_a_unit_shipped_here_is_not_sent_again_when_the_resync_after_it_failed(mocked, staff):
    order = make_order("confirmed")
    mocked.post(SHIPMENT_URL, json={"serial_numbers": []})
    mocked.get(ORDER_URL, body=requests.ConnectionError("down"))

    outcome = fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "SN-1")], "", staff)

    assert outcome.warning
    assert outcome.message.startswith(
        "1 item(s) of order SO-100234 were shipped at topi, but the order could not be re-synced"
    )
    assert Shipment.objects.count() == 1
    # topi still says every unit is open here, but one of the two laptops is gone.
    assert Asset.objects.filter(status="created").count() == 3
    assert [u.asset.topi_id for u in fulfilment.shippable_units(order)] == [LAPTOP_2, SLEEVE]
    with pytest.raises(FulfilmentError):
        fulfilment.ship(
            order, [ShipmentItem(LAPTOP_1, "SN-1"), ShipmentItem(LAPTOP_2, "SN-2")], "", staff
        )
    assert len(posts(mocked)) == 1


@pytest.mark.parametrize(
    ("items", "tracking_url", "metadata", "errors"),
    [
        ([], "", None, {"items": ["Choose at least one item to ship."]}),
        ([ShipmentItem("a-unknown", "X")], "", None, {"a-unknown": ["This is not an item of this order."]}),
        ([ShipmentItem(SLEEVE), ShipmentItem(SLEEVE)], "", None,
         {SLEEVE: ["This item is listed twice: list each unit once."]}),
        ([ShipmentItem(LAPTOP_1, "SN-1"), ShipmentItem(LAPTOP_2, "SN-1")], "", None,
         {LAPTOP_2: ["Serial number SN-1 is already used in this order."]}),
        ([ShipmentItem(LAPTOP_1, "S" * 256)], "", None,
         {LAPTOP_1: ["A serial number has at most 255 characters."]}),
        ([ShipmentItem(SLEEVE)], "tracking.example/1", None,
         {"tracking_url": ["Enter the full tracking URL, starting with https://."]}),
        ([ShipmentItem(SLEEVE)], "", {"note": "x" * 401},
         {"metadata": ["Metadata value note is longer than 400 characters."]}),
    ],
    ids=["nothing", "foreign", "twice", "same-serial", "long-serial", "bad-url", "long-metadata"],
)  # fmt: skip
def test_an_invalid_shipment_is_refused_before_topi(
    mocked, staff, items, tracking_url, metadata, errors
):
    order = make_order("confirmed")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, items, tracking_url, staff, metadata=metadata)

    assert error.value.code == "invalid_shipment"
    assert error.value.errors == errors
    assert api_calls(mocked) == []
    assert Shipment.objects.count() == 0


def test_shipping_an_order_that_is_not_confirmed_is_refused(mocked, staff):
    order = make_order("acknowledged")

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(SLEEVE)], "", staff)

    assert error.value.message == (
        "Order SO-100234 is acknowledged here: only confirmed or partially fulfilled orders can be "
        "shipped."
    )
    assert api_calls(mocked) == []


def test_shipping_when_topi_is_down_records_nothing(mocked, staff):
    order = make_order("confirmed")
    mocked.post(SHIPMENT_URL, body=requests.ConnectionError("down"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "SN-1")], "", staff)

    assert error.value.code == "unavailable"
    assert Shipment.objects.count() == 0
    assert Order.objects.get().status == "confirmed"


def test_topis_own_refusal_of_a_shipment_is_passed_on(mocked, staff):
    order = make_order("confirmed")
    mocked.post(SHIPMENT_URL, status=400, json={
        "name": "bad_request", "id": "x", "message": "serial number required for asset",
        "temporary": False, "timeout": False, "fault": False})  # fmt: skip

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(SLEEVE)], "", staff)

    assert error.value.code == "topi_refused"
    assert error.value.message == (
        "topi refused to ship order SO-100234: HTTP 400 bad_request: serial number required for asset"
    )
    assert Shipment.objects.count() == 0


def test_a_shipment_topi_refuses_with_422_resyncs_the_order(mocked, staff):
    order = make_order("confirmed")
    mocked.post(SHIPMENT_URL, status=422, json=invalid_status("order canceled"))
    mocked.get(ORDER_URL, json=payloads.order("canceled"))

    with pytest.raises(FulfilmentError) as error:
        fulfilment.ship(order, [ShipmentItem(LAPTOP_1, "SN-1")], "", staff)

    assert error.value.code == "invalid_status"
    assert "at topi it is canceled" in error.value.message
    assert Order.objects.get().status == "canceled"
    assert Shipment.objects.count() == 0


def test_the_dashboard_link_is_the_url_topi_sent():
    offer = make_offer("created", seller_offer_redirect_url=DASHBOARD)
    assert fulfilment.dashboard_url(offer) == DASHBOARD

    offer.raw["seller_offer_redirect_url"] = "javascript:alert(1)"
    assert fulfilment.dashboard_url(offer) is None
    assert fulfilment.dashboard_url(None) is None
