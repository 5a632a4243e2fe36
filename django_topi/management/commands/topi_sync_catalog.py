"""``manage.py topi_sync_catalog``: push the shop's catalog (``TOPI["CATALOG_ADAPTER"]``) to topi."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_topi.catalog import (
    CSV_POLL_SECONDS,
    CSV_TIMEOUT_SECONDS,
    CatalogProduct,
    CatalogSummary,
    CsvImportSummary,
    Rejection,
    catalog_products,
    push_catalog,
    push_catalog_csv,
)
from django_topi.client import TopiError
from django_topi.conf import topi_settings
from django_topi.management.progress import Progress
from django_topi.management.progress import wanted as progress_wanted


class Command(BaseCommand):
    help = (
        "Push the shop's catalog (TOPI['CATALOG_ADAPTER']) to topi: JSON batches to "
        "POST /v1/catalog/import, or one CSV import job with --csv. Reads the catalog lazily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            help="Products per import call (default TOPI['CATALOG_BATCH_SIZE']); a 413 halves it.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and count the products without sending anything to topi.",
        )
        parser.add_argument(
            "--csv",
            action="store_true",
            help="Use topi's CSV import job (create, upload, poll): better for large catalogs.",
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=CSV_POLL_SECONDS,
            help=f"Seconds between status checks of the CSV job (default {CSV_POLL_SECONDS:g}).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=CSV_TIMEOUT_SECONDS,
            help=f"Stop waiting for the CSV job after this many seconds (default "
            f"{CSV_TIMEOUT_SECONDS:g}); the job carries on at topi.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            products = catalog_products()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        # Only a sequence knows its length without being read; a generator stays lazy.
        total = len(products) if isinstance(products, Sequence) else None
        show = progress_wanted(options)
        if options["dry_run"]:
            self._dry_run(products, total, show, options["batch_size"], options["csv"])
        elif options["csv"]:
            self._push_csv(products, total, show, options["poll_interval"], options["timeout"])
        else:
            self._push_json(products, total, show, options["batch_size"])

    # -- dry run -----------------------------------------------------------------------------

    def _dry_run(
        self,
        products: Iterable[CatalogProduct],
        total: int | None,
        show: bool,
        batch_size: int | None,
        csv: bool,
    ) -> None:
        with Progress(self.stdout, "products checked", total, enabled=show) as progress:
            summary = push_catalog(
                products, batch_size=batch_size, dry_run=True, on_progress=_moving(progress)
            )
        self._read_line(summary)
        if csv:
            would = f"would write {summary.sent:,} products to topi's CSV import"
        else:
            would = (
                f"would send {summary.sent:,} products in {_count(summary.batches, 'batch')} "
                f"of up to {summary.batch_size:,}"
            )
        self.stdout.write(f"Dry run: {would}. Nothing was sent to topi.")
        self._samples("Invalid products", summary.invalid, summary.samples)

    def _read_line(self, summary: CatalogSummary) -> None:
        valid = summary.read - summary.invalid
        self.stdout.write(
            f"Read {summary.read:,} products: {valid:,} valid, {summary.invalid:,} invalid."
        )

    # -- JSON batches ------------------------------------------------------------------------

    def _push_json(
        self,
        products: Iterable[CatalogProduct],
        total: int | None,
        show: bool,
        batch_size: int | None,
    ) -> None:
        summary = CatalogSummary()
        try:
            with Progress(self.stdout, "products", total, enabled=show) as progress:
                push_catalog(
                    products,
                    batch_size=batch_size,
                    on_progress=_moving(progress),
                    summary=summary,
                )
        except TopiError as exc:
            self._report_json(summary, first_batch_size=batch_size)
            raise CommandError(
                f"Stopped: {exc}. Products sent before this stay imported; run the command "
                "again to send the rest (topi updates products it already has)."
            ) from exc
        self._report_json(summary, first_batch_size=batch_size)

    def _report_json(self, summary: CatalogSummary, first_batch_size: int | None) -> None:
        self._read_line(summary)
        self.stdout.write(
            f"Sent {summary.sent:,} products in {_count(summary.calls, 'call')}: "
            f"imported {summary.imported:,}, rejected {summary.rejected:,} "
            f"({summary.invalid:,} invalid here, {summary.rejected - summary.invalid:,} by topi)."
        )
        if summary.pending:
            self.stdout.write(
                f"topi is still importing {summary.pending:,} of them (it answered 'created' or "
                "'started' and offers no way to follow a JSON import)."
            )
        self._samples("Rejected products", summary.rejected, summary.samples)
        if summary.batch_size < (first_batch_size or topi_settings.CATALOG_BATCH_SIZE):
            self.stdout.write(
                self.style.WARNING(
                    f"topi refused batches as too large (413); the batch size went down to "
                    f"{summary.batch_size:,}. Set TOPI['CATALOG_BATCH_SIZE'] = "
                    f"{summary.batch_size} to save the extra calls."
                )
            )
        style = self.style.WARNING if summary.rejected else self.style.SUCCESS
        self.stdout.write(style("Done." if not summary.rejected else "Done, with rejections."))

    # -- the CSV job -------------------------------------------------------------------------

    def _push_csv(
        self,
        products: Iterable[CatalogProduct],
        total: int | None,
        show: bool,
        poll_seconds: float,
        timeout_seconds: float,
    ) -> None:
        # One line per phase: writing the CSV, topi importing its rows, topi categorising them.
        phase = [Progress(self.stdout, "products written to CSV", total, enabled=show)]

        def written(count: int) -> None:
            phase[-1].advance(count - phase[-1].count)

        def polled(result: CsvImportSummary) -> None:
            categorization = result.job.get("categorization") or {}
            if result.status in ("ingested", "completed") and categorization.get("total"):
                label, of = "products categorised by topi", int(categorization["total"])
                done = of - int(categorization.get("pending") or 0)
            else:
                label, of = "rows imported by topi", result.written
                done = int(result.job.get("processed") or 0)
            if phase[-1].label != label:
                phase[-1].close()
                phase.append(Progress(self.stdout, label, of, enabled=show))
            phase[-1].advance(max(done - phase[-1].count, 0))

        try:
            result = push_catalog_csv(
                products,
                poll_seconds=poll_seconds,
                timeout_seconds=timeout_seconds,
                on_written=written,
                on_poll=polled,
            )
        except TopiError as exc:
            phase[-1].close()
            raise CommandError(f"The CSV import did not go through: {exc}") from exc
        phase[-1].close()
        self._report_csv(result, timeout_seconds)

    def _report_csv(self, result: CsvImportSummary, timeout_seconds: float) -> None:
        self.stdout.write(
            f"Read {result.read:,} products: wrote {result.written:,} to the CSV, "
            f"left out {result.invalid:,} invalid."
        )
        self._samples("Invalid products", result.invalid, result.samples)
        if not result.written:
            self.stdout.write(self.style.WARNING("Nothing to import: topi was not called."))
            return
        job = result.job
        self.stdout.write(
            f"topi's import job {job.get('id')}: {result.status}. "
            f"Imported {int(job.get('succeeded') or 0):,}, rejected {int(job.get('failed') or 0):,} "
            f"of {int(job.get('processed') or 0):,} rows processed."
        )
        categorization = job.get("categorization") or {}
        if categorization.get("total"):
            self.stdout.write(
                f"Categorised by topi: {categorization.get('supported', 0):,} supported, "
                f"{categorization.get('to_be_reviewed', 0):,} to be reviewed, "
                f"{categorization.get('unsupported', 0):,} unsupported, "
                f"{categorization.get('pending', 0):,} pending."
            )
        if int(job.get("failed") or 0):
            self.stdout.write(f"Rejected rows are listed in {job.get('errors_url')}")
            for row in result.error_rows:
                self.stdout.write(f"  {row}")
        if result.status == "failed":
            raise CommandError(
                f"topi's import job {job.get('id')} failed: {job.get('error') or 'no reason given'}"
            )
        if result.status == "cancelled":
            raise CommandError(f"topi's import job {job.get('id')} was cancelled.")
        if result.timed_out and result.status != "ingested":
            raise CommandError(
                f"topi's import job {job.get('id')} is still {result.status} after "
                f"{timeout_seconds:g} seconds; it carries on at topi."
            )
        if result.timed_out:
            self.stdout.write(
                self.style.WARNING(
                    "Every row is in; topi is still categorising the products. Check them "
                    "later with topi_check_products."
                )
            )
            return
        self.stdout.write(self.style.SUCCESS("Done."))

    def _samples(self, title: str, count: int, samples: Sequence[Rejection]) -> None:
        if not count:
            return
        some = ", for example" if len(samples) < count else ""
        self.stdout.write(f"{title} ({count:,}{some}):")
        for rejection in samples:
            self.stdout.write(f"  - {rejection}")


def _moving(progress: Progress) -> Callable[[CatalogSummary], None]:
    """A ``push_catalog`` callback that moves ``progress`` to the products read so far."""
    return lambda summary: progress.advance(summary.read - progress.count)


def _count(number: int, noun: str) -> str:
    plural = "es" if noun.endswith("h") else "s"
    return f"{number:,} {noun}{'' if number == 1 else plural}"
