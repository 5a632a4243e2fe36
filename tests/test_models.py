"""The models guard their status: only documented transitions, never direct assignment."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from django_topi.models import Offer, Order, StatusChange
from django_topi.models.base import Writes, update_unless_changed
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


def test_writes_are_sent_in_order_in_one_round_trip_on_postgresql(django_assert_num_queries):
    offer = apply_offer_payload(payloads.offer("accepted"), "sync").instance
    order = Order.objects.create(topi_id="d-1", seller_offer_reference="SO-1",
                                 environment="sandbox", offer_topi_id=offer.topi_id)  # fmt: skip
    writes = Writes()
    writes.delete(offer.lines.all())
    writes.insert([StatusChange(offer=offer, source="accepted", target="accepted",
                                origin="local", note=f"note {n}; with a semicolon")
                   for n in range(2)])  # fmt: skip
    writes.update(Order.objects.filter(pk=order.pk), offer=offer)
    writes.insert([])  # nothing to write: no statement

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        writes.send()

    assert offer.lines.count() == 0
    assert list(StatusChange.objects.filter(origin="local").values_list("note", flat=True)) == [
        "note 0; with a semicolon",
        "note 1; with a semicolon",
    ]
    assert Order.objects.get().offer == offer
    assert writes.statements == []


def test_rows_are_written_as_values_not_one_array_per_column():
    """Django's PostgreSQL compiler sends several rows as one array per column (``UNNEST``),
    which client-side binding spells out element by element; for a few rows that costs more
    than it saves, so ``Writes`` sends the rows as they are."""
    offer = apply_offer_payload(payloads.offer("accepted"), "sync").instance
    writes = Writes()
    writes.insert([StatusChange(offer=offer, target="accepted", origin="local", note=f"{n}")
                   for n in range(3)])  # fmt: skip

    ((sql, params),) = writes.statements
    assert "UNNEST" not in sql
    assert sql.count("), (") == 2  # three rows of values
    assert not any(isinstance(param, list) for param in params)
    writes.send()
    assert StatusChange.objects.filter(origin="local").count() == 3


def test_a_write_that_fails_raises_and_takes_the_transaction_with_it():
    offer = apply_offer_payload(payloads.offer("accepted"), "sync").instance
    writes = Writes()
    writes.insert([StatusChange(offer=offer, target="accepted", origin="local", note="first")])
    writes.insert([StatusChange(target="accepted", origin="local")])  # neither offer nor order

    with pytest.raises(IntegrityError), transaction.atomic():
        writes.send()

    assert not StatusChange.objects.filter(origin="local").exists()


def test_with_server_side_binding_writes_go_one_by_one(monkeypatch, django_assert_num_queries):
    """Statements joined by ';' need client-side binding, Django's default on PostgreSQL."""
    offer = apply_offer_payload(payloads.offer("accepted"), "sync").instance
    options = {**connection.settings_dict.get("OPTIONS", {}), "server_side_binding": True}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    writes = Writes()
    writes.delete(offer.lines.all())
    writes.insert([StatusChange(offer=offer, target="accepted", origin="local")])

    with django_assert_num_queries(2):
        writes.send()

    assert offer.lines.count() == 0
    assert StatusChange.objects.filter(origin="local").count() == 1


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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own index kinds")
def test_no_write_pays_for_an_index_no_query_uses():
    """``db_index=True`` on a text column makes PostgreSQL build a ``LIKE 'prefix%'`` index
    beside the plain one; no query of django-topi searches by prefix, so only the columns that
    are unique (whose plain index Django does not let go of) may have one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE tablename LIKE 'django_topi_%%' "
            "AND indexdef LIKE '%%pattern_ops%%' ORDER BY 1, 2"
        )
        prefix_indexes = cursor.fetchall()

    unique_columns = [
        name for _, name in prefix_indexes if "_topi_id_" in name or "_dedupe_key_" in name
    ]
    assert len(unique_columns) == len(prefix_indexes), prefix_indexes
    assert unique_columns  # the query sees them: topi ids are unique, and text
    assert {table for table, _ in prefix_indexes} <= {
        "django_topi_offer",
        "django_topi_order",
        "django_topi_asset",
        "django_topi_webhookevent",
    }
