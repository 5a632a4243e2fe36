"""The shop's products as topi's catalog knows them: ``CatalogProduct`` and its references
(importable from ``django_topi.catalog`` too).

A shop describes each product once as a ``CatalogProduct``: ``TOPI["CATALOG_ADAPTER"]`` yields
them for the catalog push, ``TOPI["PRODUCT_ADAPTER"]`` turns one shop object into one for rental
prices. Plain values and the two adapters: nothing here talks to topi.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import InitVar, dataclass
from decimal import Decimal
from typing import Any, TypeGuard

from django.core.exceptions import ImproperlyConfigured

from django_topi.conf import topi_settings
from django_topi.conventions import (
    NO_DECIMAL,
    REFERENCE,
    REQUIRED,
    ProductReference,
    as_reference,
    deprecated,
    renamed,
)
from django_topi.money import (
    MoneyAmount,
    from_minor_units,
    net_from_gross,
    tax_rate_to_topi,
    to_minor_units,
)

JSON = Any

#: ``AddProduct.seller_product_type`` as topi's spec enumerates it.
PRODUCT_TYPES = ("hardware", "software", "service", "hardware_built_to_order")
MAX_DESCRIPTION_LENGTH = 2000


@dataclass(frozen=True)
class Category:
    """A category in the shop, as topi's ``seller_categories`` take it."""

    id: str
    name: str
    parent_id: str | None = None


@dataclass
class CatalogProduct:
    """A product as the shop hands it to topi; ``price_gross`` is the unit price with tax.

    ``references`` are ``ProductReference(source, reference)`` items, or bare references with
    the source ``TOPI["PRODUCT_REFERENCE_SOURCE"]``; the first one is the product's reference in
    carts and rental prices. topi needs the net price too: give ``tax_rate`` (percent) to derive
    it, or ``price_net`` when the shop stores it.
    """

    title: str
    references: Sequence[ProductReference | str]
    price_gross: Decimal = NO_DECIMAL
    is_active: bool = True
    currency: str = "EUR"
    tax_rate: Decimal | None = None
    price_net: Decimal | None = None
    product_type: str | None = None
    manufacturer: str | None = None
    subtitle: str | None = None
    description: str | None = None
    image_url: str | None = None
    ean: str | None = None
    mpn: str | None = None
    categories: Sequence[Category] = ()
    url: str | None = None
    #: Deprecated: ``price_gross``.
    price: InitVar[Decimal | None] = None
    #: Deprecated: ``price_net``.
    net_price: InitVar[Decimal | None] = None

    def __post_init__(self, price: Decimal | None, net_price: Decimal | None) -> None:
        if price is not None:
            deprecated("CatalogProduct(price=...)", "CatalogProduct(price_gross=...)", 4)
            if self.price_gross is REQUIRED:
                self.price_gross = price
        if net_price is not None:
            deprecated("CatalogProduct(net_price=...)", "CatalogProduct(price_net=...)", 4)
            if self.price_net is None:
                self.price_net = net_price
        if self.price_gross is REQUIRED:
            raise TypeError("CatalogProduct() needs price_gross")
        if any(
            isinstance(r, tuple) and not isinstance(r, ProductReference) for r in self.references
        ):
            deprecated(
                "a product reference as a plain tuple", "ProductReference(source, reference)", 4
            )
            self.references = [
                ProductReference(*r) if isinstance(r, tuple) else r for r in self.references
            ]

    def seller_product_references(self) -> list[ProductReference]:
        """Every reference as a ``(source, reference)`` pair, the default source filled in."""
        default_source = topi_settings.PRODUCT_REFERENCE_SOURCE
        return [as_reference(ref, default_source) for ref in self.references]

    @property
    def reference(self) -> ProductReference:
        """The product's main reference (the first), used in carts and rental prices."""
        references = self.seller_product_references()
        if not references:
            raise ValueError(f"{self.title!r} has no reference")
        return references[0]

    def price_amount(self) -> MoneyAmount:
        """topi's money object for ``price``: gross, net and the tax rate, in minor units."""
        currency = self.currency.upper()
        gross = to_minor_units(self.price_gross, currency)
        rate = None if self.tax_rate is None else tax_rate_to_topi(self.tax_rate)
        if self.price_net is not None:
            net = to_minor_units(self.price_net, currency)
        elif rate is not None:
            net = net_from_gross(gross, rate)
        else:
            raise ValueError(
                "give a tax_rate (percent) or a net_price (now price_net), so the net price is known"
            )
        amount: MoneyAmount = {"currency": currency, "gross": gross, "net": net}
        if rate is not None:
            amount["tax_rate"] = rate
        return amount

    def problems(self) -> list[str]:
        """Everything topi would refuse about this product, in words (empty when all is well)."""
        errors: list[str] = []
        if not (self.title or "").strip():
            errors.append("no title")
        errors += self.reference_problems()
        try:
            amount = self.price_amount()
        except (TypeError, ValueError) as exc:
            errors.append(f"price: {exc}")
        else:
            if amount["gross"] < 0 or amount["net"] < 0 or amount["net"] > amount["gross"]:
                errors.append("price: net and gross must be positive, net at most gross")
        if self.product_type is not None and self.product_type not in PRODUCT_TYPES:
            errors.append(
                f"product_type {self.product_type!r} is not one of {', '.join(PRODUCT_TYPES)}"
            )
        if self.description and len(self.description) > MAX_DESCRIPTION_LENGTH:
            errors.append(f"the description is longer than {MAX_DESCRIPTION_LENGTH} characters")
        for name in ("image_url", "url"):
            value = getattr(self, name)
            if value and not str(value).startswith(("https://", "http://")):
                errors.append(f"{name} {value!r} is not an http(s) URL")
        errors += [
            f"category {category!r} needs an id and a name"
            for category in self.categories
            if not (category.id and category.name)
        ]
        return errors

    def reference_problems(self) -> list[str]:
        """What is wrong with the references (they are all topi needs to check a product)."""
        references = self.seller_product_references()
        errors = [] if references else ["no reference"]
        for source, reference in references:
            if not source.strip() or "|" in source:
                errors.append(f"the reference source {source!r} is empty or contains '|'")
            if not REFERENCE.match(reference):
                errors.append(
                    f"the reference {reference!r} may only contain letters, digits, '.', '_', '-'"
                )
        return errors

    def to_topi(self) -> dict[str, JSON]:
        """The ``AddProduct`` body of ``POST /v1/catalog/import``."""
        body: dict[str, JSON] = {
            "title": self.title,
            "is_active": bool(self.is_active),
            "price": self.price_amount(),
            "seller_product_references": [r.to_topi() for r in self.seller_product_references()],
        }
        for key, value in (
            ("subtitle", self.subtitle),
            ("description", self.description),
            ("manufacturer", self.manufacturer),
            ("seller_product_type", self.product_type),
            ("shop_product_description_url", self.url),
        ):
            if value:
                body[key] = value
        if self.image_url:
            body["image"] = {"url": self.image_url}
        identifiers = [
            {"identifier_type": kind, "id": value}
            for kind, value in (("EAN", self.ean), ("MPN", self.mpn))
            if value
        ]
        if identifiers:
            body["product_standard_identifiers"] = identifiers
        if self.categories:
            body["seller_categories"] = [_category(c) for c in self.categories]
        return body

    def to_csv_row(self) -> dict[str, str]:
        """One row of topi's CSV import; prices in whole currency units ("2499.00").

        topi's CSV takes one category per product: the first one is written.
        """
        amount = self.price_amount()
        references = self.seller_product_references()
        category = self.categories[0] if self.categories else None
        row = {
            "title": self.title,
            "reference": "|".join(r.reference for r in references),
            "reference_source": "|".join(r.source for r in references),
            "is_active": "true" if self.is_active else "false",
            "price_gross": str(from_minor_units(amount["gross"], amount["currency"])),
            "price_net": str(from_minor_units(amount["net"], amount["currency"])),
            "currency": amount["currency"],
            "manufacturer": self.manufacturer,
            "subtitle": self.subtitle,
            "description": self.description,
            "ean": self.ean,
            "mpn": self.mpn,
            "image_url": self.image_url,
            "seller_category_id": category.id if category else None,
            "seller_category_name": category.name if category else None,
            "seller_category_parent_id": category.parent_id if category else None,
            "seller_product_type": self.product_type,
            "shop_product_description_url": self.url,
        }
        return {key: value or "" for key, value in row.items()}

    def pricing_request(self) -> dict[str, JSON]:
        """A ``PricingRequest`` of ``POST /v1/catalog/list-recommended-rental-prices``."""
        return {"seller_product_reference": self.reference.to_topi(), "price": self.price_amount()}


