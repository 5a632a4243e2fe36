"""Rental prices and a cart's rental overview on the shop's pages, looked up gently.

``prefetch_rental_prices`` fetches "Rent with topi from €23.45/month" for a whole page in one
call, and ``cart_rental_overview`` asks whether a cart can be rented and for how much. Each
lookup tries this request's earlier answers, then Django's cache, then one call to topi.

These helpers never raise because of topi: when topi fails they log, the page renders without
prices, and topi is left alone for ``UNAVAILABLE_SECONDS`` so a slow topi cannot slow every page.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from django_topi.cart import Cart
from django_topi.client import (
    TopiError,
    TopiResponseError,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.money import (
    CURRENCY_EXPONENTS,
    format_price,
    money_amount,
)
from django_topi.products import (
    JSON,
    CatalogProduct,
    ProductReference,
    as_catalog_product,
    is_int,
    reference_of,
)

#: Every part of the catalog logs as "django_topi.catalog", as it always has.
logger = logging.getLogger("django_topi.catalog")

#: After topi failed a page's lookup, pages skip topi this long (rendering without prices).
UNAVAILABLE_SECONDS = 60
CACHE_PREFIX = "django_topi:catalog:v1"
UNAVAILABLE_KEY = f"{CACHE_PREFIX}:unavailable"
#: Where rental prices and overviews looked up during one request are kept (on the request).
REQUEST_MEMO = "_django_topi_catalog"
#: The request attribute with what each of the page's products asks topi for.
PRICED = "_django_topi_priced"


# -- rental prices on pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class RentalPrice:
    """topi's recommended rental price for a product: "Rent with topi from €23.45/month".

    ``monthly_amount`` is net, in minor units; ``summary`` is topi's own sentence in the
    language of the request, when topi sent one.
    """

    reference: ProductReference
    currency: str
    monthly_amount: int | None
    summary: str = ""
    months: int | None = None

    @classmethod
    def from_topi(cls, item: Mapping[str, JSON]) -> RentalPrice | None:
        """A ``ProductRentalPricingDetails``, or ``None`` when topi offers no rental for it."""
        if item.get("has_rental_terms") is not True:
            return None
        terms = item.get("monthly_rental_terms") or {}
        monthly = terms.get("monthly_amount") or {}
        amount = item.get("monthly_rental_amount", monthly.get("net"))
        currency = str(item.get("currency") or monthly.get("currency") or "").upper()
        summary = item.get("summary") if isinstance(item.get("summary"), str) else ""
        if not is_int(amount) or currency not in CURRENCY_EXPONENTS:
            amount = None
        if amount is None and not summary:
            return None
        months = terms.get("duration")
        return cls(
            reference=reference_of(item),
            currency=currency,
            monthly_amount=amount,
            summary=summary or "",
            months=months if is_int(months) else None,
        )

    @property
    def text(self) -> str:
        """topi's summary, else the amount formatted for the active language."""
        if self.summary:
            return self.summary
        assert self.monthly_amount is not None
        return _("Rent with topi from %(price)s/month") % {
            "price": format_price(self.monthly_amount, self.currency)
        }


class RentalPrices:
    """Rental prices of a page's products: ``prices.get(product)`` is a ``RentalPrice`` or None."""

    def __init__(self, found: Mapping[str, JSON], request: Any = None) -> None:
        self._found = dict(found)
        self._request = request

    def get(self, product: object) -> RentalPrice | None:
        pricing = _pricing_on(self._request, product)
        item = self._found.get(pricing[0]) if pricing else None
        return RentalPrice.from_topi(item) if item else None

    def __len__(self) -> int:
        return len(self._found)


def prefetch_rental_prices(products: Iterable[object], request: Any = None) -> RentalPrices:
    """The rental prices of all ``products`` with one ``recommended_rental_prices`` call at most.

    Prices come from this request's earlier lookups, then Django's cache (for
    ``TOPI["RENTAL_PRICE_CACHE_SECONDS"]``), then one call to topi for everything missing.
    Products are ``CatalogProduct`` items or shop objects for ``TOPI["PRODUCT_ADAPTER"]``.
    If topi fails, the failure is logged and the prices are simply missing.
    """
    wanted = dict(filter(None, (_pricing_on(request, obj) for obj in products)))
    return RentalPrices(_lookup(wanted, _fetch_prices, request, "rental prices"), request)


