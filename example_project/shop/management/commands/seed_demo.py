"""Fill the example shop with products and three logins; safe to run again."""

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand

from shop.models import Product

PRODUCTS = [
    ("pro-laptop-14", "Pro Laptop 14", "Acme", Decimal("1299.00"),
     "14-inch business laptop, 32 GB memory, 1 TB SSD."),
    ("pro-laptop-16", "Pro Laptop 16", "Acme", Decimal("1899.00"),
     "16-inch workstation laptop for design and engineering."),
    ("office-monitor-27", 'Office Monitor 27"', "Viewtech", Decimal("349.00"),
     "27-inch 4K monitor with USB-C power delivery."),
    ("docking-station", "USB-C Docking Station", "Acme", Decimal("189.00"),
     "One cable for power, two screens, network and USB."),
    ("business-phone", "Business Phone X", "Phonecorp", Decimal("799.00"),
     "A business smartphone with five years of updates."),
    ("laptop-sleeve", "Laptop Sleeve", "Bagworks", Decimal("29.90"),
     "A padded sleeve for 14-inch laptops."),
]  # fmt: skip
#: What the demo's staff user may do: see topi's offers and orders and act on them at topi.
STAFF_PERMISSIONS = [
    "view_offer", "view_order", "view_statuschange", "view_shipment", "view_webhookevent",
    "acknowledge_order", "confirm_order", "reject_order", "ship_order", "void_offer",
    "resolve_offer_conflict", "resolve_order_conflict",
]  # fmt: skip
LOGINS = "staff login staff / staff (topi actions only), admin / admin; customer / customer"


class Command(BaseCommand):
    help = "Create the demo products, a staff user, an admin and a customer (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        for sku, title, manufacturer, net_price, description in PRODUCTS:
            Product.objects.update_or_create(
                sku=sku,
                defaults={
                    "title": title,
                    "manufacturer": manufacturer,
                    "net_price": net_price,
                    "description": description,
                },
            )
        users = get_user_model()
        if not users.objects.filter(username="admin").exists():
            users.objects.create_superuser("admin", "admin@shop.example", "admin")
        staff, created = users.objects.get_or_create(
            username="staff", defaults={"is_staff": True, "email": "staff@shop.example"}
        )
        if created:
            staff.set_password("staff")
            staff.save()
        staff.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="django_topi", codename__in=STAFF_PERMISSIONS
            )
        )
        customer, created = users.objects.get_or_create(
            username="customer",
            defaults={
                "email": "alex@unicorn.example",
                "first_name": "Alex",
                "last_name": "Example",
            },
        )
        if created:
            customer.set_password("customer")
            customer.save()
        self.stdout.write(self.style.SUCCESS(f"{len(PRODUCTS)} products ready; {LOGINS}."))
