"""topi's CSV import job: write the catalog to a temporary CSV, upload it, poll until done."""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import IO

from django_topi.catalog.push import MAX_SAMPLES, CatalogSummary, Rejection, validated, whole
from django_topi.client import (
    TopiClient,
    TopiError,
    TopiResponseError,
    TopiUnavailable,
    get_client,
)
from django_topi.products import JSON, CatalogProduct

#: Every part of the catalog logs as "django_topi.catalog", as it always has.
logger = logging.getLogger("django_topi.catalog")

#: Columns of topi's CSV import (API-NOTES §2.5), in the order they are written.
CSV_COLUMNS = (
    "title",
    "reference",
    "reference_source",
    "is_active",
    "price_gross",
    "price_net",
    "currency",
    "manufacturer",
    "subtitle",
    "description",
    "ean",
    "mpn",
    "image_url",
    "seller_category_id",
    "seller_category_name",
    "seller_category_parent_id",
    "seller_product_type",
    "shop_product_description_url",
)
#: CSV job statuses after which nothing changes any more.
CSV_FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
#: topi documents no polling cadence for CSV jobs; every few seconds is gentle and responsive.
CSV_POLL_SECONDS = 5.0
#: How long ``topi_sync_catalog --csv`` waits for the job by default (it goes on at topi).
CSV_TIMEOUT_SECONDS = 1800.0


@dataclass
class CsvImportSummary:
    """What a CSV import did: products written, the job as topi last reported it."""

    read: int = 0
    invalid: int = 0
    written: int = 0
    job: dict[str, JSON] = field(default_factory=dict)
    timed_out: bool = False
    samples: list[Rejection] = field(default_factory=list)
    #: The first rows of topi's ``errors_url`` file, when topi rejected rows.
    error_rows: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.job.get("status") or "")


def write_catalog_csv(
    products: Iterable[CatalogProduct],
    stream: IO[str],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> CatalogSummary:
    """Write the valid products as topi's CSV to ``stream``, one row at a time."""
    summary = CatalogSummary()
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for product in validated(products, summary):
        writer.writerow(product.to_csv_row())
        summary.sent += 1
        if on_progress is not None and summary.read % 1000 == 0:
            on_progress(summary.read)
    if on_progress is not None:
        on_progress(summary.read)
    return summary


def push_catalog_csv(
    products: Iterable[CatalogProduct],
    *,
    client: TopiClient | None = None,
    poll_seconds: float = CSV_POLL_SECONDS,
    timeout_seconds: float = CSV_TIMEOUT_SECONDS,
    on_written: Callable[[int], None] | None = None,
    on_poll: Callable[[CsvImportSummary], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CsvImportSummary:
    """Run topi's CSV import job: write a temporary CSV, create the job, upload, poll until done.

    The CSV goes to a temporary file on disk and is streamed to topi's upload URL, so memory
    stays flat. Polling stops at ``completed``, ``failed`` or ``cancelled``, or after
    ``timeout_seconds`` (``timed_out``; the job carries on at topi).
    """
    result = CsvImportSummary()
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        written = write_catalog_csv(products, text, on_progress=on_written)
        text.flush()
        text.detach()
        result.read, result.invalid, result.written = written.read, written.invalid, written.sent
        result.samples = written.samples
        if not result.written:
            return result
        client = client or get_client()
        stamp = datetime.now(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        job = client.create_catalog_import(f"django-topi-catalog-{stamp}.csv")
        if not isinstance(job, dict) or not job.get("id") or not job.get("upload_url"):
            raise TopiResponseError("topi's CSV import job has no id or upload_url")
        raw.seek(0)
        client.upload_catalog_csv(str(job["upload_url"]), raw)
    result.job = {"id": job["id"], "status": "pending"}
    deadline = clock() + timeout_seconds
    while True:
        try:
            result.job = client.get_catalog_import(str(job["id"]))
        except TopiUnavailable as exc:
            # The job runs on at topi whatever happens here: keep asking until the deadline.
            logger.warning("topi did not say how CSV import %s is going: %s", job["id"], exc)
        else:
            if on_poll is not None:
                on_poll(result)
            if result.status in CSV_FINAL_STATUSES:
                break
        if clock() + poll_seconds > deadline:
            result.timed_out = True
            break
        sleep(poll_seconds)
    if result.job.get("errors_url") and whole(result.job.get("failed")):
        result.error_rows = _first_rows(client, str(result.job["errors_url"]))
    return result


def _first_rows(client: TopiClient, url: str, limit: int = MAX_SAMPLES) -> list[str]:
    """The first rows of topi's file of rejected rows, header first; none when it is unreadable."""
    try:
        return client.read_rejected_rows(url, limit)
    except TopiError as exc:
        logger.warning("Could not read topi's rejected rows at its errors_url: %s", exc)
        return []
