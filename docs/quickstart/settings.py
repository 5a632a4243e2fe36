import os

INSTALLED_APPS += [
    "rest_framework",
    "django_topi",
]

TOPI = {
    # "simulator": a local topi, no account needed. Then "sandbox", then "production".
    "ENVIRONMENT": os.environ.get("TOPI_ENVIRONMENT", "simulator"),
    # Issued by topi, one pair per environment (the simulator needs none).
    "CLIENT_ID": os.environ.get("TOPI_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("TOPI_CLIENT_SECRET", ""),
    # The "whsec_..." secret topi signs its webhooks with.
    "WEBHOOK_SECRETS": os.environ.get("TOPI_WEBHOOK_SECRET", "").split(),
    # What the shop tells django-topi: shop/topi.py below.
    "CART_ADAPTER": "shop.topi.get_cart",
    "PRODUCT_ADAPTER": "shop.topi.catalog_product",
    "CATALOG_ADAPTER": "shop.topi.catalog_products",
}

if TOPI["ENVIRONMENT"] == "simulator":  # development only: it refuses to run with DEBUG off
    INSTALLED_APPS += ["django_topi.simulator"]
