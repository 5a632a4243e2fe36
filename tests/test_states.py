"""The documented lifecycle graph, as data: spelled as topi spells it, acyclic, and walkable."""

from __future__ import annotations

import pytest

from django_topi.states import (
    OFFER_CLOSED,
    OFFER_EDGES,
    OFFER_TERMINAL,
    ORDER_EDGES,
    ORDER_STATUS_ALIASES,
    ORDER_TERMINAL,
    AssetStatus,
    OfferStatus,
    OrderStatus,
    path,
)

TOPI_OFFER_STATUSES = {"created", "voided", "accepted", "expired", "rejected", "pending_review",
                       "declined"}  # fmt: skip
TOPI_ORDER_STATUSES = {"created", "confirmed", "acknowledged", "accepted", "partially_fulfilled",
                       "completed", "canceled", "rejected"}  # fmt: skip
TOPI_ASSET_STATUSES = {"created", "shipped", "returned", "completed", "rejected"}


def test_values_are_spelled_exactly_as_topi_spells_them():
    assert set(OfferStatus.values) == TOPI_OFFER_STATUSES | {"draft"}
    assert set(OrderStatus.values) == TOPI_ORDER_STATUSES
    assert set(AssetStatus.values) == TOPI_ASSET_STATUSES


@pytest.mark.parametrize("edges", [OFFER_EDGES, ORDER_EDGES], ids=["offer", "order"])
def test_the_graph_has_no_cycles(edges):
    for edge in edges:
        assert path(edges, edge.target, edge.source) is None, edge


def test_terminal_statuses():
    assert {"accepted", "voided"} == OFFER_TERMINAL
    assert {"completed", "canceled", "rejected"} == ORDER_TERMINAL


def test_closed_offers_are_those_that_can_never_be_accepted():
    assert {"declined", "expired", "rejected", "voided"} == OFFER_CLOSED


@pytest.mark.parametrize("status", sorted(TOPI_OFFER_STATUSES - {"accepted", "voided"}))
def test_every_offer_but_an_accepted_one_can_be_voided_in_one_step(status):
    """topi's voidOffer: "All offers can be voided except those with status accepted"."""
    assert [(e.source, e.target, e.transition) for e in path(OFFER_EDGES, status, "voided")] == [
        (status, "voided", "void")
    ]


def test_an_accepted_offer_can_never_be_voided():
    assert path(OFFER_EDGES, "accepted", "voided") is None


@pytest.mark.parametrize("status", ["created", "pending_review"])
def test_topis_legacy_rejected_is_one_step_from_an_open_offer(status):
    assert [e.transition for e in path(OFFER_EDGES, status, "rejected")] == ["reject"]


def test_every_edge_says_why():
    for edge in (*OFFER_EDGES, *ORDER_EDGES):
        assert edge.note, edge


def test_acknowledging_means_what_topi_says():
    (edge,) = [e for e in ORDER_EDGES if e.transition == "acknowledge"]
    assert edge.note == "the shop confirmed the order can be fulfilled"


def test_every_documented_status_is_reachable_from_the_start():
    for status in TOPI_OFFER_STATUSES - {"created"}:
        assert path(OFFER_EDGES, "created", status), status
    for status in TOPI_ORDER_STATUSES - {"created", *ORDER_STATUS_ALIASES}:
        assert path(ORDER_EDGES, "created", status), status


def test_one_method_per_transition_name_and_one_target():
    for edges in (OFFER_EDGES, ORDER_EDGES):
        targets: dict[str, set[str]] = {}
        for edge in edges:
            targets.setdefault(edge.transition, set()).add(edge.target)
        assert all(len(t) == 1 for t in targets.values()), targets


def test_transition_names_are_the_public_ones():
    assert {e.transition for e in OFFER_EDGES} == {
        "mark_created", "begin_review", "accept", "decline", "void", "expire", "reject"}  # fmt: skip
    assert {e.transition for e in ORDER_EDGES} == {
        "acknowledge", "confirm", "reject", "fulfil_partially", "complete", "cancel"}  # fmt: skip


def test_path_is_the_shortest_documented_walk():
    assert [e.target for e in path(ORDER_EDGES, "created", "completed")] == [
        "confirmed",
        "completed",
    ]
    assert [e.target for e in path(OFFER_EDGES, "created", "declined")] == [
        "pending_review", "declined"]  # fmt: skip
    assert [e.target for e in path(OFFER_EDGES, "draft", "accepted")] == ["created", "accepted"]
    assert path(OFFER_EDGES, "accepted", "accepted") == []
    assert path(OFFER_EDGES, "accepted", "created") is None
    assert path(OFFER_EDGES, "declined", "expired") is None


def test_topis_undocumented_order_accepted_means_confirmed():
    assert ORDER_STATUS_ALIASES == {"accepted": "confirmed"}
