"""Reconcile offers and orders with topi: ``django_topi.reconcile`` with a progress bar and a
summary.

Rows are read lazily page by page (topi's ``id_gt`` cursor) and handled in small batches, so
memory stays flat however many rows topi has. topi's order list holds summaries: an order is
fetched in full only when it is new here or its status differs (``--full`` fetches every one).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_topi.client import get_client
from django_topi.ids import topi_instant
from django_topi.management.arguments import parse_moment
from django_topi.management.progress import Progress
from django_topi.management.progress import wanted as progress_wanted
from django_topi.reconcile import STOPPING, Reconciler, Reports, Tally
from django_topi.sync import SyncResult

#: Kept importable here: the walk itself is ``django_topi.reconcile``.
__all__ = ["Command", "Tally", "since"]


def since(text: str) -> str:
    """``2026-11-28`` or ``2026-11-28T10:00:00+01:00`` as topi's RFC 3339 UTC filter value."""
    moment = parse_moment(text)
    if moment is None:
        raise CommandError(f"--since {text!r} is not a date or a date-time (ISO 8601)")
    return topi_instant(moment)


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
        self.options = options
        self.current = Progress(self.stdout, "", enabled=False)
        reconciler = Reconciler(
            client=get_client(),
            page_size=options["page_size"],
            since=options["since"],
            full=options["full"],
            reports=Reports(row=self.advance, changed=self.report_row, failed=self.fail),
        )
        kinds = ["offers", "orders"] if kind == "all" else [kind]
        tallies = []
        for name in kinds:
            tally = Tally(name)
            tallies.append(tally)
            try:
                if options["ids"]:
                    with self.progress(name, len(options["ids"])):
                        reconciler.by_id(tally, options["ids"])
                else:
                    with self.progress(name, self.total(reconciler, name)):
                        reconciler.walk(tally)
            except STOPPING as exc:
                self.write_summaries(tallies)
                raise CommandError(
                    f"topi failed while reconciling {name}, so the run stopped: {exc}"
                ) from exc
        self.write_summaries(tallies)
        failed = sum(tally.failed for tally in tallies)
        if failed:
            raise CommandError(f"{failed} row(s) could not be reconciled; see the errors above")

    # -- what the user sees ----------------------------------------------------------------------

    def progress(self, label: str, total: int | None) -> Progress:
        enabled = progress_wanted(self.options)
        self.current = Progress(self.stdout, label, total, enabled=enabled)
        return self.current

    def total(self, reconciler: Reconciler, kind: str) -> int | None:
        if not progress_wanted(self.options):
            return None
        return reconciler.total(kind)

    def advance(self) -> None:
        self.current.advance()

    def report_row(self, name: str, result: SyncResult[Any]) -> None:
        if self.options["verbosity"] < 2:
            return
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

    def fail(self, name: str, topi_id: str, reason: str) -> None:
        self.current.clear()
        self.stderr.write(f"{name} {topi_id}: {reason}")

    def write_summaries(self, tallies: list[Tally]) -> None:
        for tally in tallies:
            style = self.style.WARNING if tally.conflicts or tally.failed else self.style.SUCCESS
            self.stdout.write(style(tally.summary()))
