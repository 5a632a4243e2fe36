"""django_topi.sync: the one door through which topi's truth enters."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils.dateparse import parse_datetime

from django_topi import signals
from django_topi.models import Asset, Offer, OfferLine, Order, StatusChange, WebhookEvent
from django_topi.sync import PayloadError, apply_offer_payload, apply_order_payload
from tests import payloads

pytestmark = pytest.mark.django_db

OFFER_ID = payloads.offer()["id"]
ORDER_ID = payloads.order()["id"]


def timeline(instance):
    return [(c.source, c.target, c.transition, c.origin) for c in instance.status_changes.all()]


class Received:
    """Collects what a signal delivered."""

    def __init__(self, signal):
        self.calls = []
        signal.connect(self, weak=False)
        self.signal = signal

    def __call__(self, sender, **kwargs):
        self.calls.append({"sender": sender, **kwargs})

    def disconnect(self):
        self.signal.disconnect(self)


@pytest.fixture
def received():
    made = []

    def listen(signal):
        made.append(Received(signal))
        return made[-1]

    yield listen
    for receiver in made:
        receiver.disconnect()


def test_a_new_offer_is_created_with_topis_data(django_capture_on_commit_callbacks):
    payload = payloads.offer("accepted")
    with django_capture_on_commit_callbacks(execute=True):
        result = apply_offer_payload(payload, "webhook")

    offer = Offer.objects.get(topi_id=OFFER_ID)
    assert result.created is True
    assert offer.status == "accepted"
    assert offer.environment == "sandbox"
    assert offer.seller_offer_reference == "SO-100234"
    assert (offer.company_name, offer.email) == ("Unicorn Corp", "alice@unicorn.example")
    assert (offer.currency, offer.amount_net, offer.amount_gross) == ("EUR", 263290, 313315)
    assert offer.expires_at == parse_datetime(payload["expires_at"])
    assert offer.customer["company"]["billing_address"]["city"] == "Berlin"
    assert offer.shipping_address["recipient_name"] == "Felix Wolf"
    assert [(line.title, line.quantity, line.price_net, line.product_reference)
            for line in offer.lines.all()] == [
        ("Pro Laptop 14", 2, 259800, "pro-laptop-14"),
        ("Laptop Sleeve", 1, 2990, "laptop-sleeve"),
    ]  # fmt: skip
    assert timeline(offer) == [("", "created", "", "webhook"),
                               ("created", "accepted", "accept", "webhook")]  # fmt: skip


def test_the_environment_comes_from_settings(settings):
    with override_settings(TOPI={**settings.TOPI, "ENVIRONMENT": "production"}):
        apply_offer_payload(payloads.offer(), "sync")
    assert Offer.objects.get().environment == "production"


def test_a_draft_is_found_by_reference_and_gets_topis_id():
    draft = Offer.objects.create(seller_offer_reference="SO-100234", environment="sandbox")
    assert draft.status == "draft"

    result = apply_offer_payload(payloads.offer("created"), "local")

    draft.refresh_from_db()
    assert result.instance.pk == draft.pk
    assert (draft.topi_id, draft.status) == (OFFER_ID, "created")
    assert timeline(draft) == [("draft", "created", "mark_created", "local")]


def test_a_draft_in_another_environment_is_not_taken(settings):
    Offer.objects.create(seller_offer_reference="SO-100234", environment="production")

    apply_offer_payload(payloads.offer("created"), "local")

    assert Offer.objects.filter(topi_id=OFFER_ID, environment="sandbox").count() == 1
    assert Offer.objects.filter(topi_id__isnull=True).count() == 1


def test_the_same_payload_twice_changes_nothing_and_signals_nothing(
    django_capture_on_commit_callbacks, received
):
    changed = received(signals.offer_status_changed)
    with django_capture_on_commit_callbacks(execute=True):
        apply_offer_payload(payloads.offer("accepted"), "webhook")
    before = Offer.objects.get().updated_at

    with django_capture_on_commit_callbacks(execute=True):
        again = apply_offer_payload(payloads.offer("accepted"), "webhook")

    assert again.changed is False
    assert again.steps == ()
    assert Offer.objects.get().updated_at == before
    assert StatusChange.objects.count() == 2
    assert len(changed.calls) == 1


def test_a_status_several_steps_away_is_walked_and_each_step_logged(caplog):
    caplog.set_level(logging.INFO, logger="django_topi.sync")
    apply_order_payload(payloads.order("created"), "webhook")

    result = apply_order_payload(payloads.order("completed"), "webhook")

    assert [edge.transition for edge in result.steps] == ["confirm", "complete"]
    assert timeline(Order.objects.get())[1:] == [
        ("created", "confirmed", "confirm", "webhook"),
        ("confirmed", "completed", "complete", "webhook"),
    ]
    assert f"topi order {ORDER_ID}: created -> confirmed (confirm, origin webhook)" in caplog.text
    assert (
        f"topi order {ORDER_ID}: confirmed -> completed (complete, origin webhook)" in caplog.text
    )


def test_a_late_report_is_ignored_and_keeps_the_newer_data(caplog):
    caplog.set_level(logging.INFO, logger="django_topi.sync")
    apply_offer_payload(payloads.offer("accepted", metadata={"v": "new"}), "webhook")

    result = apply_offer_payload(payloads.offer("pending_review", metadata={"v": "old"}), "webhook")

    offer = Offer.objects.get()
    assert result.stale is True
    assert (offer.status, offer.metadata) == ("accepted", {"v": "new"})
    assert "ignored 'pending_review', it is already 'accepted' (a late report)" in caplog.text


def test_an_unreachable_status_is_a_conflict_not_a_change(caplog, django_capture_on_commit_callbacks,
                                                          received):  # fmt: skip
    changed = received(signals.offer_status_changed)
    apply_offer_payload(payloads.offer("accepted"), "webhook")

    with django_capture_on_commit_callbacks(execute=True):
        result = apply_offer_payload(payloads.offer("expired"), "webhook")

    offer = Offer.objects.get()
    assert offer.status == "accepted"
    assert (
        result.conflict
        == offer.conflict
        == (
            "topi reports status 'expired', which the documented offer lifecycle cannot reach from "
            "'accepted'; the status was left at 'accepted'."
        )
    )
    assert offer.conflict_at is not None
    assert StatusChange.objects.filter(target="expired").count() == 0
    assert changed.calls == []
    assert any(r.levelname == "WARNING" and "conflict" in r.message for r in caplog.records)


def test_a_terminal_order_is_never_left():
    apply_order_payload(payloads.order("canceled"), "webhook")

    result = apply_order_payload(payloads.order("completed"), "webhook")

    assert Order.objects.get().status == "canceled"
    assert "cannot reach from 'canceled'" in result.conflict


def test_an_order_before_its_offer_is_linked_when_the_offer_arrives():
    apply_order_payload(payloads.order(), "webhook")
    order = Order.objects.get()
    assert order.offer is None
    assert order.offer_topi_id == OFFER_ID

    apply_offer_payload(payloads.offer("accepted"), "webhook")

    order.refresh_from_db()
    assert order.offer == Offer.objects.get(topi_id=OFFER_ID)


def test_an_order_after_its_offer_is_linked_at_once():
    apply_offer_payload(payloads.offer("accepted"), "webhook")

    apply_order_payload(payloads.order(), "webhook")

    assert Order.objects.get().offer.topi_id == OFFER_ID


def test_an_order_without_offer_id_is_linked_by_reference():
    apply_offer_payload(payloads.offer("accepted"), "webhook")
    body = payloads.order()
    del body["offer_id"]

    apply_order_payload(body, "webhook")

    assert Order.objects.get().offer.topi_id == OFFER_ID


def test_order_data_assets_and_tracking_are_refreshed():
    apply_order_payload(payloads.order("confirmed"), "sync")
    shipped = payloads.order("partially_fulfilled", tracking_urls=["https://track.example/1"])
    shipped["assets"][0].update(
        status="shipped", serial_number="S01", tracking_url="https://track.example/1"
    )

    apply_order_payload(shipped, "sync")

    order = Order.objects.get()
    assert order.status == "partially_fulfilled"
    assert order.tracking_urls == ["https://track.example/1"]
    assert (order.company_name, order.email) == ("Unicorn Corp", "alice@unicorn.example")
    assert list(Asset.objects.values_list("status", "serial_number")) == [
        ("shipped", "S01"), ("created", ""), ("created", "")]  # fmt: skip


def test_canceled_at_is_kept():
    apply_order_payload(payloads.order("canceled", canceled_at="2026-11-30T08:00:00Z"), "webhook")
    assert Order.objects.get().canceled_at.isoformat() == "2026-11-30T08:00:00+00:00"


def test_slim_webhook_bodies_do_not_wipe_lines_assets_or_metadata():
    apply_offer_payload(payloads.offer("created"), "sync")
    apply_order_payload(payloads.order("created"), "sync")

    apply_offer_payload(payloads.slim_offer_webhook("accepted"), "webhook")
    apply_order_payload(payloads.slim_order_webhook("canceled"), "webhook")

    offer, order = Offer.objects.get(), Order.objects.get()
    assert (offer.status, offer.lines.count(), offer.metadata) == (
        "accepted", 2, {"shop_order_id": "100234"})  # fmt: skip
    assert (order.status, order.assets.count()) == ("canceled", 3)
    assert order.customer["company"]["name"] == "Unicorn Corp"
    assert len(offer.raw["lines"]) == 2
    assert len(order.raw["assets"]) == 3


def test_topis_undocumented_order_accepted_is_treated_as_confirmed():
    apply_order_payload(payloads.order("created"), "webhook")

    apply_order_payload(payloads.order("accepted"), "webhook")

    assert Order.objects.get().status == "confirmed"


def expect(offer: Offer, net: int, gross: int | None, currency: str = "EUR") -> None:
    Offer.objects.filter(pk=offer.pk).update(
        expected_amount_net=net, expected_amount_gross=gross, expected_currency=currency
    )


def test_an_accepted_offer_for_what_the_shop_sent_has_no_conflict():
    expect(apply_offer_payload(payloads.offer("created"), "local").instance, 263290, 313315)

    result = apply_offer_payload(payloads.offer("accepted"), "webhook")

    assert result.conflict == ""
    assert Offer.objects.get().conflict == ""


def test_an_accepted_offer_for_another_amount_is_a_conflict():
    expect(apply_offer_payload(payloads.offer("created"), "local").instance, 100000, 119000)

    result = apply_offer_payload(payloads.offer("accepted"), "webhook")

    offer = Offer.objects.get()
    assert offer.status == "accepted"
    assert (
        offer.conflict
        == result.conflict
        == (
            "topi accepted 2632.90 EUR net (3133.15 EUR gross), but the shop sent "
            "1000.00 EUR net (1190.00 EUR gross)."
        )
    )


def test_an_accepted_offer_in_another_currency_is_a_conflict():
    expect(apply_offer_payload(payloads.offer("created"), "local").instance, 263290, None, "GBP")

    result = apply_offer_payload(payloads.offer("accepted"), "webhook")

    assert "but the shop sent 2632.90 GBP net" in result.conflict


@pytest.mark.parametrize(("payload", "message"), [
    ([], "a topi offer is a JSON object, not list"),
    ({"status": "created"}, "the topi offer has no valid 'id' (None)"),
    ({"id": "../x", "status": "created"}, "the topi offer has no valid 'id' ('../x')"),
    ({"id": "o-1", "status": "paid"}, "topi offer o-1 has an unknown status 'paid'"),
    ({"id": "o-1", "status": "draft"}, "topi offer o-1 has an unknown status 'draft'"),
])  # fmt: skip
def test_payloads_that_are_not_offers_are_refused_and_write_nothing(payload, message):
    with pytest.raises(PayloadError) as excinfo:
        apply_offer_payload(payload, "webhook")
    assert str(excinfo.value) == message
    assert Offer.objects.count() == 0


def test_signals_fire_after_commit_once_per_change(django_capture_on_commit_callbacks, received):
    created = received(signals.order_created)
    changed = received(signals.order_status_changed)
    completed = received(signals.order_completed)
    user = get_user_model().objects.create(username="staff")
    event = WebhookEvent.objects.create(body=b"{}", dedupe_key="k1")

    with django_capture_on_commit_callbacks() as callbacks:
        apply_order_payload(payloads.order("completed"), "webhook", event=event, user=user)
        assert changed.calls == []  # nothing before the commit
    for callback in callbacks:
        callback()

    order = Order.objects.get()
    assert [c["instance"] for c in created.calls] == [order]
    assert [(c["source"], c["target"], c["origin"]) for c in changed.calls] == [
        ("created", "confirmed", "webhook"), ("confirmed", "completed", "webhook")]  # fmt: skip
    assert changed.calls[0]["sender"] is Order
    assert (completed.calls[0]["event"], completed.calls[0]["user"]) == (event, user)
    assert {c.webhook_event_id for c in order.status_changes.all()} == {event.pk}
    assert {c.user_id for c in order.status_changes.all()} == {user.pk}


def test_no_signal_when_the_transaction_rolls_back(received):
    changed = received(signals.offer_status_changed)

    def apply_then_fail() -> None:
        with transaction.atomic():
            apply_offer_payload(payloads.offer("accepted"), "webhook")
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        apply_then_fail()

    assert Offer.objects.count() == 0
    assert changed.calls == []


@pytest.mark.parametrize(
    ("status", "signal"), [("accepted", "offer_accepted"), ("declined", "offer_declined")]
)
def test_offer_outcome_signals(django_capture_on_commit_callbacks, received, status, signal):
    outcome = received(getattr(signals, signal))
    with django_capture_on_commit_callbacks(execute=True):
        apply_offer_payload(payloads.offer(status), "webhook")
    assert [c["target"] for c in outcome.calls] == [status]


def test_order_canceled_signal(django_capture_on_commit_callbacks, received):
    canceled = received(signals.order_canceled)
    with django_capture_on_commit_callbacks(execute=True):
        apply_order_payload(payloads.order("canceled"), "webhook")
    assert len(canceled.calls) == 1


def test_a_failing_receiver_is_logged_and_the_others_still_run(
    django_capture_on_commit_callbacks, received, caplog
):
    def broken(sender, **kwargs):
        raise ValueError("shop bug")

    signals.offer_accepted.connect(broken)
    later = received(signals.offer_accepted)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            apply_offer_payload(payloads.offer("accepted"), "webhook")
    finally:
        signals.offer_accepted.disconnect(broken)

    assert len(later.calls) == 1
    assert "a django-topi signal receiver failed" in caplog.text
    assert Offer.objects.get().status == "accepted"


def test_lines_are_replaced_only_when_topi_changes_them():
    apply_offer_payload(payloads.offer("created"), "sync")
    first_ids = list(OfferLine.objects.values_list("pk", flat=True))

    apply_offer_payload(payloads.offer("accepted"), "sync")

    assert list(OfferLine.objects.values_list("pk", flat=True)) == first_ids


# -- the lifecycle in topi's words ---------------------------------------------------------------


@pytest.mark.parametrize("closed", ["declined", "expired"])
def test_a_void_after_topi_closed_the_offer_is_a_step_not_a_conflict(closed):
    apply_offer_payload(payloads.offer(closed), "webhook")

    result = apply_offer_payload(payloads.offer("voided"), "webhook")

    offer = Offer.objects.get()
    assert (offer.status, offer.conflict, result.conflict) == ("voided", "", "")
    assert timeline(offer)[-1] == (closed, "voided", "void", "webhook")


def test_an_accepted_offer_reported_voided_is_a_conflict():
    apply_offer_payload(payloads.offer("accepted"), "webhook")

    result = apply_offer_payload(payloads.offer("voided"), "webhook")

    assert Offer.objects.get().status == "accepted"
    assert "cannot reach from 'accepted'" in result.conflict


def test_a_legacy_rejected_offer_seen_first_by_a_sync_is_closed_not_left_created():
    result = apply_offer_payload(payloads.offer("rejected"), "sync")

    offer = Offer.objects.get()
    assert (offer.status, offer.conflict) == ("rejected", "")
    assert result.statuses == ["created", "rejected"]
    assert timeline(offer) == [
        ("", "created", "", "sync"),
        ("created", "rejected", "reject", "sync"),
    ]


def test_a_rejected_offer_can_still_be_voided():
    apply_offer_payload(payloads.offer("rejected"), "sync")

    apply_offer_payload(payloads.offer("voided"), "webhook")

    assert Offer.objects.get().status == "voided"
