"""Adapters the tests point TOPI["CART_ADAPTER"] and TOPI["CATALOG_ADAPTER"] at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django_topi.cart import Cart

NOT_CALLABLE = 42

#: The cart the next request sees; tests set it through the ``shop_cart`` fixture.
CURRENT_CART: Cart | None = None


def get_cart(request: Any) -> Cart | None:
    return CURRENT_CART


#: What TOPI["CATALOG_ADAPTER"] yields next; tests set it through the ``shop_catalog`` fixture.
CURRENT_CATALOG: Iterable[Any] = ()


def catalog_products() -> Iterable[Any]:
    return CURRENT_CATALOG


@dataclass
class ShopProduct:
    """A shop's own product, as a shop's templates hold it (not a CatalogProduct)."""

    sku: str
    name: str
    gross_price: Decimal
    rentable: bool = True


def catalog_product(product: ShopProduct) -> Any:
    """TOPI["PRODUCT_ADAPTER"]: a shop product as topi sees it (None for one not offered)."""
    from django_topi.catalog import CatalogProduct

    if not product.rentable:
        return None
    return CatalogProduct(
        title=product.name,
        references=[product.sku],
        price_gross=product.gross_price,
        tax_rate=Decimal(19),
    )


def broken_product_adapter(product: Any) -> Any:
    raise RuntimeError("the shop's adapter has a bug")
