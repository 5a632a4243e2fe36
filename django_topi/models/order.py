"""The order topi creates from an accepted offer, its assets and the shipments staff send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from django_topi.models.base import TopiRecord, plain_indexes
from django_topi.models.offer import Offer
from django_topi.states import ORDER_EDGES, AssetStatus, OrderStatus, sources_of, target_of


def _sources(transition: str) -> list[str]:
    return sources_of(ORDER_EDGES, transition)


def _target(transition: str) -> str:
    return target_of(ORDER_EDGES, transition)


class Order(ConcurrentTransitionMixin, TopiRecord):
    """A topi order. ``status`` is protected: only ``django_topi.sync`` moves it."""

    status = FSMField(
        _("status"),
        max_length=32,
        default=OrderStatus.CREATED,
        choices=OrderStatus.choices,
        protected=True,
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    offer_topi_id = models.CharField(_("topi offer id"), max_length=64, blank=True)
    shipping_info = models.JSONField(_("shipping"), default=dict, blank=True)
    order_lines = models.JSONField(_("order lines"), default=list, blank=True)
    tracking_urls = models.JSONField(_("tracking URLs"), default=list, blank=True)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    rejection_reason = models.TextField(
        _("rejection reason"),
        blank=True,
        help_text=_(
            "Why the shop rejected the order. Kept here only: topi's reject takes no reason."
        ),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        indexes = plain_indexes(
            "topi_order",
            "status",
            "seller_offer_reference",
            "company_name",
            "email",
            "offer_topi_id",
        )
        # The staff actions of django_topi.fulfilment, granted one by one.
        permissions = [
            ("acknowledge_order", _("Can acknowledge orders at topi")),
            ("confirm_order", _("Can confirm orders at topi")),
            ("reject_order", _("Can reject orders at topi")),
            ("ship_order", _("Can report shipments to topi")),
            ("resolve_order_conflict", _("Can mark order conflicts resolved")),
        ]

    def __str__(self) -> str:
        return f"{self.seller_offer_reference} ({self.status})"

    @transition(field=status, source=_sources("acknowledge"), target=_target("acknowledge"))
    def acknowledge(self) -> None:
        """The shop confirmed to topi that the order can be fulfilled."""

    @transition(field=status, source=_sources("confirm"), target=_target("confirm"))
    def confirm(self) -> None:
        """The shop can fulfil the order; the rental contracts are active."""

    @transition(field=status, source=_sources("reject"), target=_target("reject"))
    def reject(self) -> None:
        """The shop cannot fulfil the order."""

    @transition(
        field=status, source=_sources("fulfil_partially"), target=_target("fulfil_partially")
    )
    def fulfil_partially(self) -> None:
        """Some items were shipped."""

    @transition(field=status, source=_sources("complete"), target=_target("complete"))
    def complete(self) -> None:
        """Every item was shipped."""

    @transition(field=status, source=_sources("cancel"), target=_target("cancel"))
    def cancel(self) -> None:
        """topi or the customer canceled the order."""


class Asset(models.Model):
    """One physical unit of an order to ship (topi creates one per unit)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="assets")
    topi_id = models.CharField(_("topi asset id"), max_length=64, unique=True)
    product_id = models.CharField(_("topi product id"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=500)
    status = models.CharField(
        _("status"), max_length=32, choices=AssetStatus.choices, default=AssetStatus.CREATED
    )
    serial_number = models.CharField(_("serial number"), max_length=255, blank=True)
    tracking_url = models.CharField(_("tracking URL"), max_length=2000, blank=True)
    product_references = models.JSONField(_("seller product references"), default=list, blank=True)
    raw = models.JSONField(_("as topi sent it"), default=dict, blank=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["order_id", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class Shipment(models.Model):
    """A shipment the shop reported to topi: serial numbers per unit and one tracking URL."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    tracking_url = models.CharField(_("tracking URL"), max_length=2000, blank=True)
    serial_numbers = models.JSONField(_("serial numbers"), default=list, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raw = models.JSONField(_("topi's answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["order_id", "created_at"]

    def __str__(self) -> str:
        return f"{len(self.serial_numbers)} item(s) for {self.order}"
