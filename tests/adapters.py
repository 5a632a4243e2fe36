"""Adapters the tests point TOPI["CART_ADAPTER"] and TOPI["CATALOG_ADAPTER"] at."""

from __future__ import annotations

from typing import Any

from django_topi.cart import Cart

NOT_CALLABLE = 42

#: The cart the next request sees; tests set it through the ``shop_cart`` fixture.
CURRENT_CART: Cart | None = None


def get_cart(request: Any) -> Cart | None:
    return CURRENT_CART


def catalog_products() -> list[Any]:
    return []
