"""Property tests: any valid topi history, delivered in any order with any duplicates, converges.

For every history hypothesis draws from the documented graph, the payloads are delivered
shuffled and repeated. Then the row ends in the last status topi reached, every recorded step is
a documented forward edge, the steps chain from the first status to the last with one row each,
and each status-changed signal fired exactly once per step.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from django_topi import signals
from django_topi.models import Offer, Order
from django_topi.states import OFFER_EDGES, ORDER_EDGES, Edge
from django_topi.sync import apply_offer_payload, apply_order_payload
from tests import payloads


@st.composite
def histories(draw: st.DrawFn, edges: tuple[Edge, ...], start: str) -> list[str]:
    """A walk along documented edges from ``start``, stopping anywhere."""
    walk = [start]
    while True:
        outgoing = [edge for edge in edges if edge.source == walk[-1]]
        if not outgoing or draw(st.booleans()):
            return walk
        walk.append(draw(st.sampled_from(outgoing)).target)


@st.composite
def deliveries(draw: st.DrawFn, history: list[str]) -> list[str]:
    """Every status of the history at least once, plus duplicates, in any order."""
    extra = draw(st.lists(st.sampled_from(history), max_size=6))
    return draw(st.permutations(history + extra))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(
        self, sender: type, instance: object, source: str, target: str, **kw: object
    ) -> None:
        self.calls.append((source, target))


def assert_converged(instance: Offer | Order, edges: tuple[Edge, ...],
                     first: str, last: str, recorder: Recorder) -> None:  # fmt: skip
    documented = {(edge.source, edge.target, edge.transition) for edge in edges}
    changes = list(instance.status_changes.order_by("pk"))
    steps = [c for c in changes if c.source]
    assert instance.status == last
    for change in steps:
        assert (change.source, change.target, change.transition) in documented
    chain = [first] + [c.target for c in steps]
    assert chain[-1] == last
    assert [c.source for c in steps] == chain[:-1]
    assert len(set(chain)) == len(chain)  # no status twice: nothing went backwards
    assert recorder.calls == [(c.source, c.target) for c in steps]


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


class OfferHistories(TestCase):
    @PROPERTY_SETTINGS
    @given(data=st.data(), from_draft=st.booleans())
    def test_any_offer_history_converges(self, data: st.DataObject, from_draft: bool) -> None:
        history = data.draw(histories(OFFER_EDGES, "created"))
        order = data.draw(deliveries(history))
        topi_id, reference = str(uuid.uuid4()), f"SO-{uuid.uuid4().hex[:8]}"
        if from_draft:
            Offer.objects.create(seller_offer_reference=reference, environment="sandbox")
        recorder = Recorder()
        signals.offer_status_changed.connect(recorder)
        try:
            with self.captureOnCommitCallbacks(execute=True):
                for status in order:
                    body = payloads.offer(status, id=topi_id, seller_offer_reference=reference)
                    apply_offer_payload(body, "webhook")
        finally:
            signals.offer_status_changed.disconnect(recorder)
        offer = Offer.objects.get(topi_id=topi_id)
        assert_converged(offer, OFFER_EDGES, "draft" if from_draft else "created",
                         history[-1], recorder)  # fmt: skip
        assert offer.conflict == ""


class OrderHistories(TestCase):
    @PROPERTY_SETTINGS
    @given(data=st.data())
    def test_any_order_history_converges(self, data: st.DataObject) -> None:
        history = data.draw(histories(ORDER_EDGES, "created"))
        order_of_delivery = data.draw(deliveries(history))
        topi_id = str(uuid.uuid4())
        recorder = Recorder()
        created: list[object] = []

        def on_created(sender: type, instance: object, **kw: object) -> None:
            created.append(instance)

        signals.order_status_changed.connect(recorder)
        signals.order_created.connect(on_created)
        try:
            with self.captureOnCommitCallbacks(execute=True):
                for status in order_of_delivery:
                    apply_order_payload(payloads.order(status, id=topi_id), "webhook")
        finally:
            signals.order_status_changed.disconnect(recorder)
            signals.order_created.disconnect(on_created)
        order = Order.objects.get(topi_id=topi_id)
        assert_converged(order, ORDER_EDGES, "created", history[-1], recorder)
        assert len(created) == 1
        assert order.conflict == ""
