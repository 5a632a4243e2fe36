"""Which of the shop's products topi supports, and on which terms (``check_products``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django_topi.batching import batched
from django_topi.client import (
    TopiClient,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.pricing import RentalPrice
from django_topi.products import (
    JSON,
    CatalogProduct,
    ProductReference,
    is_int,
    reference_of,
)


@dataclass(frozen=True)
class ProductSupport:
    """topi's answer about one product: known, supported, and on which terms."""

    reference: ProductReference
    title: str
    known: bool
    supported: bool = False
    can_rent: bool = False
    can_pay_now: bool = False
    rent_months: int | None = None
    rental_price: RentalPrice | None = None
    problem: str = ""


def check_products(
    products: Iterable[CatalogProduct],
    *,
    batch_size: int | None = None,
    with_prices: bool = False,
    client: TopiClient | None = None,
) -> Iterator[ProductSupport]:
    """Ask ``POST /v1/catalog/check-supported`` about each product's main reference, in batches.

    With ``with_prices`` each batch also asks for the recommended rental prices. Products topi
    does not list in its answer are not in its catalog (``known`` is false).
    """
    for batch in batched(products, batch_size or topi_settings.CATALOG_BATCH_SIZE):
        checkable: list[CatalogProduct] = []
        for product in batch:
            problems = product.reference_problems()
            if problems:
                reference = (product.seller_product_references() or [ProductReference("?", "?")])[0]
                yield ProductSupport(reference, product.title, False, problem="; ".join(problems))
            else:
                checkable.append(product)
        if not checkable:
            continue
        client = client or get_client()
        answer = client.check_supported(
            {"seller_product_references": [p.reference.to_topi() for p in checkable]}
        )
        summaries = {
            reference_of(item): item
            for item in (answer or {}).get("products") or []
            if isinstance(item, dict)
        }
        prices = _prices_for(client, checkable) if with_prices else {}
        for product in checkable:
            yield _support(product, summaries.get(product.reference), prices.get(product.reference))


def _prices_for(
    client: TopiClient, products: list[CatalogProduct]
) -> dict[ProductReference, RentalPrice]:
    pricing = []
    for product in products:
        try:
            pricing.append(product.pricing_request())
        except (TypeError, ValueError):
            pricing.append({"seller_product_reference": product.reference.to_topi()})
    answer = client.recommended_rental_prices({"pricing_requests": pricing})
    prices = {}
    for item in answer if isinstance(answer, list) else []:
        price = RentalPrice.from_topi(item) if isinstance(item, dict) else None
        if price is not None:
            prices[price.reference] = price
    return prices


def _support(
    product: CatalogProduct, item: dict[str, JSON] | None, price: RentalPrice | None
) -> ProductSupport:
    if item is None:
        return ProductSupport(product.reference, product.title, known=False, rental_price=price)
    terms = item.get("available_contract_terms") or {}
    rent = terms.get("rent") or {}
    months = rent.get("duration")
    return ProductSupport(
        reference=product.reference,
        title=product.title,
        known=True,
        supported=item.get("is_supported") is True,
        can_rent=terms.get("can_rent") is True,
        can_pay_now=terms.get("can_pay_now") is True,
        rent_months=months if is_int(months) else None,
        rental_price=price,
    )
