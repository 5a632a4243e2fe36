"""Task mode on a real queue: django-tasks-rq on Redis, with workers in processes of their own.

The receiver verifies, stores and enqueues; two worker processes apply the events. Every
delivery is applied once, whatever the duplicates and however the two workers interleave. Needs
PostgreSQL (several processes share the database) and Redis (``TOPI_TEST_REDIS_URL``, by default
the local server); ``.ci/run`` sets ``TOPI_REQUIRE_BROKER=1`` so a missing Redis fails there
instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from django_topi.models import Offer, StatusChange, WebhookEvent
from django_topi.testing import offer_payload
from tests.races import POSTGRES_ONLY
from tests.webhook_helpers import URL, signed_headers

redis = pytest.importorskip("redis")
rq = pytest.importorskip("rq")

REPO = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TOPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
EVENTS, DUPLICATES, WORKERS = 300, 60, 2


def broker() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("TOPI_REQUIRE_BROKER") == "1":
            pytest.fail(f"Redis at {REDIS_URL} is required here and unreachable: {exc}")
        pytest.skip(f"needs Redis at {REDIS_URL} (TOPI_TEST_REDIS_URL): {exc}")
    return client


@pytest.fixture
def queue(settings):
    """A queue of this test's own on the real Redis, set up as a shop would; removed after."""
    client = broker()
    name = f"topi-test-{uuid.uuid4().hex[:12]}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    # As docs/deployment.rst sets it up: the queue on the connection of a django-redis cache.
    settings.CACHES = {**settings.CACHES, "queue": {"BACKEND": "django_redis.cache.RedisCache",
                                                    "LOCATION": REDIS_URL}}  # fmt: skip
    settings.RQ_QUEUES = {name: {"USE_REDIS_CACHE": "queue"}}
    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task", "TASK_QUEUE": name}
    yield rq.Queue(name, connection=client)
    for key in client.scan_iter(f"rq:*{name}*"):
        client.delete(key)


def deliver(body: bytes, msg_id: str) -> int:
    headers = signed_headers(body, msg_id=msg_id)
    return (
        Client().generic("POST", URL, body, content_type="application/json", **headers).status_code
    )


def start_workers(queue_name: str) -> list[subprocess.Popen[str]]:
    """Workers that take jobs until the queue is empty (``--burst``), as ``manage.py rqworker``
    runs them on a worker machine."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.queue_settings",
        "TOPI_TEST_DB_NAME": connection.settings_dict["NAME"],
        "TOPI_TEST_QUEUE": queue_name,
        "TOPI_TEST_REDIS_URL": REDIS_URL,
        "PYTHONPATH": str(REPO),
    }
    command = [
        sys.executable, "-m", "django", "rqworker", "--burst",
        "--job-class", "django_tasks_rq.Job", "--worker-class", "rq.worker.SimpleWorker",
        queue_name,
    ]  # fmt: skip
    return [
        subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(WORKERS)
    ]  # fmt: skip


pytestmark = POSTGRES_ONLY


def test_two_worker_processes_apply_every_event_once(queue):
    bodies = []
    for n in range(EVENTS):
        payload = offer_payload("accepted", id=str(uuid.uuid4()),
                                seller_offer_reference=f"SO-QUEUE-{n}")  # fmt: skip
        bodies.append((json.dumps(payload).encode(), f"msg_{uuid.uuid4().hex}", payload["id"]))
    resent = [bodies[(i * EVENTS) // DUPLICATES] for i in range(DUPLICATES)]

    statuses = Counter(deliver(body, msg_id) for body, msg_id, _ in [*bodies, *resent])

    assert statuses == {202: EVENTS + DUPLICATES}
    assert Offer.objects.count() == 0  # nothing applied by the receiver
    assert queue.count == EVENTS + DUPLICATES  # a re-send of a waiting event is queued again
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"received"}

    workers = start_workers(queue.name)
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0] * WORKERS, outputs
    assert queue.count == 0
    assert rq.registry.FailedJobRegistry(queue=queue).count == 0, outputs
    assert WebhookEvent.objects.count() == EVENTS
    assert Counter(WebhookEvent.objects.values_list("status", flat=True)) == {"processed": EVENTS}
    assert Offer.objects.filter(status="accepted").count() == EVENTS
    assert set(Offer.objects.values_list("topi_id", flat=True)) == {t for _, _, t in bodies}
    per_offer = Counter(
        StatusChange.objects.filter(target="accepted").values_list("offer__topi_id", flat=True)
    )
    assert set(per_offer.values()) == {1}  # applied once each, never twice
    assert len(per_offer) == EVENTS
    # Both workers took jobs: the once-only guarantee held with two of them at work.
    assert all("Job OK" in output or "Successfully completed" in output for output in outputs), (
        outputs
    )


def test_an_unreachable_queue_answers_503_and_keeps_the_event(settings, caplog):
    with __import__("socket").socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    name = "topi-test-unreachable"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [name]}}
    settings.RQ_QUEUES = {name: {"URL": f"redis://127.0.0.1:{port}/0"}}
    settings.TOPI = {**settings.TOPI, "WEBHOOK_PROCESSING": "task", "TASK_QUEUE": name}
    body = json.dumps(offer_payload("accepted")).encode()

    assert deliver(body, "msg_unreachable") == 503
    assert WebhookEvent.objects.get().status == "received"
    assert "could not enqueue webhook event" in caplog.text
    # topi's retry, once the queue is back, is taken as new work, not answered as a duplicate.
    settings.RQ_QUEUES = {name: {"URL": REDIS_URL}}
    broker()
    assert deliver(body, "msg_unreachable") == 202
    client = redis.Redis.from_url(REDIS_URL)
    assert rq.Queue(name, connection=client).count == 1
    for key in client.scan_iter(f"rq:*{name}*"):
        client.delete(key)
