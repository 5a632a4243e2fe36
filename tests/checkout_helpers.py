"""A cart and topi's answers for the checkout tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_topi.cart import Address, Cart, CartLine, Customer, Shipping
from tests import payloads

BERLIN = Address(line1="Musterstr. 1", city="Berlin", postal_code="10243", country_code="DE",
                 recipient_name="Felix Wolf")  # fmt: skip
OFFER_ID = payloads.offer()["id"]
CHECKOUT_URL = payloads.offer()["checkout_redirect_url"]


def demo_cart(**changes: Any) -> Cart:
    fields: dict[str, Any] = {
        "reference": "SO-100234",
        "lines": [
            CartLine(title="Pro Laptop 14", quantity=2, unit_price_net=Decimal("1299.00"),
                     currency="EUR", product_reference="pro-laptop-14", tax_rate=Decimal("19")),
            CartLine(title="Laptop Sleeve", quantity=1, unit_price_net=Decimal("29.90"),
                     currency="EUR", product_reference="laptop-sleeve", tax_rate=Decimal("19")),
        ],
        "customer": Customer(email="alice@unicorn.example", full_name="Alice Example",
                             company_name="Unicorn Corp"),
        "shipping_address": BERLIN,
        "shipping": Shipping(reference="DHL Standard", price_net=Decimal("5.00"), currency="EUR",
                             tax_rate=Decimal("19")),
    }  # fmt: skip
    return Cart(**{**fields, **changes})


def created_offer(**changes: Any) -> dict[str, Any]:
    """topi's createOffer answer for ``demo_cart()``."""
    return payloads.offer("created", **changes)
