"""What the simulated topi knows: its catalog, shipping methods, offers, orders and deliveries.

These are the simulator's own tables (app label ``topi_simulator``); nothing here is the shop's.
Statuses are topi's words, held as plain strings: the simulator moves them as topi would.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models


def new_id() -> str:
    return str(uuid.uuid4())


def new_token() -> str:
    return secrets.token_urlsafe(16)


class SimProduct(models.Model):
    """A product the shop imported into the simulated catalog."""

    topi_id = models.CharField(max_length=36, unique=True, default=new_id)
    source = models.CharField(max_length=255)
    reference = models.CharField(max_length=255)
    title = models.CharField(max_length=500)
    subtitle = models.CharField(max_length=500, blank=True)
    product_type = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    currency = models.CharField(max_length=3, default="EUR")
    price_net = models.BigIntegerField()
    price_gross = models.BigIntegerField()
    #: topi's tax rate: the percentage times 100 (19 % is 1900).
    tax_rate = models.PositiveIntegerField(default=1900)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="topi_sim_product_ref")
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.reference}"


class SimShippingMethod(models.Model):
    topi_id = models.CharField(max_length=36, unique=True, default=new_id)
    reference = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, blank=True)
    is_in_store_pickup = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.reference


class SimRecord(models.Model):
    """What topi keeps of every offer and order: its id, its status and when it changed."""

    topi_id = models.CharField(max_length=36, unique=True, default=new_id)
    status = models.CharField(max_length=32, default="created", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


class SimOffer(SimRecord):
    """An offer as topi keeps it: the shop's request, and what topi made of it."""

    token = models.CharField(max_length=64, default=new_token)
    seller_offer_reference = models.CharField(max_length=255, db_index=True)
    sales_channel = models.CharField(max_length=32)
    expires_at = models.DateTimeField()
    #: The createOffer (or edit) body as the shop sent it.
    request = models.JSONField(default=dict)
    #: topi's ``OfferLineResult`` list, priced when the offer was made.
    lines = models.JSONField(default=list)
    #: The simulator's own address as the shop called it (pages and links are under it).
    base_url = models.CharField(max_length=2000)
    #: Where the shop's webhooks go, as known when the offer was made.
    webhook_url = models.CharField(max_length=2000, blank=True)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.seller_offer_reference} ({self.status})"


class SimOrder(SimRecord):
    offer = models.OneToOneField(SimOffer, on_delete=models.CASCADE, related_name="order")
    canceled_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict)
    tracking_urls = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.offer.seller_offer_reference} ({self.status})"


class SimAsset(models.Model):
    """One unit of an order: each rented or bought device is shipped on its own."""

    topi_id = models.CharField(max_length=36, unique=True, default=new_id)
    order = models.ForeignKey(SimOrder, on_delete=models.CASCADE, related_name="assets")
    product_id = models.CharField(max_length=36)
    source = models.CharField(max_length=255)
    reference = models.CharField(max_length=255)
    title = models.CharField(max_length=500)
    status = models.CharField(max_length=32, default="created")
    serial_number = models.CharField(max_length=255, blank=True)
    tracking_url = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class SimImportJob(models.Model):
    """A CSV catalog import: created, uploaded to its URL, then processed over a few polls."""

    topi_id = models.CharField(max_length=36, unique=True, default=new_id)
    upload_token = models.CharField(max_length=64, default=new_token)
    base_url = models.CharField(max_length=2000)
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=32, default="pending")
    content = models.TextField(blank=True)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class SimDelivery(models.Model):
    """A webhook the simulated topi sends the shop, with every attempt's answer."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    msg_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    topi_id = models.CharField(max_length=36)
    url = models.CharField(max_length=2000, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_answer = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} {self.topi_id} ({self.status})"
