"""Adapters the settings tests point at."""

from typing import Any

NOT_CALLABLE = 42


def get_cart(request: Any) -> None:
    return None


def catalog_products() -> list[Any]:
    return []
