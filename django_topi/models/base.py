"""What offers and orders share: topi's id and reference, the environment, the raw payload."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

ENVIRONMENT_CHOICES = [
    ("production", _("production")),
    ("sandbox", _("sandbox")),
    ("simulator", _("simulator")),
]


class TopiRecord(models.Model):
    """A local copy of a topi object. ``raw`` merges every payload topi sent, newest on top."""

    topi_id = models.CharField(
        _("topi id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    seller_offer_reference = models.CharField(
        _("seller offer reference"), max_length=255, db_index=True
    )
    environment = models.CharField(
        _("environment"), max_length=16, choices=ENVIRONMENT_CHOICES, db_index=True
    )
    customer = models.JSONField(_("customer"), default=dict, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    company_name = models.CharField(_("company"), max_length=255, blank=True, db_index=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    raw = models.JSONField(_("last payload from topi"), default=dict, blank=True)
    conflict = models.TextField(
        _("conflict"),
        blank=True,
        help_text=_("What topi reported that django-topi could not apply, or an amount mismatch."),
    )
    conflict_at = models.DateTimeField(_("conflict noticed at"), null=True, blank=True)
    topi_created_at = models.DateTimeField(_("created at topi"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
