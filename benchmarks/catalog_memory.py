"""Peak memory of ``topi_sync_catalog`` over generated catalogs, against a local fake topi.

Prints, for each catalog size and mode (JSON batches, CSV job), the products imported, the calls
topi received and the peak memory the command allocated (tracemalloc). The catalog adapter is a
generator, so the peak stays flat as the catalog grows; the "list" rows hand the same products
over as a list, to show what an adapter that materialises the catalog costs instead.

    .venv/bin/python benchmarks/catalog_memory.py [products ...]   (default 1000 10000 100000)
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from io import StringIO

import fake_topi  # sets up Django first
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from django_topi.catalog import CatalogProduct, Category, ProductReference

JOB_ID = "job-1"
DESCRIPTION = "A sturdy business laptop with a 14 inch screen, 32 GB memory and a 1 TB SSD. " * 3


def generated(count: int) -> Iterator[CatalogProduct]:
    """``count`` products, built one at a time as the command reads them."""
    for n in range(count):
        yield CatalogProduct(
            title=f"Business Laptop {n}",
            references=[f"sku-{n}", ProductReference("ean", f"{4006381000000 + n}")],
            price_gross=Decimal("1546.81"),
            tax_rate=Decimal("19"),
            manufacturer="Lenovo",
            description=DESCRIPTION,
            product_type="hardware",
            image_url=f"https://shop.example/img/{n}.jpg",
            categories=[Category("laptops", "Laptops")],
            url=f"https://shop.example/p/{n}",
        )


class FakeTopi(fake_topi.FakeTopi):
    calls = 0
    imported = 0
    uploaded_rows = 0

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/oauth2/token"):
            self._json({"access_token": "bench", "expires_in": 7200})
            return
        type(self).calls += 1
        if self.path == "/v1/catalog/import":
            count = len(json.loads(data)["products"])
            type(self).imported += count
            summary = {"total_products": count, "total_products_imported": count,
                       "total_products_rejected": 0, "sample_products_rejected": []}  # fmt: skip
            self._json({"id": JOB_ID, "status": "completed", "summary": summary})
        else:  # POST /v1/catalog/imports: a CSV job
            host, port = self.server.server_address[:2]
            self._json({"id": JOB_ID, "upload_url": f"http://{host}:{port}/upload/{JOB_ID}"})

    def do_PUT(self) -> None:
        type(self).calls += 1
        remaining = int(self.headers["Content-Length"])
        rows = 0
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            remaining -= len(chunk)
            rows += chunk.count(b"\n")
        type(self).uploaded_rows = rows - 1  # the header
        self._json({})

    def do_GET(self) -> None:  # GET /v1/catalog/imports/{id}
        type(self).calls += 1
        rows = type(self).uploaded_rows
        type(self).imported = rows
        self._json({"id": JOB_ID, "status": "completed", "filename": "catalog.csv",
                    "object_path": "catalog.csv", "processed": rows, "succeeded": rows,
                    "failed": 0, "created_at": "2026-11-28T10:00:00Z",
                    "updated_at": "2026-11-28T10:00:00Z"})  # fmt: skip


def measure(base: str, adapter: Callable[[], Iterable[CatalogProduct]], *args: str) -> tuple:
    FakeTopi.calls = FakeTopi.imported = FakeTopi.uploaded_rows = 0
    cache.clear()
    topi = {**settings.TOPI, "API_BASE_URL": base, "TOKEN_URL": f"{base}/oauth2/token",
            "CATALOG_ADAPTER": adapter}  # fmt: skip
    with override_settings(TOPI=topi):
        tracemalloc.start()
        started = time.perf_counter()
        call_command("topi_sync_catalog", "--no-progress", "--poll-interval", "0", *args,
                     stdout=StringIO())  # fmt: skip
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return FakeTopi.imported, FakeTopi.calls, elapsed, peak


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000, 100_000]
    base, server = fake_topi.serve(FakeTopi)
    print(
        f"{'mode':<14} {'products':>9} {'imported':>9} {'calls':>6} {'seconds':>8} {'peak KiB':>9}"
    )
    for mode, args in (("json", ()), ("csv", ("--csv",))):
        for total in sizes:
            imported, calls, elapsed, peak = measure(base, lambda t=total: generated(t), *args)
            assert imported == total, (mode, imported, total)
            print(f"{mode:<14} {total:>9,} {imported:>9,} {calls:>6} {elapsed:>8.2f} "
                  f"{peak / 1024:>9,.0f}")  # fmt: skip
    for total in sizes[1:] or sizes:
        imported, calls, elapsed, peak = measure(base, lambda t=total: list(generated(t)))
        print(f"{'json (list)':<14} {total:>9,} {imported:>9,} {calls:>6} {elapsed:>8.2f} "
              f"{peak / 1024:>9,.0f}")  # fmt: skip
    server.shutdown()


if __name__ == "__main__":
    main()
