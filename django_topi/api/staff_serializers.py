"""How orders and offers look in the staff API, and the bodies its actions take."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from django_topi.fulfilment import (
    METADATA_VALUE_MAX_LENGTH,
    SERIAL_NUMBER_MAX_LENGTH,
    TRACKING_URL_MAX_LENGTH,
    dashboard_url,
)
from django_topi.models import Asset, Offer, OfferLine, Order, Shipment, StatusChange


class StatusChangeSerializer(serializers.ModelSerializer[StatusChange]):
    user = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = ["source", "target", "transition", "origin", "user", "created_at"]
        read_only_fields = fields

    def get_user(self, change: StatusChange) -> str | None:
        """The username of whoever made the change, if someone did."""
        return change.user.get_username() if change.user is not None else None


class AssetSerializer(serializers.ModelSerializer[Asset]):
    id = serializers.CharField(source="topi_id", read_only=True)

    class Meta:
        model = Asset
        fields = [
            "id",
            "product_id",
            "title",
            "status",
            "serial_number",
            "tracking_url",
            "product_references",
        ]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer[Shipment]):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = ["tracking_url", "serial_numbers", "metadata", "created_by", "created_at"]
        read_only_fields = fields

    def get_created_by(self, shipment: Shipment) -> str | None:
        """The username of whoever reported the shipment."""
        return shipment.created_by.get_username() if shipment.created_by is not None else None


#: What each offer and order says first and last: who it is at topi, and when.
HEAD = ["topi_id", "reference", "status", "environment"]
TAIL = ["topi_created_at", "created_at", "updated_at"]


class StaffOrderSerializer(serializers.ModelSerializer[Order]):
    """An order in a list: what the row holds, no related rows."""

    reference = serializers.CharField(source="seller_offer_reference", read_only=True)
    offer_id = serializers.CharField(source="offer_topi_id", read_only=True)

    class Meta:
        model = Order
        fields = [*HEAD, "offer_id", "company_name", "email", "conflict", *TAIL]
        read_only_fields = fields


class StaffOrderDetailSerializer(StaffOrderSerializer):
    """One order with its units, shipments and status timeline."""

    assets = AssetSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)
    status_changes = StatusChangeSerializer(many=True, read_only=True)
    dashboard_url = serializers.SerializerMethodField()

    class Meta(StaffOrderSerializer.Meta):
        fields = [
            *StaffOrderSerializer.Meta.fields,
            "customer",
            "shipping_address",
            "shipping_info",
            "order_lines",
            "tracking_urls",
            "metadata",
            "canceled_at",
            "rejection_reason",
            "dashboard_url",
            "assets",
            "shipments",
            "status_changes",
        ]
        read_only_fields = fields

    def get_dashboard_url(self, order: Order) -> str | None:
        """topi's page for the order's offer, when topi sent one."""
        return dashboard_url(order.offer)


class StaffOfferSerializer(serializers.ModelSerializer[Offer]):
    """An offer in a list. The checkout URL is left out: it carries the customer's token."""

    reference = serializers.CharField(source="seller_offer_reference", read_only=True)

    class Meta:
        model = Offer
        fields = [
            *HEAD,
            "company_name",
            "email",
            "currency",
            "amount_net",
            "amount_gross",
            "expected_currency",
            "expected_amount_net",
            "expected_amount_gross",
            "expires_at",
            "conflict",
            "failure_code",
            "failure_reason",
            *TAIL,
        ]
        read_only_fields = fields


class OfferLineSerializer(serializers.ModelSerializer[OfferLine]):
    class Meta:
        model = OfferLine
        fields = [
            *OfferLine.DESCRIPTION,
            "currency",
            "price_net",
            "price_gross",
        ]
        read_only_fields = fields


class StaffOfferDetailSerializer(StaffOfferSerializer):
    lines = OfferLineSerializer(many=True, read_only=True)
    status_changes = StatusChangeSerializer(many=True, read_only=True)
    orders = serializers.SerializerMethodField()
    dashboard_url = serializers.SerializerMethodField()

    class Meta(StaffOfferSerializer.Meta):
        fields = [
            *StaffOfferSerializer.Meta.fields,
            "sales_channel",
            "customer",
            "shipping_address",
            "shipping",
            "metadata",
            "dashboard_url",
            "lines",
            "orders",
            "status_changes",
        ]
        read_only_fields = fields

    def get_orders(self, offer: Offer) -> list[str]:
        """topi ids of the orders made from this offer."""
        return [order.topi_id for order in offer.orders.all() if order.topi_id]

    def get_dashboard_url(self, offer: Offer) -> str | None:
        """topi's page for the offer, when topi sent one."""
        return dashboard_url(offer)


class RejectSerializer(serializers.Serializer[None]):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Kept in django-topi only: topi's reject takes no reason.",
    )


class ShipItemSerializer(serializers.Serializer[None]):
    asset_id = serializers.CharField(help_text="topi's id of the unit (an order asset's id).")
    serial_number = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=SERIAL_NUMBER_MAX_LENGTH,
        help_text="Required for anything that can be rented; empty for accessories.",
    )


class ShipSerializer(serializers.Serializer[None]):
    items = ShipItemSerializer(many=True, help_text="One entry per unit shipped.")
    tracking_url = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TRACKING_URL_MAX_LENGTH,
        help_text="One tracking URL for the whole shipment.",
    )
    metadata = serializers.DictField(
        child=serializers.CharField(max_length=METADATA_VALUE_MAX_LENGTH, allow_blank=True),
        required=False,
        default=dict,
        help_text="Sent to topi with the shipment (text values, at most 400 characters each).",
    )


class OrderActionResultSerializer(serializers.Serializer[None]):
    detail = serializers.CharField(help_text="What happened, for staff.")
    already = serializers.BooleanField(help_text="topi was already there (a repeated request).")
    order = StaffOrderDetailSerializer()


class OfferActionResultSerializer(serializers.Serializer[None]):
    detail = serializers.CharField(help_text="What happened, for staff.")
    already = serializers.BooleanField(help_text="topi was already there (a repeated request).")
    offer = StaffOfferDetailSerializer()


class StaffErrorSerializer(serializers.Serializer[None]):
    """Every error answer of the staff API (documentation only)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    status = serializers.CharField(
        required=False, help_text="The status topi reported after it refused (invalid_status)."
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Declared here: a class attribute named "errors" would hide Serializer.errors.
        fields["errors"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Per field or per unit (by asset id), for invalid requests and shipments.",
        )
        return fields


def as_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's validation detail flattened to ``{"field": ["message", ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            for inner_key, messages in as_errors(value).items():
                name = key if inner_key == "non_field_errors" else f"{key}.{inner_key}"
                flat.setdefault(name, []).extend(messages)
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return {"non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            for key, messages in as_errors(item).items():
                name = str(index) if key == "non_field_errors" else f"{index}.{key}"
                flat.setdefault(name, []).extend(messages)
        return flat
    return {"non_field_errors": [str(detail)]}
