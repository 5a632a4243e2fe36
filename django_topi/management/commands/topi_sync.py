"""Reconcile offers and orders with topi: topi's truth, applied through ``django_topi.sync``.

Rows are read lazily page by page (topi's ``id_gt`` cursor) and handled in small batches, so
memory stays flat however many rows topi has. topi's order list holds summaries: an order is
fetched in full only when it is new here or its status differs (``--full`` fetches every one).
"""

from __future__ import annotations

from argparse import ArgumentParser
from dataclasses import dataclass
from datetime import datetime, time
from datetime import timezone as dt_timezone
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from django_topi.batching import batched
from django_topi.client import TopiAPIError, TopiAuthError, TopiError, TopiUnavailable, get_client
from django_topi.management.progress import Progress
from django_topi.models import Order, Origin
from django_topi.states import ORDER_STATUS_ALIASES
from django_topi.sync import PayloadError, SyncResult, apply_offer_payload, apply_order_payload

#: Rows looked up locally at once (one query per batch).
BATCH = 100


def since(text: str) -> str:
    """``2026-11-28`` or ``2026-11-28T10:00:00+01:00`` as topi's RFC 3339 UTC filter value."""
    moment = parse_datetime(text)
    if moment is None and (day := parse_date(text)) is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        raise CommandError(f"--since {text!r} is not a date or a date-time (ISO 8601)")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Tally:
    """What a run did, per kind."""

    kind: str
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: int = 0

    def count(self, result: SyncResult[Any]) -> None:
        if result.created:
            self.created += 1
        elif result.changed:
            self.updated += 1
        else:
            self.unchanged += 1
        if result.conflict:
            self.conflicts += 1

    def summary(self) -> str:
        return (
            f"{self.kind}: {self.seen:,} seen: {self.created:,} created, {self.updated:,} "
            f"updated, {self.unchanged:,} unchanged, {self.conflicts:,} conflicts, "
            f"{self.failed:,} failed"
        )


