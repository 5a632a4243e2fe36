"""The shop's own products and basket, as a shop would already have them."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import models


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    net_price = models.DecimalField(max_digits=10, decimal_places=2)
    gross_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("19"))

    def __str__(self) -> str:
        return self.name


@dataclass
class BasketLine:
    product: Product
    quantity: int


class Basket:
    """Products and quantities in the session, and who buys (from the shop's checkout form)."""

    email = "buyer@customer.example"
    company = "Customer GmbH"
    street = "Hauptstrasse 1"
    postal_code = "10115"
    city = "Berlin"
    country = "DE"

    def __init__(self, session) -> None:
        self.session = session

    @classmethod
    def for_request(cls, request) -> "Basket":
        return cls(request.session)

    @property
    def reference(self) -> str:
        return self.session.setdefault("basket", str(uuid.uuid4()))

    @property
    def lines(self) -> list[BasketLine]:
        quantities = self.session.get("basket_lines", {})
        products = Product.objects.filter(sku__in=quantities).order_by("pk")
        return [BasketLine(product, quantities[product.sku]) for product in products]

    def add(self, sku: str) -> None:
        quantities = self.session.get("basket_lines", {})
        quantities[sku] = quantities.get(sku, 0) + 1
        self.session["basket_lines"] = quantities
        self.reference  # noqa: B018  (a basket has its reference from its first line)
