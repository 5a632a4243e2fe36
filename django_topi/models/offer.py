"""The offer: what the shop asked topi to rent or sell, from draft to accepted (or not)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from django_topi.models.base import TopiRecord, plain_indexes
from django_topi.states import OFFER_EDGES, OfferStatus, sources_of, target_of


def _sources(transition: str) -> list[str]:
    return sources_of(OFFER_EDGES, transition)


def _target(transition: str) -> str:
    return target_of(OFFER_EDGES, transition)


class Offer(ConcurrentTransitionMixin, TopiRecord):
    """A topi offer. ``draft`` is local only: topi has not answered createOffer yet.

    ``status`` is protected: only ``django_topi.sync`` moves it, through the transitions below.
    """

    status = FSMField(
        _("status"),
        max_length=32,
        default=OfferStatus.DRAFT,
        choices=OfferStatus.choices,
        protected=True,
    )
    sales_channel = models.CharField(_("sales channel"), max_length=32, blank=True)
    checkout_redirect_url = models.URLField(_("checkout URL"), max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    shipping = models.JSONField(_("shipping"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    amount_net = models.BigIntegerField(
        _("total net (minor units)"), null=True, blank=True, help_text=_("As topi reports it.")
    )
    amount_gross = models.BigIntegerField(_("total gross (minor units)"), null=True, blank=True)
    expected_currency = models.CharField(_("currency the shop sent"), max_length=3, blank=True)
    expected_amount_net = models.BigIntegerField(
        _("total net the shop sent"), null=True, blank=True
    )
    expected_amount_gross = models.BigIntegerField(
        _("total gross the shop sent"), null=True, blank=True
    )
    failure_reason = models.TextField(
        _("failure reason"), blank=True, help_text=_("Why topi did not take this offer.")
    )
    failure_code = models.CharField(_("failure code"), max_length=32, blank=True)
    cart_fingerprint = models.CharField(
        _("cart fingerprint"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_(
            "A hash of exactly what the shop sent: lines, prices, quantities, shipping, customer "
            "and addresses. A click with a different cart never reuses this offer."
        ),
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
        help_text=_("The offer that replaced this one when the customer's cart changed."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The signed-in customer who started the checkout, if any."),
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-pk"]
        indexes = plain_indexes(
            "topi_offer", "status", "seller_offer_reference", "company_name", "email"
        )
        permissions = [
            ("void_offer", _("Can void offers at topi")),
            ("resolve_offer_conflict", _("Can mark offer conflicts resolved")),
        ]
        constraints = [
            # One checkout in flight per cart: a second click finds the draft instead.
            models.UniqueConstraint(
                fields=["environment", "seller_offer_reference"],
                condition=models.Q(status="draft"),
                name="topi_offer_one_draft_per_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.seller_offer_reference} ({self.status})"

    @transition(field=status, source=_sources("mark_created"), target=_target("mark_created"))
    def mark_created(self) -> None:
        """topi answered createOffer."""

    @transition(field=status, source=_sources("begin_review"), target=_target("begin_review"))
    def begin_review(self) -> None:
        """The customer checked out and topi's risk review needs more information."""

    @transition(field=status, source=_sources("accept"), target=_target("accept"))
    def accept(self) -> None:
        """topi approved: a binding rental agreement exists."""

    @transition(field=status, source=_sources("decline"), target=_target("decline"))
    def decline(self) -> None:
        """topi's risk review declined."""

    @transition(field=status, source=_sources("void"), target=_target("void"))
    def void(self) -> None:
        """The shop voided the offer."""

    @transition(field=status, source=_sources("expire"), target=_target("expire"))
    def expire(self) -> None:
        """``expires_at`` passed."""

    @transition(field=status, source=_sources("reject"), target=_target("reject"))
    def reject(self) -> None:
        """topi refused the offer (its deprecated ``rejected`` status, on legacy offers)."""


class OfferLine(models.Model):
    """A line of an offer, as the shop sent it and then as topi returned it."""

    #: What a line says of its product, wherever a line is shown.
    DESCRIPTION = (
        "position",
        "title",
        "subtitle",
        "quantity",
        "product_source",
        "product_reference",
    )

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    topi_line_id = models.CharField(_("topi line id"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=500)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    product_source = models.CharField(_("product reference source"), max_length=255, blank=True)
    product_reference = models.CharField(_("product reference"), max_length=255, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    price_net = models.BigIntegerField(_("line total net (minor units)"))
    price_gross = models.BigIntegerField(_("line total gross (minor units)"), null=True, blank=True)
    raw = models.JSONField(_("as topi sent it"), default=dict, blank=True)

    class Meta:
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")
        ordering = ["offer_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "position"], name="topi_offerline_position")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"  # noqa: RUF001
