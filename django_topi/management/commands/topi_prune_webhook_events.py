"""Delete webhook events older than the retention period, so the table stays bounded."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from django_topi.conf import topi_settings
from django_topi.models import WebhookEvent


class Command(BaseCommand):
    help = (
        "Delete processed, ignored and rejected webhook events older than --older-than days "
        "(default TOPI['WEBHOOK_RETENTION_DAYS']). Failed events are kept until replayed "
        "unless --include-failed is given. Status history keeps its rows (the link is cleared)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--older-than", type=int, metavar="DAYS")
        parser.add_argument("--include-failed", action="store_true")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than"] or topi_settings.WEBHOOK_RETENTION_DAYS
        statuses = [
            WebhookEvent.Status.PROCESSED,
            WebhookEvent.Status.IGNORED,
            WebhookEvent.Status.REJECTED,
        ]
        if options["include_failed"]:
            statuses.append(WebhookEvent.Status.FAILED)
        old = WebhookEvent.objects.filter(
            received_at__lt=timezone.now() - timedelta(days=days), status__in=statuses
        )
        if options["dry_run"]:
            self.stdout.write(
                f"Would delete {old.count()} webhook event(s) older than {days} days."
            )
            return
        _, per_model = old.delete()
        deleted = per_model.get(WebhookEvent._meta.label, 0)
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {deleted} webhook event(s) older than {days} days.")
        )
