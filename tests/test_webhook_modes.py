"""Refetch verification, task mode, and fuzzing: forged or garbage requests change nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from django_topi.models import Offer, Order, WebhookEvent
from tests import payloads
from tests.conftest import API, api_calls
from tests.webhook_helpers import URL, deliver

OFFER_ID = payloads.offer()["id"]
GOA = "application/vnd.goa.error"


@pytest.fixture
def refetch(settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_VERIFICATION": "refetch"}


@pytest.mark.django_db
def test_refetch_applies_what_topi_says_not_what_the_body_says(web, mocked, refetch):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("created"))

    response = deliver(web, payloads.offer("accepted"), sign_with=None)

    assert response.status_code == 200
    assert Offer.objects.get().status == "created"
    assert WebhookEvent.objects.get().verification == "refetched"
    assert len(api_calls(mocked)) == 1


@pytest.mark.django_db
def test_refetch_of_an_id_topi_does_not_know_is_rejected(web, mocked, refetch):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", status=404, content_type=GOA,
               json={"name": "not_found", "message": "no", "id": "x", "temporary": False,
                     "timeout": False, "fault": False})  # fmt: skip

    response = deliver(web, payloads.offer("accepted"), sign_with=None)

    assert response.status_code == 400
    assert Offer.objects.count() == 0
    event = WebhookEvent.objects.get()
    assert (event.status, event.verification) == ("rejected", "failed")
    assert len(api_calls(mocked)) == 1


@pytest.mark.django_db
def test_refetch_while_topi_is_down_fails_so_topi_retries(web, mocked, refetch):
    mocked.get(f"{API}/v1/orders/{payloads.order()['id']}", status=503)

    response = deliver(web, payloads.order("created"), sign_with=None)

    assert response.status_code == 500
    assert WebhookEvent.objects.get().status == "failed"


@pytest.mark.django_db
def test_unverified_junk_in_refetch_mode_is_rejected_not_kept(web, mocked, refetch):
    response = deliver(web, {"hello": "world"}, sign_with=None)

    assert response.status_code == 400
    assert WebhookEvent.objects.get().status == "rejected"
    assert api_calls(mocked) == []


@pytest.mark.django_db
def test_signature_plus_refetch_needs_both(web, mocked, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_VERIFICATION": "signature+refetch"}
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json=payloads.offer("accepted"))

    unsigned = deliver(web, payloads.offer("accepted"), sign_with=None)
    signed = deliver(web, payloads.offer("accepted"))

    assert unsigned.status_code == 400
    assert signed.status_code == 200
    assert Offer.objects.get().status == "accepted"
    assert len(api_calls(mocked)) == 1


@pytest.mark.django_db
def test_task_mode_stores_answers_202_and_a_worker_processes(web, settings):
    from django_topi.webhooks.tasks import run

    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task"}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    response = deliver(web, payloads.order("created"))

    assert response.status_code == 202
    event = WebhookEvent.objects.get()
    assert event.status == "received"
    assert Order.objects.count() == 0
    assert run(event.pk) == "processed"
    assert Order.objects.get().status == "created"


@pytest.mark.django_db
def test_a_worker_applies_a_new_offer_in_its_budget_and_signals_what_it_stored(
    web, settings, query_budget, django_capture_on_commit_callbacks
):
    """The worker locks the event and, on PostgreSQL, asks in the same statement what sync
    would look up; the signal carries the row as stored, with no read after the commit."""
    from django_topi import signals
    from django_topi.webhooks.tasks import run

    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task"}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    deliver(web, payloads.offer("accepted"))
    event = WebhookEvent.objects.get()
    seen = []

    def on_processed(sender, event, **kwargs):
        seen.append((event.status, event.attempts, event.processed_at is not None))

    signals.webhook_processed.connect(on_processed)
    try:
        # the event; its lock (a SAVEPOINT here: the test runs in a transaction) with the
        # probes; the offer; its lines and timeline together; the event's new status
        budget = {"postgresql": 7, "sqlite": 10}
        with (
            django_capture_on_commit_callbacks(execute=True),
            query_budget(budget, "a worker applying a new accepted offer"),
        ):
            assert run(event.pk) == "processed"
    finally:
        signals.webhook_processed.disconnect(on_processed)

    assert seen == [("processed", 1, True)]
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("processed", 1)
    assert Offer.objects.get().status == "accepted"


@pytest.mark.django_db
def test_task_mode_end_to_end_with_an_immediate_backend(web, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task"}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    response = deliver(web, payloads.order("completed"))

    assert response.status_code == 202
    assert WebhookEvent.objects.get().status == "processed"
    assert Order.objects.get().status == "completed"


class Fuzz(TestCase):
    """Any unsigned or garbage request: never a 5xx, never a row of topi state."""

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        body=st.one_of(
            st.binary(max_size=300),
            st.builds(lambda d: __import__("json").dumps(d).encode(),
                      st.dictionaries(st.sampled_from(["id", "status", "lines", "assets", "offer_id",
                                                       "checkout_redirect_url", "x"]),
                                      st.one_of(st.text(max_size=20), st.integers(), st.none(),
                                                st.lists(st.integers(), max_size=2)), max_size=6)),
        ),
        headers=st.dictionaries(
            st.sampled_from(["HTTP_SVIX_ID", "HTTP_SVIX_TIMESTAMP", "HTTP_SVIX_SIGNATURE",
                             "HTTP_X_FORWARDED_FOR", "CONTENT_TYPE"]),
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
            max_size=5),
    )  # fmt: skip
    def test_garbage_never_500s_and_never_changes_state(self, body: bytes, headers: dict) -> None:
        content_type = headers.pop("CONTENT_TYPE", "application/json")
        response = self.client.generic("POST", URL, body, content_type=content_type, **headers)

        assert response.status_code < 500
        assert Offer.objects.count() == Order.objects.count() == 0