# The old names read as before for one release (the dataclass took their defaults already).
setattr(CatalogProduct, "price", renamed("price", "price_gross"))  # noqa: B010
setattr(CatalogProduct, "net_price", renamed("net_price", "price_net"))  # noqa: B010


def _category(category: Category) -> dict[str, str]:
    body = {"id": category.id, "name": category.name}
    if category.parent_id:
        body["parent_category_id"] = category.parent_id
    return body


def catalog_products() -> Iterable[CatalogProduct]:
    """The shop's catalog, as ``TOPI["CATALOG_ADAPTER"]`` yields it."""
    adapter = topi_settings.import_adapter("CATALOG_ADAPTER")
    if adapter is None:
        raise ImproperlyConfigured(
            "TOPI['CATALOG_ADAPTER'] is not set. Point it at a function that yields "
            "django_topi.catalog.CatalogProduct items, e.g. 'myshop.topi.catalog_products'."
        )
    products: Iterable[CatalogProduct] = adapter()
    return products


def as_catalog_product(obj: object) -> CatalogProduct | None:
    """``obj`` as a ``CatalogProduct``: itself, or what ``TOPI["PRODUCT_ADAPTER"]`` makes of it."""
    if isinstance(obj, CatalogProduct):
        return obj
    adapter = topi_settings.import_adapter("PRODUCT_ADAPTER")
    if adapter is None:
        raise ImproperlyConfigured(
            f"Rental prices need a django_topi.catalog.CatalogProduct, not a "
            f"{type(obj).__name__}. Set TOPI['PRODUCT_ADAPTER'] to a function that turns the "
            "shop's product into one, e.g. 'myshop.topi.catalog_product'."
        )
    product = adapter(obj)
    if product is not None and not isinstance(product, CatalogProduct):
        raise TypeError(
            f"TOPI['PRODUCT_ADAPTER'] must return a CatalogProduct or None, "
            f"not {type(product).__name__}"
        )
    return product


def reference_of(item: Mapping[str, JSON]) -> ProductReference:
    """The ``seller_product_reference`` of one item of topi's answer."""
    reference = item.get("seller_product_reference") or {}
    return ProductReference(str(reference.get("source")), str(reference.get("reference")))


def is_int(value: object) -> TypeGuard[int]:
    """A JSON integer (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "PRODUCT_TYPES",
    "CatalogProduct",
    "Category",
    "ProductReference",
    "as_catalog_product",
    "catalog_products",
    "is_int",
    "reference_of",
]
