"""django_topi.tasks: the reconcile and expiry jobs for a shop's workers, the same service as the
commands (django_topi.reconcile)."""

from __future__ import annotations

import pytest

from django_topi import tasks
from django_topi.models import Offer, Order
from tests.conftest import API
from tests.test_commands_sync import FakeTopi, answer, past_offer

pytestmark = pytest.mark.django_db


def test_reconcile_answers_what_it_did_per_kind(mocked):
    FakeTopi(mocked, orders=3, offers=2)

    counts = tasks.reconcile()

    assert counts["offers"] == {"seen": 2, "created": 2, "updated": 0, "unchanged": 0,
                                "conflicts": 0, "failed": 0}  # fmt: skip
    assert counts["orders"]["seen"] == 3
    assert counts["orders"]["created"] == 3
    assert Order.objects.count() == 3
    assert tasks.reconcile("orders")["orders"]["unchanged"] == 3  # a second run fetches nothing


def test_reconcile_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be 'offers', 'orders' or 'all'"):
        tasks.reconcile("assets")


def test_expire_offers_asks_topi_about_each_due_offer(mocked):
    past_offer(1)
    past_offer(2)
    mocked.get(f"{API}/v1/offers/offer-1", json=answer(1, "expired"))
    mocked.get(f"{API}/v1/offers/offer-2", json=answer(2, "created"))

    assert tasks.expire_offers() == {"expired": 1, "still open at topi": 1}
    assert dict(Offer.objects.values_list("seller_offer_reference", "status")) == {
        "SO-1": "expired",
        "SO-2": "created",
    }


def test_the_tasks_run_on_a_task_backend(mocked, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    past_offer(1)
    mocked.get(f"{API}/v1/offers/offer-1", json=answer(1, "expired"))
    FakeTopi(mocked, orders=1)

    expired = tasks.expire_offers_task.enqueue()
    reconciled = tasks.reconcile_task.enqueue("orders")

    assert expired.return_value == {"expired": 1}
    assert reconciled.return_value["orders"]["created"] == 1
