"""Peak memory of ``topi_sync orders`` over many orders, against a local fake topi.

Prints, for each order count, the orders seen, the requests topi served and the peak memory the
run allocated (tracemalloc), first with every order new (each one fetched and written), then a
second run with nothing changed (list pages only). Flat memory means the peak does not grow
with the order count.

    .venv/bin/python benchmarks/sync_memory.py            # 1,000 and 10,000 orders
    .venv/bin/python benchmarks/sync_memory.py 500 5000   # other counts
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
import tracemalloc
from typing import Any
from urllib.parse import parse_qs, urlsplit

import fake_topi  # sets up Django first
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from django_topi.models import Asset, Order, StatusChange
from django_topi.testing import order_payload

PAGE_SIZE = 100
TEMPLATE = order_payload("created")


def order_id(n: int) -> str:
    return f"order-{n:09d}"


class FakeTopi(fake_topi.FakeTopi):
    total_rows = 0
    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        parts = urlsplit(self.path)
        if parts.path.endswith("/v1/orders/paginated"):
            self._json(self._page(parse_qs(parts.query)))
            return
        match = re.search(r"/v1/orders/order-(\d+)$", parts.path)
        self._json(self._order(int(match.group(1))) if match else {})

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        start = int(query["id_gt"][0].rsplit("-", 1)[-1]) + 1 if "id_gt" in query else 0
        limit = int(query["limit"][0])
        rows = [
            {"id": order_id(n), "offer_id": f"offer-{n}", "created_at": "2026-11-01T10:00:00Z",
             "status": "confirmed", "seller_offer_reference": f"SO-{n}", "agent_name": "",
             "company_name": "Unicorn Corp", "full_name": "Alice Example"}
            for n in range(start, min(start + limit, type(self).total_rows))
        ]  # fmt: skip
        total = {"page_size": limit, "total_count": type(self).total_rows}
        return {"orders": rows, "pagination": total}

    def _order(self, n: int) -> dict[str, Any]:
        order = json.loads(json.dumps(TEMPLATE))
        order.update(id=order_id(n), status="confirmed", seller_offer_reference=f"SO-{n}",
                     offer_id=f"offer-{n}")  # fmt: skip
        for position, asset in enumerate(order["assets"]):
            asset["id"] = f"{order_id(n)}-a{position}"
        return order


def measure(base: str) -> tuple[int, int, float, float]:
    """(orders seen, requests served, seconds, peak KiB) of one ``topi_sync orders``."""
    FakeTopi.served = 0
    out = io.StringIO()
    topi = {"ENVIRONMENT": "sandbox", "CLIENT_ID": "bench", "CLIENT_SECRET": "bench",
            "API_BASE_URL": base, "TOKEN_URL": f"{base}/oauth2/token"}  # fmt: skip
    with override_settings(TOPI=topi):
        tracemalloc.start()
        started = time.perf_counter()
        call_command("topi_sync", "orders", "--page-size", str(PAGE_SIZE), stdout=out)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    seen = int(re.search(r"orders: ([\d,]+) seen", out.getvalue()).group(1).replace(",", ""))
    return seen, FakeTopi.served, elapsed, peak / 1024


def main() -> None:
    counts = [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000]
    call_command("migrate", verbosity=0)
    base, server = fake_topi.serve(FakeTopi)
    print(f"{'orders':>8} {'run':>10} {'requests':>9} {'seconds':>8} {'peak KiB':>9}")
    for total in counts:
        for model in (StatusChange, Asset, Order):
            model.objects.all().delete()
        FakeTopi.total_rows = total
        for run in ("all new", "unchanged"):
            seen, served, elapsed, peak = measure(base)
            assert seen == total, (seen, total)
            print(f"{seen:>8} {run:>10} {served:>9} {elapsed:>8.1f} {peak:>9.0f}")
    server.shutdown()
    connection.close()


if __name__ == "__main__":
    main()
