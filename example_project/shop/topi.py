"""What the example shop hands django-topi about its products: ``TOPI["PRODUCT_ADAPTER"]`` for
rental prices, and ``TOPI["CATALOG_ADAPTER"]`` for ``topi_sync_catalog``."""

from __future__ import annotations

from collections.abc import Iterator

from django_topi.catalog import CatalogProduct
from shop.models import Product


def catalog_product(product: Product) -> CatalogProduct:
    """One product as topi's catalog knows it: its SKU is the reference."""
    return CatalogProduct(
        title=product.title,
        references=[product.sku],
        price_gross=product.gross_price,
        price_net=product.net_price,
        tax_rate=product.tax_rate,
        is_active=product.is_active,
        manufacturer=product.manufacturer or None,
        description=product.description or None,
    )


def catalog_products() -> Iterator[CatalogProduct]:
    """Every product of the shop, for ``topi_sync_catalog``."""
    for product in Product.objects.order_by("pk").iterator():
        yield catalog_product(product)
