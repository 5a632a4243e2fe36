"""The example shop's own catalogue: what a real shop already has before it adds topi."""

from decimal import Decimal

from django.db import models


class Product(models.Model):
    sku = models.SlugField(unique=True, help_text="Sent to topi as the product reference.")
    title = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    net_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("19.00"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def gross_price(self) -> Decimal:
        gross = self.net_price * (1 + self.tax_rate / 100)
        return gross.quantize(Decimal("0.01"))
