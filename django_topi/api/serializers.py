"""How offers look in the API."""

from __future__ import annotations

from rest_framework import serializers

from django_topi.models import Offer


class OfferSerializer(serializers.ModelSerializer[Offer]):
    reference = serializers.CharField(source="seller_offer_reference", read_only=True)
    checkout_url = serializers.SerializerMethodField()
    order_id = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "reference",
            "topi_id",
            "status",
            "environment",
            "currency",
            "amount_net",
            "amount_gross",
            "expires_at",
            "checkout_url",
            "order_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_checkout_url(self, offer: Offer) -> str | None:
        """topi's checkout page while the offer is open, else null."""
        return offer.checkout_redirect_url if offer.status == "created" else None

    def get_order_id(self, offer: Offer) -> str | None:
        """topi's id of the order made from this offer, once there is one."""
        order = next(iter(offer.orders.all()), None)
        return order.topi_id if order is not None else None


class CheckoutSerializer(serializers.Serializer[None]):
    offer = OfferSerializer()
    checkout_url = serializers.URLField()


class ErrorSerializer(serializers.Serializer[None]):
    code = serializers.CharField()
    detail = serializers.CharField()
