"""The audit trail: one row per status step of an offer or an order, with who and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from django_topi.models.offer import Offer
from django_topi.models.order import Order
from django_topi.models.webhook import WebhookEvent


class Origin(models.TextChoices):
    """Where the news of a status came from."""

    WEBHOOK = "webhook", _("webhook")
    ADMIN = "admin", _("admin")
    API = "api", _("API")
    RETURN = "return", _("customer's return from topi")
    SYNC = "sync", _("reconciliation with topi")
    LOCAL = "local", _("local")


class StatusChange(models.Model):
    """One step of an offer's or an order's status. ``source`` is empty when the row was created.

    A conflict that staff marked resolved is a row too: ``source`` and ``target`` are the status
    it stayed in, ``transition`` is ``resolve_conflict`` and ``note`` holds the conflict.
    """

    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="status_changes"
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="status_changes"
    )
    source = models.CharField(_("from"), max_length=32, blank=True)
    target = models.CharField(_("to"), max_length=32)
    transition = models.CharField(_("transition"), max_length=32, blank=True)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    webhook_event = models.ForeignKey(
        WebhookEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="status_changes",
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("For a resolved conflict: what the conflict was.")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(offer__isnull=False, order__isnull=True)
                    | models.Q(offer__isnull=True, order__isnull=False)
                ),
                name="topi_statuschange_one_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source or '∅'} → {self.target} ({self.origin})"
