"""Offers whose ``expires_at`` has passed: ask topi about each and apply what it says
(``django_topi.reconcile.expire_due_offers``, with a progress bar and a summary).

An offer expires at topi, not here, so nothing is marked on the local clock alone: each one is
fetched from topi and applied through ``django_topi.sync`` (usually ``created`` -> ``expired``;
an offer the customer checked out meanwhile moves on instead). One topi still reports as open is
left open and counted, so the shop can see topi and the shop disagree about the time.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_topi.client import get_client
from django_topi.management.progress import Progress
from django_topi.management.progress import wanted as progress_wanted
from django_topi.reconcile import STOPPING, Reports, due_offers, expire_due_offers, keyset


class Command(BaseCommand):
    help = (
        "Ask topi about every open offer whose expires_at has passed and apply topi's answer "
        "(normally: expired)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the offers, ask no one")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        due = due_offers()
        total = due.count()
        if options["dry_run"]:
            for _pk, topi_id, reference in keyset(due):
                self.stdout.write(f"would ask topi about offer {topi_id} ({reference})")
            self.stdout.write(f"{total} offer(s) past their expiry date.")
            return
        outcomes: Counter[str] = Counter()
        enabled = progress_wanted(options)
        with Progress(self.stdout, "offers", total, enabled=enabled) as progress:

            def failed(name: str, which: str, reason: str) -> None:
                progress.clear()
                self.stderr.write(f"{name} {which}: {reason}")

            try:
                expire_due_offers(
                    get_client(),
                    reports=Reports(row=progress.advance, failed=failed),
                    outcomes=outcomes,
                )
            except STOPPING as exc:
                progress.clear()
                self.write_summary(outcomes)
                raise CommandError(f"topi failed, so the run stopped: {exc}") from exc
        self.write_summary(outcomes, total)
        if outcomes["failed"]:
            raise CommandError(f"{outcomes['failed']} offer(s) could not be checked with topi")

    def write_summary(self, outcomes: Counter[str], total: int | None = None) -> None:
        seen = f"{total} offer(s) past their expiry date" if total is not None else "Stopped"
        parts = ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items()))
        style = (
            self.style.WARNING
            if outcomes["failed"] or outcomes["conflicts"]
            else self.style.SUCCESS
        )
        self.stdout.write(style(f"{seen}: {parts or 'nothing to do'}."))
