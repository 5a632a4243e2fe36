"""Push the shop's catalog to topi: ``POST /v1/catalog/import`` in batches, memory flat.

A 413 halves the batch (and every later one), a 422 is narrowed down to the products topi
refuses; both are counted with topi's reason in the ``CatalogSummary``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django_topi.client import (
    TopiAPIError,
    TopiClient,
    TopiResponseError,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.products import JSON, CatalogProduct, is_int

#: Every part of the catalog logs as "django_topi.catalog", as it always has.
logger = logging.getLogger("django_topi.catalog")

#: How many rejected products a summary keeps to show (the counts are always complete).
MAX_SAMPLES = 10


@dataclass(frozen=True)
class Rejection:
    """A product that was not imported: its reference, title, and why."""

    reference: str
    title: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference} ({self.title}): {self.reason}"


@dataclass
class CatalogSummary:
    """What a catalog push did. ``rejected`` counts products refused here and by topi."""

    read: int = 0
    invalid: int = 0
    sent: int = 0
    imported: int = 0
    rejected: int = 0
    pending: int = 0
    batches: int = 0
    calls: int = 0
    batch_size: int = 0
    samples: list[Rejection] = field(default_factory=list)

    def reject(self, count: int, rejection: Rejection) -> None:
        self.rejected += count
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(rejection)


def _rejection(product: CatalogProduct, reason: str) -> Rejection:
    references = product.seller_product_references()
    return Rejection(str(references[0]) if references else "?", product.title or "?", reason)


def validated(
    products: Iterable[CatalogProduct], summary: CatalogSummary
) -> Iterator[CatalogProduct]:
    """The products topi can take; the others are counted and sampled as rejected."""
    for product in products:
        summary.read += 1
        problems = product.problems()
        if problems:
            summary.invalid += 1
            summary.reject(1, _rejection(product, "; ".join(problems)))
            continue
        yield product


def push_catalog(
    products: Iterable[CatalogProduct],
    *,
    batch_size: int | None = None,
    dry_run: bool = False,
    client: TopiClient | None = None,
    on_progress: Callable[[CatalogSummary], None] | None = None,
    summary: CatalogSummary | None = None,
) -> CatalogSummary:
    """Send ``products`` to ``POST /v1/catalog/import`` in batches, one batch in memory at a time.

    A 413 halves the batch (and every later one) and carries on; a 422 is split until the
    refused products are found, which are then counted as rejected with topi's reason. With
    ``dry_run`` products are only validated and counted. ``TopiError`` propagates when topi is
    unavailable or refuses the credentials; products sent before stay imported, and a
    ``summary`` passed in shows how far the push got.
    """
    summary = summary or CatalogSummary()
    summary.batch_size = batch_size or topi_settings.CATALOG_BATCH_SIZE
    if summary.batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    valid = validated(products, summary)
    while batch := list(islice(valid, summary.batch_size)):
        summary.batches += 1
        if dry_run:
            summary.sent += len(batch)
        else:
            client = client or get_client()
            _import_batch(client, batch, summary, top_level=True)
        if on_progress is not None:
            on_progress(summary)
    if on_progress is not None:
        on_progress(summary)
    return summary


def _import_batch(
    client: TopiClient, batch: list[CatalogProduct], summary: CatalogSummary, *, top_level: bool
) -> None:
    summary.calls += 1
    try:
        answer = client.import_catalog({"products": [product.to_topi() for product in batch]})
    except TopiAPIError as exc:
        if exc.status not in (413, 422):
            raise
        if len(batch) == 1:
            summary.reject(1, _rejection(batch[0], _refusal(exc)))
            return
        half = len(batch) // 2
        if exc.status == 413:
            summary.batch_size = min(summary.batch_size, half)
            logger.info("topi refused %d products as too many (413); sending %d", len(batch), half)
        rejected_before = summary.rejected
        for part in (batch[:half], batch[half:]):
            _import_batch(client, part, summary, top_level=False)
        if exc.status == 422 and top_level and summary.rejected - rejected_before == len(batch):
            # Every product refused on its own: not one bad product, so stop rather than
            # spend two calls per product on the rest of the catalog.
            raise exc
        return
    _count_import(answer, batch, summary)


def _refusal(exc: TopiAPIError) -> str:
    if exc.status == 413:
        return "topi refuses even this product alone as too large (HTTP 413)"
    name = f"{exc.name}: " if exc.name else ""
    return f"topi refused it (HTTP {exc.status}) {name}{exc.message}".strip()


def _count_import(answer: JSON, batch: list[CatalogProduct], summary: CatalogSummary) -> None:
    """Count an ``ImportResult``: imported, rejected, or still being imported at topi.

    topi's ``summary`` is optional and its rejection samples are marked "Deprecated: unused",
    so a batch topi finished without a summary counts as imported.
    """
    if not isinstance(answer, dict):
        raise TopiResponseError(f"topi answered the catalog import with {type(answer).__name__}")
    size = len(batch)
    summary.sent += size
    status = answer.get("status")
    counts = answer.get("summary") if isinstance(answer.get("summary"), dict) else None
    by_reference = {str(p.reference): p for p in batch}
    if status == "failed" and not counts:
        summary.reject(size, _batch_rejection(batch, size, "topi reported the import as failed"))
        return
    if counts is None:
        if status == "completed":
            summary.imported += size
        else:
            summary.pending += size
        return
    imported = min(whole(counts.get("total_products_imported")), size)
    summary.imported += imported
    samples = [s for s in counts.get("sample_products_rejected") or [] if isinstance(s, dict)]
    unaccounted = size - imported
    if status not in ("completed", "failed"):
        summary.pending += unaccounted
        return
    for sample in samples[:unaccounted]:
        reference = sample.get("seller_product_reference") or {}
        key = f"{reference.get('source')}:{reference.get('reference')}"
        product = by_reference.get(key)
        reason = sample.get("error_description") or sample.get("error_code") or "rejected"
        summary.reject(1, Rejection(key, product.title if product else "?", str(reason)))
        unaccounted -= 1
    if unaccounted > 0:
        summary.reject(
            unaccounted,
            _batch_rejection(batch, unaccounted, "topi imported the others without naming these"),
        )


def _batch_rejection(batch: list[CatalogProduct], count: int, reason: str) -> Rejection:
    return Rejection(f"batch from {batch[0].reference}", f"{count} of {len(batch)}", reason)


def whole(value: object) -> int:
    """A count from topi's answer: the integer, or 0 for anything else."""
    return value if is_int(value) else 0
