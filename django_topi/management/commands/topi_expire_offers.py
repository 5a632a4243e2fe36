"""Offers whose ``expires_at`` has passed: ask topi about each and apply what it says.

An offer expires at topi, not here, so nothing is marked on the local clock alone: each one is
fetched from topi and applied through ``django_topi.sync`` (usually ``created`` -> ``expired``;
an offer the customer checked out meanwhile moves on instead). One topi still reports as open is
left open and counted, so the shop can see topi and the shop disagree about the time.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from django.utils import timezone

from django_topi.client import TopiAuthError, TopiError, TopiUnavailable, get_client
from django_topi.conf import topi_settings
from django_topi.management.progress import Progress
from django_topi.models import Offer, Origin
from django_topi.states import OfferStatus
from django_topi.sync import PayloadError, apply_offer_payload

BATCH = 100


def keyset(queryset: QuerySet[Offer], size: int = BATCH) -> Iterator[tuple[int, str, str]]:
    """(pk, topi id, reference) of every row, ``size`` at a time by primary key: rows may be
    updated while the walk goes on, which a single open cursor does not like on SQLite."""
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "topi_id", "seller_offer_reference")[:size]
        )
        yield from ((pk, str(topi_id), reference) for pk, topi_id, reference in rows)
        if len(rows) < size:
            return
        last = rows[-1][0]


class Command(BaseCommand):
    help = (
        "Ask topi about every open offer whose expires_at has passed and apply topi's answer "
        "(normally: expired)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the offers, ask no one")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        due = Offer.objects.filter(
            environment=topi_settings.ENVIRONMENT,
            status=OfferStatus.CREATED,
            expires_at__lt=timezone.now(),
            topi_id__isnull=False,
        )
        total = due.count()
        if options["dry_run"]:
            for _pk, topi_id, reference in keyset(due):
                self.stdout.write(f"would ask topi about offer {topi_id} ({reference})")
            self.stdout.write(f"{total} offer(s) past their expiry date.")
            return
        client = get_client()
        outcomes: Counter[str] = Counter()
        enabled = options["verbosity"] > 0 and not options["no_progress"]
        with Progress(self.stdout, "offers", total, enabled=enabled) as progress:
            for _pk, topi_id, reference in keyset(due):
                progress.advance()
                try:
                    result = apply_offer_payload(client.get_offer(topi_id), Origin.SYNC)
                except (TopiUnavailable, TopiAuthError) as exc:
                    progress.clear()
                    self.write_summary(outcomes)
                    raise CommandError(f"topi failed, so the run stopped: {exc}") from exc
                except (TopiError, PayloadError, ValueError) as exc:
                    progress.clear()
                    self.stderr.write(f"offer {topi_id} ({reference}): {exc}")
                    outcomes["failed"] += 1
                    continue
                status = result.instance.status
                if status == OfferStatus.EXPIRED:
                    outcomes["expired"] += 1
                elif status == OfferStatus.CREATED:
                    outcomes["still open at topi"] += 1
                else:
                    outcomes[f"{status} at topi"] += 1
                if result.conflict:
                    outcomes["conflicts"] += 1
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
