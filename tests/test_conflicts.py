"""Conflicts are a feature: signalled once, mailed to staff, cleared by a fitting report, and
marked resolved by staff with a trace in the timeline."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from django_topi import signals
from django_topi.models import Offer, Order, StatusChange
from django_topi.sync import apply_offer_payload, apply_order_payload
from tests import payloads

pytestmark = pytest.mark.django_db

AMOUNT_CONFLICT = (
    "topi accepted 2632.90 EUR net (3133.15 EUR gross), but the shop sent 1000.00 EUR net "
    "(1190.00 EUR gross)."
)


@pytest.fixture
def heard():
    """``heard(signal)`` starts recording what the signal delivers; disconnected afterwards."""
    connected = []

    def listen(signal):
        calls = []

        def receiver(sender, **kwargs):
            calls.append({"sender": sender, **kwargs})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return calls

    yield listen
    for signal, receiver in connected:
        signal.disconnect(receiver)


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Shop staff", "staff@shop.example")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def offer_sent_for_less():
    """A created offer for which the shop sent 1000.00 EUR net; topi will accept 2632.90."""
    offer = apply_offer_payload(payloads.offer("created"), "local").instance
    Offer.objects.filter(pk=offer.pk).update(
        expected_amount_net=100000, expected_amount_gross=119000, expected_currency="EUR"
    )
    return offer


def accept(commit, **changes):
    with commit(execute=True):
        return apply_offer_payload(payloads.offer("accepted", **changes), "webhook")


# -- signals -------------------------------------------------------------------------------------


def test_offer_accepted_carries_the_amount_conflict(django_capture_on_commit_callbacks, heard):
    accepted = heard(signals.offer_accepted)
    offer_sent_for_less()

    accept(django_capture_on_commit_callbacks)

    assert [call["conflict"] for call in accepted] == [AMOUNT_CONFLICT]


def test_offer_accepted_without_a_conflict_says_so(django_capture_on_commit_callbacks, heard):
    accepted = heard(signals.offer_accepted)

    accept(django_capture_on_commit_callbacks)

    assert [call["conflict"] for call in accepted] == [""]


def test_offer_conflict_is_sent_once_when_the_conflict_appears(
    django_capture_on_commit_callbacks, heard
):
    conflicts = heard(signals.offer_conflict)
    offer_sent_for_less()

    accept(django_capture_on_commit_callbacks)
    accept(django_capture_on_commit_callbacks, metadata={"seen": "again"})

    offer = Offer.objects.get()
    assert [(c["sender"], c["instance"], c["conflict"], c["origin"]) for c in conflicts] == [
        (Offer, offer, AMOUNT_CONFLICT, "webhook")
    ]


def test_order_conflict_is_sent_for_a_status_the_lifecycle_cannot_reach(
    django_capture_on_commit_callbacks, heard
):
    conflicts = heard(signals.order_conflict)
    apply_order_payload(payloads.order("canceled"), "webhook")

    with django_capture_on_commit_callbacks(execute=True):
        apply_order_payload(payloads.order("completed"), "webhook")

    assert [c["conflict"] for c in conflicts] == [
        "topi reports status 'completed', which the documented order lifecycle cannot reach "
        "from 'canceled'; the status was left at 'canceled'."
    ]


# -- a later report that fits clears it ----------------------------------------------------------


def test_a_later_report_that_fits_clears_a_lifecycle_conflict(caplog):
    apply_offer_payload(payloads.offer("accepted"), "webhook")
    apply_offer_payload(payloads.offer("expired"), "webhook")
    assert Offer.objects.get().conflict

    with caplog.at_level(logging.INFO, logger="django_topi.sync"):
        result = apply_offer_payload(payloads.offer("accepted"), "sync")

    offer = Offer.objects.get()
    assert (offer.conflict, offer.conflict_at, result.conflict) == ("", None, "")
    assert result.changed is True
    assert "conflict cleared, topi's report of 'accepted' fits" in caplog.text


def test_a_later_payload_with_the_shops_amounts_clears_an_amount_conflict():
    offer_sent_for_less()
    apply_offer_payload(payloads.offer("accepted"), "webhook")
    corrected = payloads.offer("accepted")
    corrected["lines"] = [{**corrected["lines"][0], "quantity": 1,
                           "price": {"currency": "EUR", "net": 99500, "gross": 118405}}]  # fmt: skip

    apply_offer_payload(corrected, "sync")

    assert Offer.objects.get().conflict == ""


def test_a_late_report_does_not_clear_a_conflict():
    apply_offer_payload(payloads.offer("declined"), "webhook")
    apply_offer_payload(payloads.offer("expired"), "webhook")
    conflict = Offer.objects.get().conflict
    assert conflict

    apply_offer_payload(payloads.offer("pending_review"), "webhook")  # behind 'declined'

    assert Offer.objects.get().conflict == conflict


def test_a_clean_report_without_a_conflict_writes_nothing():
    apply_offer_payload(payloads.offer("accepted"), "webhook")

    result = apply_offer_payload(payloads.offer("accepted"), "webhook")

    assert result.changed is False


# -- staff are told ------------------------------------------------------------------------------


def test_staff_are_mailed_once_when_a_conflict_appears(admins, django_capture_on_commit_callbacks):
    offer_sent_for_less()

    accept(django_capture_on_commit_callbacks)
    accept(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["staff@shop.example"]
    assert message.subject.endswith("topi: conflict on offer SO-100234")
    assert AMOUNT_CONFLICT in message.body
    assert "mark the conflict resolved" in message.body


def test_the_mail_names_the_row_never_the_customer(admins, django_capture_on_commit_callbacks):
    offer_sent_for_less()

    accept(django_capture_on_commit_callbacks)

    text = mail.outbox[0].subject + mail.outbox[0].body
    for personal in ("alice@unicorn.example", "Alice Example", "+49301234567", "Musterstr"):
        assert personal not in text


def test_conflict_mails_can_be_turned_off(admins, settings, django_capture_on_commit_callbacks):
    settings.TOPI = {**settings.TOPI, "CONFLICT_EMAILS": False}
    conflicts = []
    signals.offer_conflict.connect(lambda **kw: conflicts.append(kw), weak=False, dispatch_uid="t")
    try:
        offer_sent_for_less()
        accept(django_capture_on_commit_callbacks)
    finally:
        signals.offer_conflict.disconnect(dispatch_uid="t")

    assert mail.outbox == []
    assert len(conflicts) == 1


# -- staff mark it resolved ----------------------------------------------------------------------


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:django_topi_{model._meta.model_name}_{view}", args=args)


def staff(*codenames):
    user = get_user_model().objects.create_user("anna", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="django_topi", codename__in=["view_offer", *codenames]
        )
    )
    browser = Client()
    browser.force_login(user)
    return browser, user


def conflicted_offer():
    apply_offer_payload(payloads.offer("accepted"), "webhook")
    apply_offer_payload(payloads.offer("expired"), "webhook")
    return Offer.objects.get()


def test_the_changelist_flags_conflicts_and_filters_them():
    offer = conflicted_offer()
    browser, _ = staff()

    flagged = browser.get(admin_url(Offer), {"conflict": "yes"})
    clean = browser.get(admin_url(Offer), {"conflict": "no"})

    assert list(flagged.context["cl"].result_list) == [offer]
    assert f'<span title="{offer.conflict}">⚠</span>' in flagged.text.replace("&#x27;", "'")
    assert list(clean.context["cl"].result_list) == []


def test_marking_resolved_clears_it_and_keeps_who_and_what_in_the_timeline():
    offer = conflicted_offer()
    conflict = offer.conflict
    browser, user = staff("resolve_offer_conflict")

    response = browser.post(
        admin_url(Offer),
        {"action": "resolve_conflicts_selected", "_selected_action": [offer.pk]},
        follow=True,
    )

    offer.refresh_from_db()
    assert (offer.conflict, offer.conflict_at, offer.status) == ("", None, "accepted")
    change = StatusChange.objects.filter(offer=offer).last()
    assert (change.source, change.target, change.transition, change.origin, change.user) == (
        "accepted", "accepted", "resolve_conflict", "admin", user)  # fmt: skip
    assert change.note == conflict
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "The conflict on offer SO-100234 is marked resolved."
    ]


def test_the_change_page_offers_the_button_only_while_there_is_a_conflict():
    offer = conflicted_offer()
    browser, _ = staff("resolve_offer_conflict")
    page = admin_url(Offer, "change", offer.pk)

    assert 'value="resolve_conflict"' in browser.get(page).text
    browser.post(page, {"_fsm_transition_to": "resolve_conflict"})

    assert 'value="resolve_conflict"' not in browser.get(page).text
    assert Offer.objects.get().conflict == ""


def test_marking_resolved_needs_its_permission():
    offer = conflicted_offer()
    browser, _ = staff()

    listed = browser.get(admin_url(Offer)).context["action_form"].fields["action"].choices
    browser.post(
        admin_url(Offer), {"action": "resolve_conflicts_selected", "_selected_action": [offer.pk]}
    )

    assert "resolve_conflicts_selected" not in [name for name, _ in listed]
    assert Offer.objects.get().conflict == offer.conflict


def test_an_order_conflict_is_resolved_with_the_order_permission():
    apply_order_payload(payloads.order("canceled"), "webhook")
    apply_order_payload(payloads.order("completed"), "webhook")
    order = Order.objects.get()
    user = get_user_model().objects.create_user("olaf", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_order", "resolve_order_conflict"])
    )
    browser = Client()
    browser.force_login(user)

    browser.post(
        admin_url(Order), {"action": "resolve_conflicts_selected", "_selected_action": [order.pk]}
    )

    assert Order.objects.get().conflict == ""
    assert StatusChange.objects.filter(order=order, transition="resolve_conflict").count() == 1
