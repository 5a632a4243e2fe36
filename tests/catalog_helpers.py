"""Products, topi answers and command runners shared by the catalog and rental price tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import responses
from django.core.management import call_command

from django_topi.catalog import CatalogProduct
from tests import adapters
from tests.conftest import API

IMPORT_URL = f"{API}/v1/catalog/import"
PRICES_URL = f"{API}/v1/catalog/list-recommended-rental-prices"
OVERVIEW_URL = f"{API}/v1/catalog/carts/rental-overview"
CHECK_URL = f"{API}/v1/catalog/check-supported"
IMPORTS_URL = f"{API}/v1/catalog/imports"
JOB_ID = "739b63c2-9e58-4964-b38d-4ebb424de242"
UPLOAD_URL = "https://storage.example.test/bucket/catalog.csv?X-Signature=abc"


def laptop(**changes: Any) -> CatalogProduct:
    fields: dict[str, Any] = {
        "title": "Pro Laptop 14",
        "references": ["pro-laptop-14"],
        "price_gross": Decimal("1546.81"),
        "tax_rate": Decimal("19"),
    }
    return CatalogProduct(**{**fields, **changes})


def numbered(count: int, *, start: int = 0) -> Iterator[CatalogProduct]:
    """``count`` valid products, made one at a time as they are read."""
    for n in range(start, start + count):
        yield laptop(title=f"Laptop {n}", references=[f"sku-{n}"], price_gross=Decimal("119.00"))


def use_catalog(settings: Any, monkeypatch: pytest.MonkeyPatch, products: Iterable[Any]) -> None:
    """Point TOPI["CATALOG_ADAPTER"] at ``products``."""
    settings.TOPI = {**settings.TOPI, "CATALOG_ADAPTER": "tests.adapters.catalog_products"}
    monkeypatch.setattr(adapters, "CURRENT_CATALOG", products)


def body(call: responses.Call) -> Any:
    raw = call.request.body
    return json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))


class Terminal(StringIO):
    """Output that says it is a terminal, so progress bars draw."""

    def isatty(self) -> bool:
        return True


def run(command: str, *args: str, stdout: StringIO | None = None) -> str:
    out = stdout if stdout is not None else StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def price_for(reference: dict[str, str], *, summary: str | None = None, net: int = 2345) -> dict:
    """topi's ProductRentalPricingDetails for a product it rents out."""
    answer: dict[str, Any] = {
        "seller_product_reference": reference,
        "has_rental_terms": True,
        "monthly_rental_amount": net,
        "monthly_rental_terms": {
            "id": JOB_ID,
            "duration": 36,
            "monthly_amount": {"currency": "EUR", "net": net, "gross": round(net * 1.19),
                               "tax_rate": 1900},
        },
        "currency": "EUR",
    }  # fmt: skip
    if summary is not None:
        answer["summary"] = summary
    return answer


def prices_callback(*, unsupported: frozenset[str] = frozenset(), summary: bool = True) -> Any:
    """A topi that prices every requested product at €23.45/month (except ``unsupported``)."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        items = []
        for item in json.loads(request.body)["pricing_requests"]:
            reference = item["seller_product_reference"]
            if reference["reference"] in unsupported:
                items.append({"seller_product_reference": reference, "has_rental_terms": False})
            else:
                text = "Rent with topi from €23.45/month" if summary else None
                items.append(price_for(reference, summary=text))
        return 200, {"Content-Type": "application/json"}, json.dumps(items)

    return answer
