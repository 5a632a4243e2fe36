"""Fill the example shop with products and a staff login; safe to run again."""

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from shop.models import Product

PRODUCTS = [
    ("pro-laptop-14", "Pro Laptop 14", "Acme", Decimal("1299.00")),
    ("pro-laptop-16", "Pro Laptop 16", "Acme", Decimal("1899.00")),
    ("office-monitor-27", 'Office Monitor 27"', "Viewtech", Decimal("349.00")),
    ("docking-station", "USB-C Docking Station", "Acme", Decimal("189.00")),
    ("business-phone", "Business Phone X", "Phonecorp", Decimal("799.00")),
    ("laptop-sleeve", "Laptop Sleeve", "Bagworks", Decimal("29.90")),
]


class Command(BaseCommand):
    help = "Create the demo products and an admin/admin staff user (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        for sku, title, manufacturer, net_price in PRODUCTS:
            Product.objects.update_or_create(
                sku=sku,
                defaults={"title": title, "manufacturer": manufacturer, "net_price": net_price},
            )
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@shop.example", "admin")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(PRODUCTS)} products ready; staff login admin / admin at /admin/."
            )
        )