def rental_price(product: object, request: Any = None) -> RentalPrice | None:
    """One product's rental price (from a prefetch on this request when there was one)."""
    pricing = _pricing_on(request, product)
    if pricing is None:
        return None
    key, item = pricing
    found = _lookup({key: item}, _fetch_prices, request, "rental prices")
    return RentalPrice.from_topi(found[key]) if found.get(key) else None


#: A product's cache key and its ``PricingRequest``.
Pricing = tuple[str, dict[str, JSON]]


def _pricing_on(request: Any, obj: object) -> Pricing | None:
    """``_pricing(obj)``, worked out once per request: a page's prefetch and its tags, and the
    templates it includes, ask ``TOPI["PRODUCT_ADAPTER"]`` once per product."""
    if request is None:
        return _pricing(obj)
    known: dict[int, tuple[object, Pricing | None]] | None = getattr(request, PRICED, None)
    if known is None:
        known = {}
        setattr(request, PRICED, known)
    entry = known.get(id(obj))
    if entry is not None and entry[0] is obj:  # the object itself is kept, so its id stays its
        return entry[1]
    pricing = _pricing(obj)
    known[id(obj)] = (obj, pricing)
    return pricing


def _pricing(obj: object) -> tuple[str, dict[str, JSON]] | None:
    """The cache key and ``PricingRequest`` of a product, or ``None`` when it has no price."""
    product = _product_or_none(obj)
    if product is None:
        return None
    try:
        item = product.pricing_request()
    except (TypeError, ValueError) as exc:
        logger.warning("No rental price for %r: its price is not usable (%s)", product.title, exc)
        return None
    return _cache_key("price", item), item


def _product_or_none(obj: object) -> CatalogProduct | None:
    try:
        return as_catalog_product(obj)
    except ImproperlyConfigured:
        raise
    except Exception:
        # The shop's adapter failed on one product: its price is left out, the page still renders.
        logger.exception("TOPI['PRODUCT_ADAPTER'] failed for %r", obj)
        return None


def _fetch_prices(wanted: Mapping[str, dict[str, JSON]]) -> dict[str, JSON]:
    answer = get_client(max_retries=0).recommended_rental_prices(
        {"pricing_requests": list(wanted.values())}
    )
    if not isinstance(answer, list):
        raise TopiResponseError("topi's rental prices are not a list")
    by_reference = {
        reference_of(item): item
        for item in answer
        if isinstance(item, dict) and isinstance(item.get("seller_product_reference"), dict)
    }
    # A product topi leaves out has no price: remembered as {} so it is not asked for again.
    return {key: by_reference.get(reference_of(item), {}) for key, item in wanted.items()}


# -- a cart's rental overview and the checkout gate ----------------------------------------------


@dataclass(frozen=True)
class CartRentalOverview:
    """topi's ``cartRentalOverview``: can the cart be rented, and from how much per month."""

    can_checkout: bool
    currency: str
    total_rental_amount: int | None
    total_rental_summary: str
    unsupported: tuple[ProductReference, ...]

    @classmethod
    def from_topi(cls, data: Mapping[str, JSON]) -> CartRentalOverview:
        lines = [p for p in data.get("product_prices") or [] if isinstance(p, dict)]
        amount = data.get("total_rental_amount")
        summary = data.get("total_rental_summary")
        return cls(
            can_checkout=data.get("can_checkout") is True,
            currency=str(data.get("currency") or "").upper(),
            total_rental_amount=amount if is_int(amount) else None,
            total_rental_summary=summary if isinstance(summary, str) else "",
            unsupported=tuple(
                reference_of(line) for line in lines if line.get("can_checkout") is False
            ),
        )

    @property
    def text(self) -> str:
        """The cart's monthly total for people; empty when the cart cannot be rented."""
        if not self.can_checkout:
            return ""
        if self.total_rental_summary:
            return self.total_rental_summary
        if self.total_rental_amount is None or self.currency not in CURRENCY_EXPONENTS:
            return ""
        return _("Rent with topi from %(price)s/month") % {
            "price": format_price(self.total_rental_amount, self.currency)
        }

    def reason(self, cart: Cart) -> str:
        """Why this cart cannot be rented with topi, in a short sentence for the customer."""
        titles = [line.title for line in cart.lines if line.reference in self.unsupported]
        if titles:
            return _("Not available for rent with topi: %(products)s.") % {
                "products": ", ".join(titles)
            }
        return _("This cart cannot be rented with topi.")


