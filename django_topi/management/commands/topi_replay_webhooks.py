"""Process stored webhook events again: failed ones after an outage, ones a task queue lost, or
chosen ones by id."""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from django_topi.management.arguments import parse_moment
from django_topi.models import WebhookEvent
from django_topi.webhooks.processing import reprocess


def age(text: str) -> timedelta:
    """``10m``, ``12h`` or ``3d``."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if not (text[:-1].isdigit() and text[-1:] in units):
        raise CommandError(f"{text!r} is not an age such as 10m, 12h or 3d")
    return timedelta(**{units[text[-1]]: int(text[:-1])})


def moment(text: str) -> datetime:
    """``2026-11-28``, ``2026-11-28T10:00:00Z`` or ``3d`` / ``12h`` ago."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text[:-1].isdigit() and text[-1:] in units:
        return timezone.now() - timedelta(**{units[text[-1]]: int(text[:-1])})
    parsed = parse_moment(text)
    if parsed is None:
        raise CommandError(f"{text!r} is not a date, a datetime, or an age such as 3d or 12h")
    return parsed


class Command(BaseCommand):
    help = "Process stored topi webhook events again (each through django_topi.sync, idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--failed", action="store_true", help="every failed event")
        parser.add_argument("--since", type=moment, help="received since (2026-11-28, 12h, 3d)")
        parser.add_argument("--waiting", type=age, metavar="AGE",
                            help="every event still waiting to be processed AGE (10m, 12h) after "
                                 "it arrived: in task mode, a job the queue lost")  # fmt: skip
        parser.add_argument("--id", dest="ids", type=int, action="append", default=[],
                            help="an event id (repeatable)")  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="list, do not process")

    def handle(self, *args: Any, **options: Any) -> None:
        events = WebhookEvent.objects.exclude(status=WebhookEvent.Status.REJECTED).order_by("pk")
        if not (options["failed"] or options["since"] or options["ids"] or options["waiting"]):
            raise CommandError("say which events: --failed, --waiting, --since or --id")
        if options["failed"] and options["waiting"]:
            events = events.filter(status__in=[WebhookEvent.Status.FAILED,
                                               WebhookEvent.Status.RECEIVED])  # fmt: skip
        elif options["failed"]:
            events = events.filter(status=WebhookEvent.Status.FAILED)
        elif options["waiting"]:
            events = events.filter(status=WebhookEvent.Status.RECEIVED)
        if options["waiting"]:
            waiting = Q(received_at__lte=timezone.now() - options["waiting"])
            events = events.filter(waiting | Q(status=WebhookEvent.Status.FAILED))
        if options["since"]:
            events = events.filter(received_at__gte=options["since"])
        if options["ids"]:
            events = events.filter(pk__in=options["ids"])
            missing = set(options["ids"]) - set(events.values_list("pk", flat=True))
            if missing:
                self.stderr.write(
                    f"no replayable event with id {', '.join(map(str, sorted(missing)))}"
                )
        outcomes: Counter[str] = Counter()
        for event in events.iterator(chunk_size=200):
            if options["dry_run"]:
                self.stdout.write(f"would replay {event.pk}: {event}")
                outcomes["listed"] += 1
                continue
            outcome = reprocess(event)
            outcomes[outcome.status] += 1
            line = f"{event.pk}: {outcome.status}" + (
                f" ({outcome.reason})" if outcome.reason else ""
            )
            self.stdout.write(line)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(outcomes.items()))
        self.stdout.write(self.style.SUCCESS(f"Replayed: {summary or 'nothing to replay'}."))
        if outcomes["failed"]:
            raise CommandError(
                f"{outcomes['failed']} event(s) failed again; see their errors in the admin"
            )
