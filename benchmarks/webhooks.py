"""Webhook ingest under load: django-topi's endpoint beside a floor, on PostgreSQL and gunicorn.

What it measures. Signed ``offer.accepted`` deliveries (each an accepted offer with a new id and
reference, so each creates an offer) posted by 8 concurrent senders to two endpoints of one
benchmark-only site (``benchmarks/webhook_site``):

* the floor: a bare view that parses the JSON body and ``get_or_create``s one row by svix-id,
  with no verification: the least any webhook endpoint on this stack costs;
* django-topi's ``django_topi:webhook``: verify the signature, store the WebhookEvent, dedupe by
  svix-id, apply the offer through ``django_topi.sync``;
* the same endpoint in task mode (``WEBHOOK_PROCESSING = "task"``, a second gunicorn): verify,
  store, enqueue on Redis with django-tasks-rq, answer 202. Its round ends with a drain: 2
  ``manage.py rqworker --burst`` processes apply what was queued (the re-sends too, each queued
  again), and the drain rate is the events applied per second between the first and the last
  one applied. The workers start only once the receiving is done, as if on other machines, so
  they do not compete with the receiver for this machine's CPUs.

Per round and endpoint: a fresh set of N new deliveries, then D identical re-sends (same body,
same headers, same svix-id) of already answered ones. Rounds alternate floor, django-topi, floor,
... and the tables are emptied before each; the table shows medians over the rounds: req/s and
p50/p99 latency (client side, queueing included) for new deliveries and for duplicates. Then:

* SQL per request, from a separate sequential pass on a gunicorn started with a counting
  middleware (``webhook_site/queries.py``: ``connection.execute_wrapper`` plus a count of
  commits/rollbacks, sent back as ``X-Queries``/``X-Transactions`` headers);
* events lost: new deliveries answered 2xx whose WebhookEvent (by svix-id) is missing or whose
  offer is missing or not ``accepted`` (floor: whose row is missing);
* events applied twice: offers with more than one StatusChange to ``accepted``, or svix-ids with
  more than one WebhookEvent;
* ``ERROR:`` lines the PostgreSQL cluster logged during each endpoint's rounds.

Everything runs on this machine: a private PostgreSQL cluster (``initdb`` in a temp dir, a free
loopback port, ``fsync=off``, so not crash-safe, which a benchmark does not need), a private
Redis (``redis-server`` without persistence on a free loopback port; without ``redis-server``
the task-mode row is left out, and said so), two gunicorns with 2 sync workers each on other
free loopback ports (only one of them under load at a time), and the senders; all of it is
stopped and the temp dir removed at the end, on errors and on Ctrl-C. The process exits 1 if an event was lost or
applied twice or a delivery was not answered 2xx.

    .venv/bin/pip install -e ".[bench,rq]"     # gunicorn, django-tasks-rq
    .venv/bin/python benchmarks/webhooks.py [--quick] [--events N] [--duplicates D] [--rounds R]

``--quick`` (1 round, 50 events, 10 duplicates, warm-up 10) is a smoke run for CI.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from django_topi.testing import offer_payload
from django_topi.webhooks.verification import signed_headers

SENDERS = 8
WORKERS = 2
TASK_WORKERS = 2
DATABASE = "topi_bench"
FLOOR_PATH = "/floor/webhook/"
LOOPBACK = "127.0.0.1"
TASK = "topi task mode"
TARGETS = ("floor", "django-topi", TASK)
QUEUE = "topi-webhooks"  # webhook_site.settings.TASK_QUEUE


STARTED = time.monotonic()


def phase(message: str) -> None:
    """One line per phase, on stderr, with the time since the start; results go to stdout."""
    print(f"-- [{time.monotonic() - STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def run(args: Sequence[str], *, user: str | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(  # noqa: S603  (our own arguments, no shell)
        list(args), user=user, cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return done.stdout


# -- PostgreSQL ----------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)],
    )
    if not found:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster in ``root``, listening on loopback only."""

    root: Path
    port: int
    bindir: Path = field(default_factory=postgres_bindir)
    #: initdb refuses to run as root: then the cluster runs as the ``postgres`` user.
    user: str | None = "postgres" if os.geteuid() == 0 else None
    started: bool = False

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgresql.log"

    def version(self) -> str:
        text = run([str(self.bindir / "postgres"), "--version"])
        found = re.search(r"\d+(\.\d+)?", text)
        return found.group(0) if found else text.strip()

    def start(self) -> None:
        if self.user:
            import pwd

            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            user=self.user,
            cwd=self.root,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\n"
                f"listen_addresses = '{LOOPBACK}'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\n"
                "log_line_prefix = '%m [%p] '\n"
                "logging_collector = off\n"
            )
        self.started = True
        subprocess.run(  # noqa: S603  (our own arguments, no shell)
            [
                str(self.bindir / "pg_ctl"),
                "start",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
            ],
            user=self.user,
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the cluster in order
            check=True,
        )
        import psycopg

        with psycopg.connect(
            host=LOOPBACK, port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        stop = [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"]
        try:
            run([*stop, "-t", "30"], user=self.user, cwd=self.root)
        except RuntimeError:
            pid_file = self.data / "postmaster.pid"
            if pid_file.exists():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def errors_since(self, offset: int) -> list[str]:
        """The ``ERROR:`` lines logged after ``offset`` bytes."""
        with self.log.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if "ERROR:" in line]


def error_kind(line: str) -> str:
    """An ERROR line's message without its time, pid or quoted values (no customer data)."""
    message = line.split("ERROR:", 1)[1].strip()
    return re.sub(r"'[^']*'", "'…'", message)


# -- Redis ---------------------------------------------------------------------------------------


@dataclass
class Redis:
    """A throwaway Redis in ``root`` on loopback, keeping nothing on disk."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    @staticmethod
    def binary() -> str | None:
        return shutil.which("redis-server")

    def version(self) -> str:
        found = re.search(r"v=(\S+)", run([self.binary() or "redis-server", "--version"]))
        return found.group(1) if found else "?"

    def start(self) -> None:
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own arguments, no shell)
                [self.binary() or "redis-server", "--port", str(self.port), "--bind", LOOPBACK,
                 "--save", "", "--appendonly", "no", "--dir", str(self.root)],
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.client().ping():
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not answer within 30 s")

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# -- gunicorn ------------------------------------------------------------------------------------


@dataclass
class Server:
    """gunicorn with ``WORKERS`` sync workers serving ``webhook_site`` on loopback."""

    root: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    name: str = "gunicorn"

    @property
    def log(self) -> Path:
        return self.root / f"{self.name}.log"

    def start(self, *, count_queries: bool = False) -> None:
        env = {**self.env, "TOPI_BENCH_COUNT_QUERIES": "1" if count_queries else "0"}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own arguments, no shell)
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "webhook_site.wsgi:application",
                    "--workers",
                    str(WORKERS),
                    "--worker-class",
                    "sync",
                    "--bind",
                    f"{LOOPBACK}:{self.port}",
                    "--pythonpath",
                    str(HERE),
                    "--log-level",
                    "warning",
                    "--graceful-timeout",
                    "5",
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see its log:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
                connection.request("HEAD", "/topi/webhook/")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing is in flight
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own group: master and workers
            process.wait(timeout=5)

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def warnings_since(self, offset: int) -> int:
        """Lines at WARNING or above that the app (or gunicorn) logged after ``offset``."""
        with self.log.open("rb") as log:
            log.seek(offset)
            lines = log.read().decode("utf-8", "replace").splitlines()
        return sum(1 for line in lines if re.match(r"(WARNING|ERROR|CRITICAL)\b", line))

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


# -- deliveries ----------------------------------------------------------------------------------


@dataclass
class Delivery:
    topi_id: str
    svix_id: str
    body: bytes
    #: Signed when first sent, so a long round never outlives the timestamp tolerance; a
    #: duplicate re-sends these very headers.
    headers: dict[str, str] | None = None


def deliveries(count: int, tag: str) -> list[Delivery]:
    made = []
    for n in range(count):
        topi_id = str(uuid.uuid4())
        payload = offer_payload(
            "accepted", id=topi_id, seller_offer_reference=f"SO-BENCH-{tag}-{n}"
        )
        made.append(Delivery(topi_id, f"msg_{uuid.uuid4().hex}", json.dumps(payload).encode()))
    return made


def duplicates(originals: Sequence[Delivery], count: int) -> list[Delivery]:
    """``count`` re-sends spread evenly over ``originals`` (the same objects: same headers)."""
    return [originals[(i * len(originals)) // count] for i in range(count)] if count else []


@dataclass
class Batch:
    seconds: float
    statuses: list[int]
    latencies: list[float]
    headers: list[dict[str, str]]

    @property
    def rate(self) -> float:
        return len(self.statuses) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000

    @property
    def failed(self) -> int:
        return sum(1 for status in self.statuses if not 200 <= status < 300)


def send(port: int, path: str, batch: Sequence[Delivery], secret: str, senders: int) -> Batch:
    """Post every delivery in ``batch`` with ``senders`` threads on keep-alive connections
    (gunicorn's sync workers close each one after its answer; http.client then reconnects)."""
    statuses = [0] * len(batch)
    latencies = [0.0] * len(batch)
    answered: list[dict[str, str]] = [{} for _ in batch]
    upcoming = iter(range(len(batch)))
    lock = threading.Lock()

    def sender() -> None:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=120)
        while True:
            with lock:
                index = next(upcoming, None)
            if index is None:
                break
            delivery = batch[index]
            if delivery.headers is None:
                delivery.headers = {
                    "Content-Type": "application/json",
                    **signed_headers(secret, delivery.body, msg_id=delivery.svix_id),
                }
            start = time.perf_counter()
            try:
                connection.request("POST", path, body=delivery.body, headers=delivery.headers)
                response = connection.getresponse()
                response.read()
                statuses[index] = response.status
                answered[index] = dict(response.getheaders())
            except (OSError, http.client.HTTPException):
                connection.close()  # status stays 0: counted as not answered 2xx
            latencies[index] = time.perf_counter() - start
        connection.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(senders)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Batch(time.perf_counter() - start, statuses, latencies, answered)


# -- the database, seen from here ----------------------------------------------------------------


def setup_django(port: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "webhook_site.settings"
    os.environ["TOPI_BENCH_PG_PORT"] = str(port)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def empty_tables() -> None:
    from django.apps import apps
    from django.db import connection

    models = [
        *apps.get_app_config("django_topi").get_models(),
        *apps.get_app_config("bench_floor").get_models(),
    ]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def check_floor(new: Sequence[Delivery], batch: Batch) -> tuple[int, int]:
    """(lost, applied twice) for the floor: a row per answered svix-id, never two."""
    from webhook_site.floor.models import FloorEvent

    answered = [d.svix_id for d, s in zip(new, batch.statuses, strict=True) if 200 <= s < 300]
    rows = Counter(
        FloorEvent.objects.filter(event_id__in=answered).values_list("event_id", flat=True)
    )
    return sum(1 for svix_id in answered if not rows[svix_id]), sum(
        1 for n in rows.values() if n > 1
    )


def check_topi(new: Sequence[Delivery], batch: Batch) -> tuple[int, int]:
    """(lost, applied twice) for django-topi, as the module docstring defines them."""
    from django.db.models import Count

    from django_topi.models import Offer, StatusChange, WebhookEvent

    answered = [d for d, s in zip(new, batch.statuses, strict=True) if 200 <= s < 300]
    events = Counter(
        WebhookEvent.objects.filter(svix_id__in=[d.svix_id for d in new]).values_list(
            "svix_id", flat=True
        )
    )
    accepted = set(
        Offer.objects.filter(topi_id__in=[d.topi_id for d in answered], status="accepted")
        .values_list("topi_id", flat=True)
        .iterator()
    )
    lost = sum(1 for d in answered if not events[d.svix_id] or d.topi_id not in accepted)
    twice = set(
        StatusChange.objects.filter(offer__topi_id__in=[d.topi_id for d in new], target="accepted")
        .values("offer__topi_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("offer__topi_id", flat=True)
    )
    twice |= {d.topi_id for d in new if events[d.svix_id] > 1}
    return lost, len(twice)


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Drain:
    """Task mode's second half: the workers applying what the receiver queued."""

    events: int
    jobs: int
    #: From the first event applied to the last (``processed_at``), so worker start-up is out.
    seconds: float
    #: From starting the workers to their exit, start-up included.
    wall: float
    failed_jobs: int
    left_in_queue: int
    exit_codes: list[int]

    @property
    def rate(self) -> float:
        return (self.events - 1) / self.seconds if self.seconds > 0 and self.events > 1 else 0.0

    @property
    def bad(self) -> int:
        return self.failed_jobs + self.left_in_queue + sum(1 for c in self.exit_codes if c)


@dataclass
class Round:
    new: Batch
    dup: Batch
    lost: int
    twice: int
    pg_errors: list[str]
    app_warnings: int
    drain: Drain | None = None


@dataclass
class Counts:
    """Per-request SQL of the counting pass: statements through Django's cursors, and
    transactions (each one more BEGIN and COMMIT/ROLLBACK, which psycopg sends itself)."""

    statements: list[int]
    transactions: list[int]
    kinds: Counter[str]
    trips: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, batch: Batch) -> Counts:
        kinds: Counter[str] = Counter()
        for headers in batch.headers:
            for part in headers.get("X-Query-Kinds", "").split():
                kind, _, n = part.partition("=")
                kinds[kind] += int(n)
        return cls(
            [int(h.get("X-Queries", -1)) for h in batch.headers],
            [int(h.get("X-Transactions", -1)) for h in batch.headers],
            kinds,
            [int(h.get("X-Round-Trips", -1)) for h in batch.headers],
        )

    def median(self, *, with_transactions: bool = False, trips: bool = False) -> float:
        extra = self.transactions if with_transactions else [0] * len(self.transactions)
        counted = self.trips if trips else self.statements
        return statistics.median(s + 2 * t for s, t in zip(counted, extra, strict=True))

    def per_request(self) -> str:
        n = len(self.statements) or 1
        return " ".join(f"{kind} {count / n:g}" for kind, count in self.kinds.most_common())


class Bench:
    def __init__(self, events: int, dups: int, rounds: int, warmup: int, sql_pass: int) -> None:
        self.events, self.dups, self.rounds = events, dups, rounds
        self.warmup, self.sql_pass = warmup, sql_pass
        self.root = Path(tempfile.mkdtemp(prefix="topi-webhook-bench-"))
        self.cluster = Cluster(self.root, free_port())
        self.redis = Redis(self.root, free_port()) if Redis.binary() else None
        self.server = Server(self.root, free_port(), {})
        self.task_server = Server(self.root, free_port(), {}, name="gunicorn-task")
        self.targets = TARGETS if self.redis else TARGETS[:2]
        self.workers: list[subprocess.Popen[bytes]] = []
        self.cleaned = False
        atexit.register(self.cleanup)
        self.topi_path = ""
        self.secret = ""
        self.load = os.getloadavg()

    def cleanup(self) -> None:
        if self.cleaned:
            return
        self.cleaned = True
        for worker in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
        self.server.stop()
        self.task_server.stop()
        if self.redis:
            self.redis.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        self.cluster.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def path(self, target: str) -> str:
        return FLOOR_PATH if target == "floor" else self.topi_path

    def server_for(self, target: str) -> Server:
        return self.task_server if target == TASK else self.server

    def start(self) -> None:
        self.cluster.start()
        setup_django(self.cluster.port)
        phase(
            f"PostgreSQL {self.cluster.version()} up on {LOOPBACK}:{self.cluster.port} "
            f"(private cluster in {self.root}, fsync=off), migrated"
        )
        from django.conf import settings
        from django.urls import reverse

        self.topi_path = reverse("django_topi:webhook")
        self.secret = settings.WEBHOOK_SECRET
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webhook_site.settings",
            "TOPI_BENCH_PG_PORT": str(self.cluster.port),
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        }
        if self.redis:
            self.redis.start()
            env["TOPI_BENCH_REDIS_URL"] = self.redis.url
            phase(f"Redis {self.redis.version()} up on {LOOPBACK}:{self.redis.port}")
        else:
            phase("no redis-server on this machine: the task-mode row is left out")
        self.server.env = env
        self.server.start()
        phase(f"gunicorn up on {LOOPBACK}:{self.server.port} ({WORKERS} sync workers)")
        if self.redis:
            self.task_server.env = {**env, "TOPI_BENCH_PROCESSING": "task"}
            self.task_server.start()
            phase(f"gunicorn in task mode up on {LOOPBACK}:{self.task_server.port}")

    def drain(self, events: int, jobs: int) -> Drain:
        """Start ``TASK_WORKERS`` burst workers, wait until they have emptied the queue."""
        import rq
        from django.db.models import Max, Min

        from django_topi.models import WebhookEvent

        assert self.redis is not None
        command = [
            sys.executable, "-m", "django", "rqworker", "--burst",
            "--job-class", "django_tasks_rq.Job", "--worker-class", "rq.worker.SimpleWorker",
            QUEUE,
        ]  # fmt: skip
        started = time.monotonic()
        with (self.root / "rqworker.log").open("ab") as log:
            self.workers = [
                subprocess.Popen(command, env=self.task_server.env, cwd=REPO,  # noqa: S603
                                 stdout=log, stderr=log, start_new_session=True)
                for _ in range(TASK_WORKERS)
            ]  # fmt: skip
            codes = [worker.wait(timeout=3600) for worker in self.workers]
        wall = time.monotonic() - started
        self.workers = []
        span = WebhookEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
        seconds = (
            (span["last"] - span["first"]).total_seconds() if span["first"] and span["last"] else 0
        )
        client = self.redis.client()
        return Drain(
            events,
            jobs,
            seconds,
            wall,
            rq.registry.FailedJobRegistry(QUEUE, connection=client).count,
            rq.Queue(QUEUE, connection=client).count,
            codes,
        )

    def one_round(self, target: str, tag: str) -> Round:
        empty_tables()
        if target == TASK and self.redis:
            self.redis.client().flushdb()
        server = self.server_for(target)
        new = deliveries(self.events, tag)
        pg_offset, app_offset = self.cluster.log_size(), server.log_size()
        sent = send(server.port, self.path(target), new, self.secret, SENDERS)
        again = send(
            server.port, self.path(target), duplicates(new, self.dups), self.secret, SENDERS
        )
        drained = None
        if target == TASK:
            drained = self.drain(len(new), len(new) + self.dups)
        time.sleep(0.2)  # let the server's log lines land
        lost, twice = (check_floor if target == "floor" else check_topi)(new, sent)
        return Round(
            sent,
            again,
            lost,
            twice,
            self.cluster.errors_since(pg_offset),
            server.warnings_since(app_offset),
            drained,
        )

    def warm_up(self) -> None:
        for target in self.targets:
            server = self.server_for(target)
            batch = send(
                server.port,
                self.path(target),
                deliveries(self.warmup, f"warm-{target}"),
                self.secret,
                SENDERS,
            )
            if batch.failed:
                raise RuntimeError(
                    f"warm-up: {batch.failed} of {self.warmup} {target} deliveries not answered "
                    f"2xx (statuses {Counter(batch.statuses)}); gunicorn log:\n" + server.log_tail()
                )
            if target == TASK:
                self.drain(self.warmup, self.warmup)
        phase(f"warm-up: {self.warmup} deliveries to each endpoint")

    def count_sql(self) -> dict[str, tuple[Counts, Counts]]:
        """A sequential pass on the gunicorns restarted with the counting middleware."""
        for server in {id(self.server_for(t)): self.server_for(t) for t in self.targets}.values():
            server.stop()
            server.start(count_queries=True)
        empty_tables()
        counted = {}
        for target in self.targets:
            path, port = self.path(target), self.server_for(target).port
            send(port, path, deliveries(4, f"sqlwarm-{target}"), self.secret, 1)
            new = deliveries(self.sql_pass, f"sql-{target}")
            first = send(port, path, new, self.secret, 1)
            again = send(port, path, new, self.secret, 1)
            counted[target] = (Counts.of(first), Counts.of(again))
        if self.redis:
            self.redis.client().flushdb()
        phase(f"SQL pass: {self.sql_pass} new + {self.sql_pass} duplicates each, one at a time")
        return counted

    def execute(self) -> int:
        before = code_state()
        self.start()
        self.warm_up()
        results: dict[str, list[Round]] = {target: [] for target in self.targets}
        for number in range(1, self.rounds + 1):
            for target in self.targets:
                done = self.one_round(target, f"r{number}-{target}")
                results[target].append(done)
                drained = (
                    f"; drained by {TASK_WORKERS} workers in {done.drain.wall:.1f} s"
                    if done.drain
                    else ""
                )
                phase(
                    f"round {number}/{self.rounds} {target}: {self.events} new in "
                    f"{done.new.seconds:.1f} s, {self.dups} duplicates in {done.dup.seconds:.1f} s"
                    + drained
                )
        counted = self.count_sql()
        after = code_state()
        versions = (self.cluster.version(), self.redis.version() if self.redis else "")
        self.cleanup()
        phase("stopped gunicorn, the workers, Redis and PostgreSQL, removed the temp dir")
        return self.report(results, counted, before, after, versions)

    def report(
        self,
        results: dict[str, list[Round]],
        counted: dict[str, tuple[Counts, Counts]],
        before: tuple[str, str],
        after: tuple[str, str],
        versions: tuple[str, str],
    ) -> int:
        targets = self.targets
        others = targets[1:]

        def med(target: str, value: Callable[[Round], float]) -> float:
            return statistics.median(value(r) for r in results[target])

        def total(target: str, value: Callable[[Round], int]) -> int:
            return sum(value(r) for r in results[target])

        rows: list[tuple[str, list[float], str]] = []

        def row(label: str, value: Callable[[Round], float], fmt: str = ".1f") -> None:
            rows.append((label, [med(t, value) for t in targets], fmt))

        row("new events: req/s", lambda r: r.new.rate)
        row("new events: p50 latency, ms", lambda r: r.new.percentile(50))
        row("new events: p99 latency, ms", lambda r: r.new.percentile(99))
        row("duplicates: req/s", lambda r: r.dup.rate)
        row("duplicates: p50 latency, ms", lambda r: r.dup.percentile(50))
        row("duplicates: p99 latency, ms", lambda r: r.dup.percentile(99))
        for label, which, full, trips in (
            ("SQL statements per new event", 0, False, False),
            ("  incl. BEGIN/COMMIT", 0, True, False),
            ("  round trips, incl. BEGIN/COMMIT", 0, True, True),
            ("SQL statements per duplicate", 1, False, False),
            ("  incl. BEGIN/COMMIT", 1, True, False),
            ("  round trips, incl. BEGIN/COMMIT", 1, True, True),
        ):
            medians = [
                counted[t][which].median(with_transactions=full, trips=trips) for t in targets
            ]
            rows.append((label, medians, "g"))
        counts: list[tuple[str, list[int]]] = [
            ("not answered 2xx (new + dup)",
             [total(t, lambda r: r.new.failed + r.dup.failed) for t in targets]),
            ("events lost", [total(t, lambda r: r.lost) for t in targets]),
            ("events applied twice", [total(t, lambda r: r.twice) for t in targets]),
            ("PostgreSQL ERROR: lines", [total(t, lambda r: len(r.pg_errors)) for t in targets]),
            ("app log WARNING+ lines", [total(t, lambda r: r.app_warnings) for t in targets]),
        ]  # fmt: skip

        out: list[str] = []
        out.append(
            f"webhook ingest, floor vs django-topi: {self.rounds} round(s) of {self.events} new + "
            f"{self.dups} duplicate deliveries per endpoint, {SENDERS} senders; medians of rounds"
        )
        redis_part = f"Redis {versions[1]} (no persistence); " if versions[1] else ""
        out.append(
            f"setup: PostgreSQL {versions[0]} private cluster, fsync=off (not crash-safe); "
            f"{redis_part}gunicorn {gunicorn_version()}, {WORKERS} sync workers; senders on the "
            f"same {os.cpu_count()}-CPU machine (load average {self.load[0]:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end); loopback only"
        )
        out.append(f"code: {before[0]}; django_topi/ {before[1]}")
        if after != before:
            out.append(f"  changed during the run! at the end: {after[0]}; django_topi/ {after[1]}")
        out.append("")
        out.append(f"{'':36}{'floor':>10}" + "".join(f"{t:>17}{'÷floor':>8}" for t in others))
        for label, values, fmt in rows:
            line = f"{label:36}{values[0]:>10{fmt}}"
            for value in values[1:]:
                ratio = f"{value / values[0]:.2f}" if values[0] else "-"
                line += f"{value:>17{fmt}}{ratio:>8}"
            out.append(line)
        out.append("totals over all rounds:")
        for label, values in counts:
            out.append(
                f"{'  ' + label:36}{values[0]:>10}" + "".join(f"{v:>17}{'':8}" for v in values[1:])
            )
        drains = [r.drain for r in results.get(TASK, []) if r.drain]
        if drains:
            out.append("")
            out.append(
                f"task mode, the drain: {TASK_WORKERS} worker processes (manage.py rqworker "
                f"--burst, SimpleWorker) applying {self.events} events from {self.events + self.dups}"
                " queued jobs (a re-send of a waiting event is queued again)"
            )
            out.append(
                f"  applied: {statistics.median(d.rate for d in drains):.1f} events/s (median of "
                "rounds; first to last applied); workers' wall time "
                f"{statistics.median(d.wall for d in drains):.1f} s incl. start-up"
            )
            out.append(
                f"  failed jobs: {sum(d.failed_jobs for d in drains)}; jobs left in the queue: "
                f"{sum(d.left_in_queue for d in drains)}; workers that exited non-zero: "
                f"{sum(1 for d in drains for c in d.exit_codes if c)}"
            )
        out.append("")
        out.append(
            "SQL: counted in a separate sequential pass, gunicorn restarted with the middleware "
            "webhook_site.queries.CountQueries:"
        )
        out.append(
            "  statements through connection.execute_wrapper (SAVEPOINTs included; statements "
            "sent together in one execute count one each, and one round trip); 'incl. "
            "BEGIN/COMMIT' adds 2 per transaction committed or rolled back. Per request:"
        )
        for target in targets:
            new, dup = counted[target]
            out.append(f"  {target}: new {new.per_request()}; duplicate {dup.per_request()}")
        for target in targets:
            kinds = Counter(error_kind(line) for r in results[target] for line in r.pg_errors)
            for kind, n in kinds.most_common(5):
                out.append(f"PostgreSQL ERROR in {target} rounds, {n}x: {kind}")
        print("\n".join(out), flush=True)

        bad = sum(sum(values) for _, values in counts[:3]) + sum(d.bad for d in drains)
        return 1 if bad else 0


def code_state() -> tuple[str, str]:
    """The git HEAD and whether django_topi/ has uncommitted changes (and a digest of them)."""
    try:
        head = run(["git", "-C", str(REPO), "log", "--oneline", "-1"]).strip()
        status = run(["git", "-C", str(REPO), "status", "--short", "django_topi"]).split("\n")
        diff = run(["git", "-C", str(REPO), "diff", "HEAD", "--", "django_topi"])
    except (RuntimeError, OSError):
        return "git unavailable", "unknown"
    changed = [line for line in status if line.strip()]
    if not changed:
        return head[:72], "clean"
    digest = uuid.uuid5(uuid.NAMESPACE_OID, diff).hex[:8]
    return head[:72], f"has uncommitted changes ({len(changed)} files, diff {digest})"


def gunicorn_version() -> str:
    import gunicorn

    return str(gunicorn.__version__)


def on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, 50 + 10")
    parser.add_argument("--events", type=int, help="new deliveries per round (3000)")
    parser.add_argument("--duplicates", type=int, help="re-sent deliveries per round (600)")
    parser.add_argument("--rounds", type=int, help="rounds per endpoint (3)")
    parsed = parser.parse_args(argv)
    quick = parsed.quick
    defaults: dict[str, Any] = {
        "events": 50 if quick else 3000,
        "duplicates": 10 if quick else 600,
        "rounds": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(parsed, name) is None:
            setattr(parsed, name, value)
    parsed.warmup = 10 if quick else 200
    parsed.sql_pass = 5 if quick else 20
    if parsed.events < 1 or parsed.duplicates < 0 or parsed.rounds < 1:
        parser.error("--events and --rounds must be at least 1, --duplicates at least 0")
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    args = options(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    bench = Bench(args.events, args.duplicates, args.rounds, args.warmup, args.sql_pass)
    try:
        return bench.execute()
    except KeyboardInterrupt:
        phase("interrupted")
        return 130
    finally:
        bench.cleanup()


if __name__ == "__main__":
    sys.exit(main())
