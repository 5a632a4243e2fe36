"""The models guard their status: only documented transitions, never direct assignment."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from django_topi.models import Offer, Order, StatusChange
from django_topi.models.base import update_unless_changed
from django_topi.sync import apply_offer_payload
from tests import payloads

pytestmark = pytest.mark.django_db


def test_direct_assignment_to_status_is_refused():
    offer = Offer.objects.create(seller_offer_reference="SO-1", environment="sandbox")
    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        offer.status = "accepted"


def test_an_undocumented_transition_raises():
    order = Order.objects.create(
        topi_id="d-1", seller_offer_reference="SO-1", environment="sandbox"
    )
    with pytest.raises(TransitionNotAllowed):
        order.complete()  # created -> completed skips confirmed
    assert order.status == "created"


def test_a_terminal_status_has_no_way_out():
    offer = apply_offer_payload(payloads.offer("accepted"), "sync").instance
    for transition in ("mark_created", "begin_review", "accept", "decline", "void", "expire"):
        with pytest.raises(TransitionNotAllowed):
            getattr(offer, transition)()


def test_a_stale_copy_cannot_overwrite_a_newer_status():
    apply_offer_payload(payloads.offer("created"), "sync")
    stale = Offer.objects.get()
    apply_offer_payload(payloads.offer("accepted"), "sync")

    stale.void()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()

    assert Offer.objects.get().status == "accepted"


def test_a_guarded_update_writes_a_row_still_as_read():
    apply_offer_payload(payloads.offer("created"), "sync")
    offer = Offer.objects.get()
    offer.void()

    assert update_unless_changed(offer, status="created")

    assert Offer.objects.get().status == "voided"
    offer.save()  # django-fsm's guard now compares with what was written


def test_a_guarded_update_leaves_a_moved_row_and_its_transaction_usable():
    apply_offer_payload(payloads.offer("created"), "sync")
    stale = Offer.objects.get()
    apply_offer_payload(payloads.offer("accepted"), "sync")
    stale.void()

    with transaction.atomic(savepoint=False):
        written = update_unless_changed(stale, status="created")
        status = Offer.objects.get().status  # no error: the transaction goes on

    assert not written
    assert status == "accepted"


def test_a_status_change_belongs_to_exactly_one_object():
    offer = Offer.objects.create(seller_offer_reference="SO-1", environment="sandbox")
    order = Order.objects.create(
        topi_id="d-1", seller_offer_reference="SO-1", environment="sandbox"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusChange.objects.create(offer=offer, order=order, target="created", origin="local")
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusChange.objects.create(target="created", origin="local")


def test_drafts_are_explained_as_local_only():
    assert str(Offer._meta.get_field("status").choices[0][1]) == "draft (not sent to topi yet)"