def overview_request(cart: Cart) -> dict[str, JSON]:
    """The body of ``POST /v1/catalog/carts/rental-overview`` for ``cart``.

    ``price`` is the unit price here, with ``quantity`` beside it: topi's spec does not say, and
    topi's own cart widgets take unit prices.
    """
    products = []
    for line in cart.lines:
        price = money_amount(
            line.unit_price_net,
            line.currency,
            tax_rate_percent=line.tax_rate,
            include_tax_rate=True,
        )
        price.setdefault("gross", price["net"])  # topi requires gross; untaxed means net
        products.append(
            {
                "seller_product_reference": line.reference.to_topi(),
                "quantity": line.quantity,
                "price": price,
            }
        )
    return {"products": products}


def cart_rental_overview(cart: Cart, request: Any = None) -> CartRentalOverview | None:
    """topi's rental overview of ``cart``, cached like rental prices; ``None`` if topi failed."""
    if not cart.lines:
        return None
    try:
        body = overview_request(cart)
    except (TypeError, ValueError) as exc:
        logger.warning("No rental overview for cart %r: %s", cart.reference, exc)
        return None
    key = _cache_key("overview", body)
    found = _lookup({key: body}, _fetch_overview, request, "cart rental overview")
    return CartRentalOverview.from_topi(found[key]) if key in found else None


def _fetch_overview(wanted: Mapping[str, dict[str, JSON]]) -> dict[str, JSON]:
    ((key, body),) = wanted.items()  # one cart per lookup
    answer = get_client(max_retries=0).cart_rental_overview(body)
    if not isinstance(answer, dict):
        raise TopiResponseError("topi's cart rental overview is not an object")
    return {key: answer}


# -- lookups: this request, then Django's cache, then one call -----------------------------------


def _cache() -> BaseCache:
    return caches[topi_settings.CACHE_ALIAS]


def _cache_key(kind: str, body: JSON) -> str:
    """A key for one lookup: the request body, the language of topi's wording, and which topi."""
    material = json.dumps(
        [topi_settings.endpoints.api_base_url, translation.get_language() or "", body],
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"{CACHE_PREFIX}:{kind}:{hashlib.sha256(material.encode()).hexdigest()[:40]}"


def _memo(request: Any) -> dict[str, JSON]:
    if request is None:
        return {}
    memo: dict[str, JSON] | None = getattr(request, REQUEST_MEMO, None)
    if memo is None:
        memo = {}
        setattr(request, REQUEST_MEMO, memo)
    return memo


def _lookup(
    wanted: Mapping[str, dict[str, JSON]],
    fetch: Callable[[Mapping[str, dict[str, JSON]]], dict[str, JSON]],
    request: Any,
    what: str,
) -> dict[str, JSON]:
    """Answers for ``wanted`` from the request's memo, the cache, then at most one ``fetch``."""
    memo = _memo(request)
    found = {key: memo[key] for key in wanted if key in memo}
    missing = [key for key in wanted if key not in found]
    cache = _cache()
    if missing:
        hits = cache.get_many(missing)
        found.update(hits)
        missing = [key for key in missing if key not in hits]
    if missing and (memo.get(UNAVAILABLE_KEY) or cache.get(UNAVAILABLE_KEY)):
        logger.debug("topi failed recently; %s are left out", what)
    elif missing:
        try:
            fetched = fetch({key: wanted[key] for key in missing})
        except TopiError as exc:
            logger.warning("Left out topi's %s from the page, as topi failed: %s", what, exc)
            # Remembered for the rest of this page too, whatever cache the shop runs.
            memo[UNAVAILABLE_KEY] = True
            cache.set(UNAVAILABLE_KEY, True, UNAVAILABLE_SECONDS)
        else:
            seconds = topi_settings.RENTAL_PRICE_CACHE_SECONDS
            if seconds:
                cache.set_many(fetched, seconds)
            found.update(fetched)
    memo.update(found)
    return found
