"""Webhook ingest under load: django-topi's endpoint beside a floor, on PostgreSQL and gunicorn.

What it measures. Signed ``offer.accepted`` deliveries (each an accepted offer with a new id and
reference, so each creates an offer) posted by 8 concurrent senders to two endpoints of one
benchmark-only site (``benchmarks/webhook_site``):

* the floor: a bare view that parses the JSON body and ``get_or_create``s one row by svix-id,
  with no verification: the least any webhook endpoint on this stack costs;
* django-topi's ``django_topi:webhook``: verify the signature, store the WebhookEvent, dedupe by
  svix-id, apply the offer through ``django_topi.sync``.

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
loopback port, ``fsync=off``, so not crash-safe, which a benchmark does not need), gunicorn with
2 sync workers on another free loopback port, and the senders; all of it is stopped and the temp
dir removed at the end, on errors and on Ctrl-C. The process exits 1 if an event was lost or
applied twice or a delivery was not answered 2xx.

    .venv/bin/pip install -e ".[bench]"     # gunicorn
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
DATABASE = "topi_bench"
FLOOR_PATH = "/floor/webhook/"
LOOPBACK = "127.0.0.1"
TARGETS = ("floor", "django-topi")


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


# -- gunicorn ------------------------------------------------------------------------------------


@dataclass
class Server:
    """gunicorn with ``WORKERS`` sync workers serving ``webhook_site`` on loopback."""

    root: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.root / "gunicorn.log"

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
class Round:
    new: Batch
    dup: Batch
    lost: int
    twice: int
    pg_errors: list[str]
    app_warnings: int


@dataclass
class Counts:
    """Per-request SQL of the counting pass: statements through Django's cursors, and
    transactions (each one more BEGIN and COMMIT/ROLLBACK, which psycopg sends itself)."""

    statements: list[int]
    transactions: list[int]
    kinds: Counter[str]

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
        )

    def median(self, *, with_transactions: bool = False) -> float:
        extra = self.transactions if with_transactions else [0] * len(self.transactions)
        return statistics.median(s + 2 * t for s, t in zip(self.statements, extra, strict=True))

    def per_request(self) -> str:
        n = len(self.statements) or 1
        return " ".join(f"{kind} {count / n:g}" for kind, count in self.kinds.most_common())


class Bench:
    def __init__(self, events: int, dups: int, rounds: int, warmup: int, sql_pass: int) -> None:
        self.events, self.dups, self.rounds = events, dups, rounds
        self.warmup, self.sql_pass = warmup, sql_pass
        self.root = Path(tempfile.mkdtemp(prefix="topi-webhook-bench-"))
        self.cluster = Cluster(self.root, free_port())
        self.server = Server(self.root, free_port(), {})
        self.cleaned = False
        atexit.register(self.cleanup)
        self.topi_path = ""
        self.secret = ""
        self.load = os.getloadavg()

    def cleanup(self) -> None:
        if self.cleaned:
            return
        self.cleaned = True
        self.server.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        self.cluster.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def path(self, target: str) -> str:
        return FLOOR_PATH if target == "floor" else self.topi_path

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
        self.server.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "webhook_site.settings",
            "TOPI_BENCH_PG_PORT": str(self.cluster.port),
        }
        self.server.start()
        phase(f"gunicorn up on {LOOPBACK}:{self.server.port} ({WORKERS} sync workers)")

    def one_round(self, target: str, tag: str) -> Round:
        empty_tables()
        new = deliveries(self.events, tag)
        pg_offset, app_offset = self.cluster.log_size(), self.server.log_size()
        sent = send(self.server.port, self.path(target), new, self.secret, SENDERS)
        again = send(
            self.server.port, self.path(target), duplicates(new, self.dups), self.secret, SENDERS
        )
        time.sleep(0.2)  # let the server's log lines land
        lost, twice = (check_floor if target == "floor" else check_topi)(new, sent)
        return Round(
            sent,
            again,
            lost,
            twice,
            self.cluster.errors_since(pg_offset),
            self.server.warnings_since(app_offset),
        )

    def warm_up(self) -> None:
        for target in TARGETS:
            batch = send(
                self.server.port,
                self.path(target),
                deliveries(self.warmup, f"warm-{target}"),
                self.secret,
                SENDERS,
            )
            if batch.failed:
                raise RuntimeError(
                    f"warm-up: {batch.failed} of {self.warmup} {target} deliveries not answered "
                    f"2xx (statuses {Counter(batch.statuses)}); gunicorn log:\n"
                    + self.server.log_tail()
                )
        phase(f"warm-up: {self.warmup} deliveries to each endpoint")

    def count_sql(self) -> dict[str, tuple[Counts, Counts]]:
        """A sequential pass on a gunicorn restarted with the counting middleware."""
        self.server.stop()
        self.server.start(count_queries=True)
        empty_tables()
        counted = {}
        for target in TARGETS:
            path = self.path(target)
            send(self.server.port, path, deliveries(4, f"sqlwarm-{target}"), self.secret, 1)
            new = deliveries(self.sql_pass, f"sql-{target}")
            first = send(self.server.port, path, new, self.secret, 1)
            again = send(self.server.port, path, new, self.secret, 1)
            counted[target] = (Counts.of(first), Counts.of(again))
        phase(f"SQL pass: {self.sql_pass} new + {self.sql_pass} duplicates each, one at a time")
        return counted

    def execute(self) -> int:
        before = code_state()
        self.start()
        self.warm_up()
        results: dict[str, list[Round]] = {target: [] for target in TARGETS}
        for number in range(1, self.rounds + 1):
            for target in TARGETS:
                done = self.one_round(target, f"r{number}-{target}")
                results[target].append(done)
                phase(
                    f"round {number}/{self.rounds} {target}: {self.events} new in "
                    f"{done.new.seconds:.1f} s, {self.dups} duplicates in {done.dup.seconds:.1f} s"
                )
        counted = self.count_sql()
        after = code_state()
        self.cleanup()
        phase("stopped gunicorn and PostgreSQL, removed the temp dir")
        return self.report(results, counted, before, after)

    def report(
        self,
        results: dict[str, list[Round]],
        counted: dict[str, tuple[Counts, Counts]],
        before: tuple[str, str],
        after: tuple[str, str],
    ) -> int:
        def med(target: str, value: Callable[[Round], float]) -> float:
            return statistics.median(value(r) for r in results[target])

        def total(target: str, value: Callable[[Round], int]) -> int:
            return sum(value(r) for r in results[target])

        rows: list[tuple[str, float, float, str]] = []

        def row(label: str, value: Callable[[Round], float], fmt: str = ".1f") -> None:
            floor, topi = med("floor", value), med("django-topi", value)
            rows.append((label, floor, topi, fmt))

        row("new events: req/s", lambda r: r.new.rate)
        row("new events: p50 latency, ms", lambda r: r.new.percentile(50))
        row("new events: p99 latency, ms", lambda r: r.new.percentile(99))
        row("duplicates: req/s", lambda r: r.dup.rate)
        row("duplicates: p50 latency, ms", lambda r: r.dup.percentile(50))
        row("duplicates: p99 latency, ms", lambda r: r.dup.percentile(99))
        for label, which, full in (
            ("SQL statements per new event", 0, False),
            ("  incl. BEGIN/COMMIT", 0, True),
            ("SQL statements per duplicate", 1, False),
            ("  incl. BEGIN/COMMIT", 1, True),
        ):
            rows.append(
                (
                    label,
                    counted["floor"][which].median(with_transactions=full),
                    counted["django-topi"][which].median(with_transactions=full),
                    "g",
                )
            )
        counts: list[tuple[str, int, int]] = [
            (
                "not answered 2xx (new + dup)",
                total("floor", lambda r: r.new.failed + r.dup.failed),
                total("django-topi", lambda r: r.new.failed + r.dup.failed),
            ),
            (
                "events lost",
                total("floor", lambda r: r.lost),
                total("django-topi", lambda r: r.lost),
            ),
            (
                "events applied twice",
                total("floor", lambda r: r.twice),
                total("django-topi", lambda r: r.twice),
            ),
            (
                "PostgreSQL ERROR: lines",
                total("floor", lambda r: len(r.pg_errors)),
                total("django-topi", lambda r: len(r.pg_errors)),
            ),
            (
                "app log WARNING+ lines",
                total("floor", lambda r: r.app_warnings),
                total("django-topi", lambda r: r.app_warnings),
            ),
        ]

        out: list[str] = []
        out.append(
            f"webhook ingest, floor vs django-topi: {self.rounds} round(s) of {self.events} new + "
            f"{self.dups} duplicate deliveries per endpoint, {SENDERS} senders; medians of rounds"
        )
        out.append(
            f"setup: PostgreSQL {self.cluster.version()} private cluster, fsync=off (not crash-"
            f"safe); gunicorn {gunicorn_version()}, {WORKERS} sync workers; senders on the same "
            f"{os.cpu_count()}-CPU machine (load average {self.load[0]:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end); loopback only"
        )
        out.append(f"code: {before[0]}; django_topi/ {before[1]}")
        if after != before:
            out.append(f"  changed during the run! at the end: {after[0]}; django_topi/ {after[1]}")
        out.append("")
        out.append(f"{'':36}{'floor':>10}{'django-topi':>13}{'topi÷floor':>12}")
        for label, floor, topi, fmt in rows:
            ratio = f"{topi / floor:.2f}" if floor else "-"
            out.append(f"{label:36}{floor:>10{fmt}}{topi:>13{fmt}}{ratio:>12}")
        out.append("totals over all rounds:")
        for label, floor_count, topi_count in counts:
            out.append(f"{'  ' + label:36}{floor_count:>10}{topi_count:>13}")
        out.append("")
        out.append(
            "SQL: counted in a separate sequential pass, gunicorn restarted with the middleware "
            "webhook_site.queries.CountQueries:"
        )
        out.append(
            "  statements through connection.execute_wrapper (SAVEPOINTs included); 'incl. "
            "BEGIN/COMMIT' adds 2 per transaction committed or rolled back. Per request:"
        )
        for target in TARGETS:
            new, dup = counted[target]
            out.append(f"  {target}: new {new.per_request()}; duplicate {dup.per_request()}")
        for target in TARGETS:
            kinds = Counter(error_kind(line) for r in results[target] for line in r.pg_errors)
            for kind, n in kinds.most_common(5):
                out.append(f"PostgreSQL ERROR in {target} rounds, {n}x: {kind}")
        print("\n".join(out), flush=True)

        bad = sum(c[1] + c[2] for c in counts[:3])
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
