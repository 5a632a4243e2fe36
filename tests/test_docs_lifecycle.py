"""The lifecycle page: diagrams and tables drawn from ``django_topi.states``, whole and legible."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from types import ModuleType

import pytest

from django_topi.states import (
    OFFER_EDGES,
    OFFER_TERMINAL,
    ORDER_EDGES,
    ORDER_STATUS_ALIASES,
    ORDER_TERMINAL,
    Actor,
    Edge,
    OfferStatus,
    OrderStatus,
)
from tests.docs_ext import load


def _load_diagram() -> ModuleType:
    return load("lifecycle_diagram")


diagram = _load_diagram()
LIFECYCLES = sorted(diagram.LIFECYCLES.items())
TINY = (Edge("open", "shut", "close", Actor.SHOP, "the shop closed it"),)


def _svg(name: str) -> str:
    lifecycle = diagram.LIFECYCLES[name]
    return diagram.diagram_svg(
        lifecycle.edges,
        lifecycle.statuses,
        name,
        lifecycle.title,
        lifecycle.terminal,
        lifecycle.aliases,
    )


def _layout(name: str):
    lifecycle = diagram.LIFECYCLES[name]
    return diagram.layout(
        lifecycle.edges, lifecycle.statuses, lifecycle.terminal, lifecycle.aliases
    )


def _box_names(svg: str) -> Counter[str]:
    return Counter(re.findall(r'<g class="status" data-status="([^"]+)"', svg))


def _labels(svg: str) -> Counter[str]:
    return Counter(re.findall(r'<g class="transition">.*?<text[^>]*>([^<]+)</text>', svg))


def test_the_page_draws_the_graphs_from_states():
    offer, order = diagram.LIFECYCLES["offer"], diagram.LIFECYCLES["order"]
    assert (offer.edges, offer.terminal) == (OFFER_EDGES, OFFER_TERMINAL)
    assert (order.edges, order.terminal) == (ORDER_EDGES, ORDER_TERMINAL)
    assert set(offer.statuses) == set(OfferStatus.values)
    assert set(order.statuses) == set(OrderStatus.values) - set(ORDER_STATUS_ALIASES)


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_every_edge_is_a_row_of_the_table(name, lifecycle):
    rows = diagram.table_rows(lifecycle.edges)

    for edge in lifecycle.edges:
        row = (edge.source, edge.target, edge.transition, Actor(edge.actor).label, edge.note)
        assert row in rows, f"{name}: {edge} is missing from the table"
    assert len(rows) == len(lifecycle.edges)


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_every_edge_is_an_arrow_labelled_with_its_transition(name, lifecycle):
    svg = _svg(name)

    arrows = Counter(re.findall(r'<polyline [^>]*data-edge="([^"]+)"', svg))
    assert arrows == Counter(f"{edge.source} {edge.target}" for edge in lifecycle.edges)
    assert _labels(svg) == Counter(edge.transition for edge in lifecycle.edges)


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_every_status_is_exactly_one_box(name, lifecycle):
    assert _box_names(_svg(name)) == Counter(lifecycle.statuses)


def test_an_order_alias_is_named_in_the_box_of_the_status_it_means():
    svg = _svg("order")

    assert "accepted" not in _box_names(svg)
    confirmed = re.search(r'data-status="confirmed">(.*?)</g>', svg)
    assert confirmed is not None
    assert "also accepted" in confirmed.group(1)


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_terminal_statuses_have_a_double_border(name, lifecycle):
    svg = _svg(name)

    for status in lifecycle.statuses:
        box = re.search(rf'data-status="{status}">(.*?)</g>', svg)
        assert box is not None
        borders = box.group(1).count("<rect")
        assert borders == (2 if status in lifecycle.terminal else 1), f"{name}: {status}"


def test_a_status_no_edge_touches_has_a_dashed_border():
    svg = diagram.diagram_svg(TINY, ("open", "shut", "orphan"), "tiny", "Tiny")
    box = re.search(r'data-status="orphan">(.*?)</g>', svg)

    assert box is not None
    assert "stroke-dasharray" in box.group(1)
    assert diagram.unreached(TINY, ("open", "shut", "orphan")) == ["orphan"]


def test_every_offer_and_order_status_is_touched_by_an_edge():
    assert diagram.unreached(OFFER_EDGES, OfferStatus.values) == []
    assert diagram.unreached(ORDER_EDGES, set(OrderStatus.values) - {"accepted"}) == []


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_no_two_boxes_overlap(name, lifecycle):
    boxes = _layout(name).boxes.values()

    for one, other in combinations(boxes, 2):
        assert not one.rect.overlaps(other.rect, margin=4), f"{one.status} and {other.status}"


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_transition_labels_cover_no_box_and_no_other_label(name, lifecycle):
    drawing = _layout(name)
    labels = [arrow.label for arrow in drawing.arrows]

    for label in labels:
        assert not any(label.overlaps(box.rect) for box in drawing.boxes.values())
    for one, other in combinations(labels, 2):
        assert not one.overlaps(other)


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_every_arrow_points_down_to_a_later_layer(name, lifecycle):
    boxes = _layout(name).boxes

    for edge in lifecycle.edges:
        assert boxes[edge.target].rect.y > boxes[edge.source].rect.bottom


def test_layers_are_the_longest_path_from_the_first_status():
    layers = diagram.layers(OFFER_EDGES, OfferStatus.values)

    assert layers["draft"] == 0
    assert layers["created"] == 1
    assert layers["pending_review"] == layers["expired"] == 2
    # created -> accepted is one step, but created -> pending_review -> accepted is two.
    assert layers["accepted"] == layers["declined"] == layers["rejected"] == 3
    # An offer can be voided after topi declined it, so voided comes one layer later.
    assert layers["voided"] == 4


@pytest.mark.parametrize(("name", "lifecycle"), LIFECYCLES)
def test_the_svg_is_sized_to_its_content(name, lifecycle):
    drawing = _layout(name)
    svg = _svg(name)

    assert f'width="{drawing.width}" height="{drawing.height}"' in svg
    rects = [box.rect for box in drawing.boxes.values()] + [a.label for a in drawing.arrows]
    xs = [x for rect in rects for x in (rect.x, rect.right)]
    xs += [x for arrow in drawing.arrows for x, _ in arrow.points]
    assert min(xs) >= 0
    assert max(rect.bottom for rect in rects) <= drawing.height
    assert 0 <= drawing.width - max(xs) < 20, "the drawing ends where its content does"


def test_the_plain_text_fallback_lists_every_edge():
    text = diagram.plain_text(ORDER_EDGES)

    assert text.splitlines() == [
        f"{edge.source} --{edge.transition}--> {edge.target}" for edge in ORDER_EDGES
    ]


def test_a_tiny_graph_draws_only_what_it_holds():
    svg = diagram.diagram_svg(TINY, (), "tiny", "Tiny")

    assert _box_names(svg) == Counter(["open", "shut"])
    assert _labels(svg) == Counter(["close"])
    assert diagram.table_rows(TINY) == [
        ("open", "shut", "close", "the shop (django-topi)", "the shop closed it")
    ]
    assert diagram.plain_text(TINY) == "open --close--> shut"


def test_changing_the_edges_changes_the_output():
    longer = (*TINY, Edge("shut", "gone", "remove", Actor.STAFF, "staff removed it"))

    before = diagram.diagram_svg(TINY, (), "tiny", "Tiny", terminal={"shut"})
    after = diagram.diagram_svg(longer, (), "tiny", "Tiny", terminal={"gone"})

    assert after != before
    assert _box_names(after) == Counter(["open", "shut", "gone"])
    assert _labels(after) == Counter(["close", "remove"])
    assert diagram.layout(longer).height > diagram.layout(TINY).height
    assert diagram.table_rows(longer)[-1][:3] == ("shut", "gone", "remove")
    assert diagram.plain_text(longer).endswith("shut --remove--> gone")


def test_a_cycle_cannot_be_drawn():
    cycle = (*TINY, Edge("shut", "open", "reopen", Actor.SHOP))

    with pytest.raises(ValueError, match="cycle"):
        diagram.layout(cycle)
