"""django-topi's models: local copies of topi's offers and orders, and their audit trail."""

from django_topi.models.offer import Offer, OfferLine
from django_topi.models.order import Asset, Order, Shipment
from django_topi.models.status_change import Origin, StatusChange
from django_topi.models.webhook import WebhookEvent

__all__ = [
    "Asset",
    "Offer",
    "OfferLine",
    "Order",
    "Origin",
    "Shipment",
    "StatusChange",
    "WebhookEvent",
]
