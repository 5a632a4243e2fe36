"""Every webhook delivery topi made, stored before anything else happens to it.

The body is kept exactly as received (bytes: it may not even be UTF-8) and is untrusted until
verified; headers are stored with signatures redacted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_topi.models.base import plain_indexes


class WebhookEvent(models.Model):
    """One delivery from topi: what arrived, whether it was genuine, and what became of it."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("offer")
        ORDER = "order", _("order")
        UNKNOWN = "unknown", _("unknown")

    class Verification(models.TextChoices):
        PENDING = "pending", _("not checked yet")
        SIGNATURE = "signature", _("signature valid")
        REFETCHED = "refetched", _("confirmed with topi")
        SKIPPED = "skipped", _("not verified (development)")
        FAILED = "failed", _("failed")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        IGNORED = "ignored", _("ignored")
        FAILED = "failed", _("failed")
        REJECTED = "rejected", _("rejected")

    body = models.BinaryField(_("raw body"))
    headers = models.JSONField(_("headers (redacted)"), default=dict)
    remote_ip = models.GenericIPAddressField(_("remote IP"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    svix_id = models.CharField(_("svix-id"), max_length=255, blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text=_("svix-id, else a hash of the body; empty for rejected deliveries."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.UNKNOWN)
    topi_id = models.CharField(_("topi id"), max_length=64, blank=True)
    reported_status = models.CharField(_("reported status"), max_length=32, blank=True)
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, default=Verification.PENDING
    )
    status = models.CharField(
        _("processing status"),
        max_length=16,
        choices=Status.choices,
        default=Status.RECEIVED,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-pk"]
        indexes = plain_indexes("topi_event", "svix_id", "topi_id", "status")

    def __str__(self) -> str:
        what = f"{self.kind} {self.topi_id}".strip() if self.topi_id else self.kind
        return f"{what} {self.reported_status} ({self.status})".replace("  ", " ")
