"""Memory and request counts of iter_offers over many pages, against a local fake topi.

Prints, for each row count, the rows seen, the pages fetched and the peak memory the walk
allocated (tracemalloc). Flat memory means the peak does not grow with the row count.

    .venv/bin/python benchmarks/client_pagination.py [rows ...]   (default 1000 10000 50000)
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from urllib.parse import parse_qs, urlsplit

import fake_topi  # sets up Django first

from django_topi.client import TopiClient

PAGE_SIZE = 100
OFFER_TEMPLATE = {
    "status": "accepted",
    "seller_offer_reference": "SO-{n}",
    "created_at": "2026-11-01T10:00:00Z",
    "expires_at": "2026-11-02T10:00:00Z",
    "checkout_redirect_url": "https://dashboard.topi.eu/offer/{n}",
    "lines": [
        {
            "title": "Pro Laptop 14",
            "quantity": 2,
            "price": {"currency": "EUR", "net": 259800, "gross": 309162},
        }
    ],
}


class FakeTopi(fake_topi.FakeTopi):
    total_rows = 0
    pages_served = 0

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        start = int(query.get("id_gt", ["-1"])[0].rsplit("-", 1)[-1]) + 1 if "id_gt" in query else 0
        limit = int(query["limit"][0])
        rows = []
        for n in range(start, min(start + limit, type(self).total_rows)):
            offer = json.loads(json.dumps(OFFER_TEMPLATE).replace("{n}", str(n)))
            offer["id"] = f"offer-{n:09d}"
            rows.append(offer)
        type(self).pages_served += 1
        self._json({"offers": rows, "pagination": {"page_size": limit}})


def main() -> None:
    base, server = fake_topi.serve(FakeTopi)
    print(f"{'rows':>8} {'pages':>6} {'seconds':>8} {'peak KiB':>9}")
    for total in [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000, 50_000]:
        FakeTopi.total_rows, FakeTopi.pages_served = total, 0
        client = TopiClient(
            client_id="bench",
            client_secret="bench",
            api_base_url=base,
            token_url=f"{base}/oauth2/token",
        )
        tracemalloc.start()
        started = time.perf_counter()
        seen = sum(1 for _ in client.iter_offers(page_size=PAGE_SIZE))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seen == total, (seen, total)
        print(f"{seen:>8} {FakeTopi.pages_served:>6} {elapsed:>8.2f} {peak / 1024:>9.0f}")
    server.shutdown()


if __name__ == "__main__":
    main()