class Command(BaseCommand):
    help = (
        "Reconcile offers and/or orders from topi (topi's truth wins, through django_topi.sync), "
        "with a progress bar and a summary."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind", nargs="?", choices=["offers", "orders", "all"], default="all",
            help="what to reconcile (default: all)",
        )  # fmt: skip
        parser.add_argument(
            "--since", type=since,
            help="only rows topi created on or after this date or date-time (ISO 8601)",
        )  # fmt: skip
        parser.add_argument(
            "--id", dest="ids", action="append", default=[], metavar="TOPI_ID",
            help="only this offer or order (repeatable; say offers or orders)",
        )  # fmt: skip
        parser.add_argument(
            "--full", action="store_true",
            help="fetch every order in full, not only those that are new or whose status differs",
        )  # fmt: skip
        parser.add_argument("--page-size", type=int, default=100, help="rows per page from topi")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if options["ids"] and kind == "all":
            raise CommandError("--id needs 'offers' or 'orders': topi ids do not say which")
        if options["page_size"] < 1:
            raise CommandError("--page-size must be at least 1")
        self.client = get_client()
        self.options = options
        self.current = Progress(self.stdout, "", enabled=False)
        kinds = ["offers", "orders"] if kind == "all" else [kind]
        tallies = []
        for name in kinds:
            tally = Tally(name)
            tallies.append(tally)
            try:
                if options["ids"]:
                    self.sync_ids(tally, options["ids"])
                elif name == "offers":
                    self.sync_offers(tally)
                else:
                    self.sync_orders(tally)
            except (TopiUnavailable, TopiAuthError) as exc:
                self.write_summaries(tallies)
                raise CommandError(
                    f"topi failed while reconciling {name}, so the run stopped: {exc}"
                ) from exc
        self.write_summaries(tallies)
        failed = sum(tally.failed for tally in tallies)
        if failed:
            raise CommandError(f"{failed} row(s) could not be reconciled; see the errors above")

    # -- the walks -------------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        return {"created_at_gte": self.options["since"]} if self.options["since"] else {}

    def progress(self, label: str, total: int | None) -> Progress:
        enabled = self.options["verbosity"] > 0 and not self.options["no_progress"]
        self.current = Progress(self.stdout, label, total, enabled=enabled)
        return self.current

    def sync_offers(self, tally: Tally) -> None:
        """topi's offer list holds whole offers: each row is applied as it is."""
        total = self.total(self.client.list_offers, "offers")
        rows = self.client.iter_offers(page_size=self.options["page_size"], **self.filters())
        with self.progress("offers", total) as progress:
            for row in rows:
                tally.seen += 1
                self.apply(tally, "offer", row, apply_offer_payload)
                progress.advance()

    def sync_orders(self, tally: Tally) -> None:
        """topi's order list holds summaries: fetch an order in full only when it matters."""
        total = self.total(self.client.list_orders, "orders")
        rows = self.client.iter_orders(page_size=self.options["page_size"], **self.filters())
        with self.progress("orders", total) as progress:
            for batch in batched(rows, BATCH):
                ids = [row.get("id") for row in batch if isinstance(row, dict)]
                known = dict(Order.objects.filter(topi_id__in=ids).values_list("topi_id", "status"))
                for row in batch:
                    tally.seen += 1
                    progress.advance()
                    topi_id = row.get("id") if isinstance(row, dict) else None
                    if not isinstance(topi_id, str):
                        self.fail(tally, "order", repr(row)[:80], "topi listed it without an id")
                        continue
                    reported = ORDER_STATUS_ALIASES.get(row.get("status"), row.get("status"))
                    if not self.options["full"] and known.get(topi_id) == reported:
                        tally.unchanged += 1
                        continue
                    self.fetch_and_apply(tally, "order", topi_id)

    def sync_ids(self, tally: Tally, ids: list[str]) -> None:
        name = tally.kind.rstrip("s")
        with self.progress(tally.kind, len(ids)) as progress:
            for topi_id in ids:
                tally.seen += 1
                self.fetch_and_apply(tally, name, topi_id)
                progress.advance()

    # -- one row ---------------------------------------------------------------------------------

    def total(self, list_page: Any, key: str) -> int | None:
        """topi's count of matching rows for the progress bar (one small request), if it says."""
        if self.options["verbosity"] == 0 or self.options["no_progress"]:
            return None
        try:
            page = list_page(limit=1, **self.filters())
        except TopiAPIError:
            return None  # the walk itself reports what is wrong
        count = (
            (page.get("pagination") or {}).get("total_count") if isinstance(page, dict) else None
        )
        return count if isinstance(count, int) else None

    def fetch_and_apply(self, tally: Tally, name: str, topi_id: str) -> None:
        fetch = self.client.get_order if name == "order" else self.client.get_offer
        apply = apply_order_payload if name == "order" else apply_offer_payload
        try:
            payload = fetch(topi_id)
        except (TopiUnavailable, TopiAuthError):
            raise
        except (TopiError, ValueError) as exc:
            self.fail(tally, name, topi_id, str(exc))
            return
        self.apply(tally, name, payload, apply)

    def apply(self, tally: Tally, name: str, payload: Any, apply: Any) -> None:
        try:
            result = apply(payload, Origin.SYNC)
        except PayloadError as exc:
            topi_id = payload.get("id") if isinstance(payload, dict) else None
            self.fail(tally, name, str(topi_id), str(exc))
            return
        tally.count(result)
        if self.options["verbosity"] >= 2 and (result.changed or result.conflict):
            self.report_row(name, result)

    def report_row(self, name: str, result: SyncResult[Any]) -> None:
        instance = result.instance
        if result.created:
            what = f"new, {instance.status}"
        elif result.steps:
            what = " → ".join(result.statuses)
        else:
            what = f"details updated, {instance.status}"
        line = f"{name} {instance.topi_id} ({instance.seller_offer_reference}): {what}"
        self.current.clear()
        self.stdout.write(line + (f"; conflict: {result.conflict}" if result.conflict else ""))

    def fail(self, tally: Tally, name: str, topi_id: str, reason: str) -> None:
        tally.failed += 1
        self.current.clear()
        self.stderr.write(f"{name} {topi_id}: {reason}")

    def write_summaries(self, tallies: list[Tally]) -> None:
        for tally in tallies:
            style = self.style.WARNING if tally.conflicts or tally.failed else self.style.SUCCESS
            self.stdout.write(style(tally.summary()))
