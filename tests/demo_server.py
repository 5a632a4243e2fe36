"""The example project as `make demo` runs it: prepared with its commands, served on a free
loopback port by `runserver`, with the simulated topi in the same process."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
#: What `make demo` runs before it serves.
PREPARE = (["migrate", "--noinput"], ["seed_demo"], ["topi_sync_shipping_methods"],
           ["topi_sync_catalog"])  # fmt: skip


def demo_env(database: Path, address: str = "127.0.0.1:8000") -> dict[str, str]:
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith("TOPI_")},
        "DEMO_DATABASE": str(database),
        "DEMO_ADDR": address,
        "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
    }


def manage(
    *args: str, database: Path, address: str = "127.0.0.1:8000"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=demo_env(database, address),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Demo:
    base: str
    database: Path

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the demo's database (the shop's and the simulated topi's tables)."""
        with sqlite3.connect(self.database, timeout=20) as connection:
            return connection.execute(sql, params).fetchall()

    def wait_for(self, sql: str, *params: Any, expected: Any = None, seconds: float = 10) -> Any:
        """The first row of ``sql`` once it is (or, without ``expected``, once there is one):
        webhooks come from the simulated topi's worker, about a second later."""
        deadline = time.monotonic() + seconds
        found: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline:
            found = self.rows(sql, *params)
            if found and (expected is None or found[0] == expected):
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"waited {seconds}s for {sql} {params}: {found}")

    def statuses(self, kind: str, reference: str) -> list[str]:
        """The statuses of the shop's offers (``kind`` "offer") or orders ("order") for a cart
        reference, oldest first."""
        sql = f"SELECT status FROM django_topi_{kind} WHERE seller_offer_reference = ? ORDER BY id"  # noqa: S608  (kind is the test's own word)
        return [status for (status,) in self.rows(sql, reference)]

    def wait_for_status(self, kind: str, reference: str, status: str) -> None:
        """Until the newest offer or order of ``reference`` has ``status`` (webhooks come from
        the simulated topi's worker thread)."""
        sql = (f"SELECT status FROM django_topi_{kind} WHERE seller_offer_reference = ? "  # noqa: S608
               "ORDER BY id DESC LIMIT 1")  # fmt: skip
        self.wait_for(sql, reference, expected=(status,))


@contextmanager
def serve(directory: Path) -> Iterator[Demo]:
    """Prepare and serve the example project, as `make demo` does, until the block ends."""
    database, port = directory / "db.sqlite3", free_port()
    address = f"127.0.0.1:{port}"
    for command in PREPARE:
        result = manage(*command, database=database, address=address)
        assert result.returncode == 0, result.stderr
    log = (directory / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", address, "--noreload"],
        cwd=EXAMPLE,
        env=demo_env(database, address),
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield Demo(base=f"http://{address}", database=database)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
