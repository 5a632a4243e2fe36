"""The shop's catalog at topi: push products, check them, and show rental prices on pages.

A shop describes each product once as a ``CatalogProduct`` (``TOPI["CATALOG_ADAPTER"]`` yields
them; ``TOPI["PRODUCT_ADAPTER"]`` turns one shop object into one). From those:

* ``push_catalog`` sends batches to ``POST /v1/catalog/import``, reading the adapter lazily so
  memory stays flat; a 413 halves the batch, a 422 is narrowed down to the products topi refuses;
* ``push_catalog_csv`` writes a CSV to a temporary file and runs topi's CSV import job;
* ``check_products`` asks topi which products it supports, and on which terms;
* ``prefetch_rental_prices`` fetches "Rent with topi from €23.45/month" for a whole page in one
  call, and ``cart_rental_overview`` asks whether a cart can be rented and for how much.

Page helpers never raise because of topi: when topi fails they log, render without prices, and
leave topi alone for ``UNAVAILABLE_SECONDS`` so a slow topi cannot slow every page down.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal
from itertools import islice
from typing import IO, Any, NamedTuple

import requests
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from django.utils.translation import gettext as _

from django_topi.batching import batched
from django_topi.cart import REFERENCE, Cart
from django_topi.client import (
    TopiAPIError,
    TopiClient,
    TopiError,
    TopiResponseError,
    TopiUnavailable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.money import (
    CURRENCY_EXPONENTS,
    MoneyAmount,
    format_price,
    from_minor_units,
    money_amount,
    net_from_gross,
    tax_rate_to_topi,
    to_minor_units,
)

logger = logging.getLogger("django_topi.catalog")

JSON = Any

#: ``AddProduct.seller_product_type`` as topi's spec enumerates it.
PRODUCT_TYPES = ("hardware", "software", "service", "hardware_built_to_order")
MAX_DESCRIPTION_LENGTH = 2000
#: How many rejected products a summary keeps to show (the counts are always complete).
MAX_SAMPLES = 10
#: Columns of topi's CSV import (API-NOTES §2.5), in the order they are written.
CSV_COLUMNS = (
    "title",
    "reference",
    "reference_source",
    "is_active",
    "price_gross",
    "price_net",
    "currency",
    "manufacturer",
    "subtitle",
    "description",
    "ean",
    "mpn",
    "image_url",
    "seller_category_id",
    "seller_category_name",
    "seller_category_parent_id",
    "seller_product_type",
    "shop_product_description_url",
)
#: CSV job statuses after which nothing changes any more.
CSV_FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
#: topi documents no polling cadence for CSV jobs; every few seconds is gentle and responsive.
CSV_POLL_SECONDS = 5.0
#: How long ``topi_sync_catalog --csv`` waits for the job by default (it goes on at topi).
CSV_TIMEOUT_SECONDS = 1800.0
#: After topi failed a page's lookup, pages skip topi this long (rendering without prices).
UNAVAILABLE_SECONDS = 60
CACHE_PREFIX = "django_topi:catalog:v1"
UNAVAILABLE_KEY = f"{CACHE_PREFIX}:unavailable"
#: Where rental prices and overviews looked up during one request are kept (on the request).
REQUEST_MEMO = "_django_topi_catalog"


# -- products ------------------------------------------------------------------------------------


class ProductReference(NamedTuple):
    """One of the shop's references for a product: ``("sap", "000123456")``."""

    source: str
    reference: str

    def to_topi(self) -> dict[str, str]:
        return {"source": self.source, "reference": self.reference}

    def __str__(self) -> str:
        return f"{self.source}:{self.reference}"


@dataclass(frozen=True)
class Category:
    """A category in the shop, as topi's ``seller_categories`` take it."""

    id: str
    name: str
    parent_id: str | None = None


@dataclass
class CatalogProduct:
    """A product as the shop hands it to topi; ``price`` is the gross unit price (with tax).

    ``references`` are ``(source, reference)`` pairs, or bare references with the source
    ``TOPI["PRODUCT_REFERENCE_SOURCE"]``; the first one is the product's reference in carts and
    rental prices. topi needs the net price too: give ``tax_rate`` (percent) to derive it, or
    ``net_price`` when the shop stores it.
    """

    title: str
    references: Sequence[ProductReference | tuple[str, str] | str]
    price: Decimal
    is_active: bool = True
    currency: str = "EUR"
    tax_rate: Decimal | None = None
    net_price: Decimal | None = None
    product_type: str | None = None
    manufacturer: str | None = None
    subtitle: str | None = None
    description: str | None = None
    image_url: str | None = None
    ean: str | None = None
    mpn: str | None = None
    categories: Sequence[Category] = ()
    url: str | None = None

    def seller_product_references(self) -> list[ProductReference]:
        """Every reference as a ``(source, reference)`` pair, the default source filled in."""
        default_source = topi_settings.PRODUCT_REFERENCE_SOURCE
        return [
            ProductReference(default_source, ref)
            if isinstance(ref, str)
            else ProductReference(*ref)
            for ref in self.references
        ]

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
        gross = to_minor_units(self.price, currency)
        rate = None if self.tax_rate is None else tax_rate_to_topi(self.tax_rate)
        if self.net_price is not None:
            net = to_minor_units(self.net_price, currency)
        elif rate is not None:
            net = net_from_gross(gross, rate)
        else:
            raise ValueError("give a tax_rate (percent) or a net_price, so the net price is known")
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


# -- pushing the catalog -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A product that was not imported: its reference, title, and why."""

    reference: str
    title: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference} ({self.title}): {self.reason}"


@dataclass
class CatalogSummary:
    """What a catalog push did. ``rejected`` counts products refused here and by topi."""

    read: int = 0
    invalid: int = 0
    sent: int = 0
    imported: int = 0
    rejected: int = 0
    pending: int = 0
    batches: int = 0
    calls: int = 0
    batch_size: int = 0
    samples: list[Rejection] = field(default_factory=list)

    def reject(self, count: int, rejection: Rejection) -> None:
        self.rejected += count
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(rejection)


def _rejection(product: CatalogProduct, reason: str) -> Rejection:
    references = product.seller_product_references()
    return Rejection(str(references[0]) if references else "?", product.title or "?", reason)


def _validated(
    products: Iterable[CatalogProduct], summary: CatalogSummary
) -> Iterator[CatalogProduct]:
    """The products topi can take; the others are counted and sampled as rejected."""
    for product in products:
        summary.read += 1
        problems = product.problems()
        if problems:
            summary.invalid += 1
            summary.reject(1, _rejection(product, "; ".join(problems)))
            continue
        yield product


def push_catalog(
    products: Iterable[CatalogProduct],
    *,
    batch_size: int | None = None,
    dry_run: bool = False,
    client: TopiClient | None = None,
    on_progress: Callable[[CatalogSummary], None] | None = None,
    summary: CatalogSummary | None = None,
) -> CatalogSummary:
    """Send ``products`` to ``POST /v1/catalog/import`` in batches, one batch in memory at a time.

    A 413 halves the batch (and every later one) and carries on; a 422 is split until the
    refused products are found, which are then counted as rejected with topi's reason. With
    ``dry_run`` products are only validated and counted. ``TopiError`` propagates when topi is
    unavailable or refuses the credentials; products sent before stay imported, and a
    ``summary`` passed in shows how far the push got.
    """
    summary = summary or CatalogSummary()
    summary.batch_size = batch_size or topi_settings.CATALOG_BATCH_SIZE
    if summary.batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    valid = _validated(products, summary)
    while batch := list(islice(valid, summary.batch_size)):
        summary.batches += 1
        if dry_run:
            summary.sent += len(batch)
        else:
            client = client or get_client()
            _import_batch(client, batch, summary, top_level=True)
        if on_progress is not None:
            on_progress(summary)
    if on_progress is not None:
        on_progress(summary)
    return summary


def _import_batch(
    client: TopiClient, batch: list[CatalogProduct], summary: CatalogSummary, *, top_level: bool
) -> None:
    summary.calls += 1
    try:
        answer = client.import_catalog({"products": [product.to_topi() for product in batch]})
    except TopiAPIError as exc:
        if exc.status not in (413, 422):
            raise
        if len(batch) == 1:
            summary.reject(1, _rejection(batch[0], _refusal(exc)))
            return
        half = len(batch) // 2
        if exc.status == 413:
            summary.batch_size = min(summary.batch_size, half)
            logger.info("topi refused %d products as too many (413); sending %d", len(batch), half)
        rejected_before = summary.rejected
        for part in (batch[:half], batch[half:]):
            _import_batch(client, part, summary, top_level=False)
        if exc.status == 422 and top_level and summary.rejected - rejected_before == len(batch):
            # Every product refused on its own: not one bad product, so stop rather than
            # spend two calls per product on the rest of the catalog.
            raise exc
        return
    _count_import(answer, batch, summary)


def _refusal(exc: TopiAPIError) -> str:
    if exc.status == 413:
        return "topi refuses even this product alone as too large (HTTP 413)"
    name = f"{exc.name}: " if exc.name else ""
    return f"topi refused it (HTTP {exc.status}) {name}{exc.message}".strip()


def _count_import(answer: JSON, batch: list[CatalogProduct], summary: CatalogSummary) -> None:
    """Count an ``ImportResult``: imported, rejected, or still being imported at topi.

    topi's ``summary`` is optional and its rejection samples are marked "Deprecated: unused",
    so a batch topi finished without a summary counts as imported.
    """
    if not isinstance(answer, dict):
        raise TopiResponseError(f"topi answered the catalog import with {type(answer).__name__}")
    size = len(batch)
    summary.sent += size
    status = answer.get("status")
    counts = answer.get("summary") if isinstance(answer.get("summary"), dict) else None
    by_reference = {str(p.reference): p for p in batch}
    if status == "failed" and not counts:
        summary.reject(size, _batch_rejection(batch, size, "topi reported the import as failed"))
        return
    if counts is None:
        if status == "completed":
            summary.imported += size
        else:
            summary.pending += size
        return
    imported = min(_int(counts.get("total_products_imported")), size)
    summary.imported += imported
    samples = [s for s in counts.get("sample_products_rejected") or [] if isinstance(s, dict)]
    unaccounted = size - imported
    if status not in ("completed", "failed"):
        summary.pending += unaccounted
        return
    for sample in samples[:unaccounted]:
        reference = sample.get("seller_product_reference") or {}
        key = f"{reference.get('source')}:{reference.get('reference')}"
        product = by_reference.get(key)
        reason = sample.get("error_description") or sample.get("error_code") or "rejected"
        summary.reject(1, Rejection(key, product.title if product else "?", str(reason)))
        unaccounted -= 1
    if unaccounted > 0:
        summary.reject(
            unaccounted,
            _batch_rejection(batch, unaccounted, "topi imported the others without naming these"),
        )


def _batch_rejection(batch: list[CatalogProduct], count: int, reason: str) -> Rejection:
    return Rejection(f"batch from {batch[0].reference}", f"{count} of {len(batch)}", reason)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- the CSV import job --------------------------------------------------------------------------


@dataclass
class CsvImportSummary:
    """What a CSV import did: products written, the job as topi last reported it."""

    read: int = 0
    invalid: int = 0
    written: int = 0
    job: dict[str, JSON] = field(default_factory=dict)
    timed_out: bool = False
    samples: list[Rejection] = field(default_factory=list)
    #: The first rows of topi's ``errors_url`` file, when topi rejected rows.
    error_rows: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.job.get("status") or "")


def write_catalog_csv(
    products: Iterable[CatalogProduct],
    stream: IO[str],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> CatalogSummary:
    """Write the valid products as topi's CSV to ``stream``, one row at a time."""
    summary = CatalogSummary()
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for product in _validated(products, summary):
        writer.writerow(product.to_csv_row())
        summary.sent += 1
        if on_progress is not None and summary.read % 1000 == 0:
            on_progress(summary.read)
    if on_progress is not None:
        on_progress(summary.read)
    return summary


def push_catalog_csv(
    products: Iterable[CatalogProduct],
    *,
    client: TopiClient | None = None,
    poll_seconds: float = CSV_POLL_SECONDS,
    timeout_seconds: float = CSV_TIMEOUT_SECONDS,
    on_written: Callable[[int], None] | None = None,
    on_poll: Callable[[CsvImportSummary], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CsvImportSummary:
    """Run topi's CSV import job: write a temporary CSV, create the job, upload, poll until done.

    The CSV goes to a temporary file on disk and is streamed to topi's upload URL, so memory
    stays flat. Polling stops at ``completed``, ``failed`` or ``cancelled``, or after
    ``timeout_seconds`` (``timed_out``; the job carries on at topi).
    """
    result = CsvImportSummary()
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        written = write_catalog_csv(products, text, on_progress=on_written)
        text.flush()
        text.detach()
        result.read, result.invalid, result.written = written.read, written.invalid, written.sent
        result.samples = written.samples
        if not result.written:
            return result
        client = client or get_client()
        stamp = datetime.now(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        job = client.create_catalog_import(f"django-topi-catalog-{stamp}.csv")
        if not isinstance(job, dict) or not job.get("id") or not job.get("upload_url"):
            raise TopiResponseError("topi's CSV import job has no id or upload_url")
        raw.seek(0)
        client.upload_catalog_csv(str(job["upload_url"]), raw)
    result.job = {"id": job["id"], "status": "pending"}
    deadline = clock() + timeout_seconds
    while True:
        try:
            result.job = client.get_catalog_import(str(job["id"]))
        except TopiUnavailable as exc:
            # The job runs on at topi whatever happens here: keep asking until the deadline.
            logger.warning("topi did not say how CSV import %s is going: %s", job["id"], exc)
        else:
            if on_poll is not None:
                on_poll(result)
            if result.status in CSV_FINAL_STATUSES:
                break
        if clock() + poll_seconds > deadline:
            result.timed_out = True
            break
        sleep(poll_seconds)
    if result.job.get("errors_url") and _int(result.job.get("failed")):
        result.error_rows = _first_rows(str(result.job["errors_url"]))
    return result


def _first_rows(url: str, limit: int = MAX_SAMPLES) -> list[str]:
    """The first rows of topi's file of rejected rows (a pre-signed storage URL), header first."""
    try:
        with requests.get(url, stream=True, timeout=topi_settings.TIMEOUT) as response:
            response.raise_for_status()
            response.encoding = "utf-8"
            lines = response.iter_lines(decode_unicode=True)
            return [str(line)[:300] for line in islice(lines, limit + 1) if line]
    except requests.RequestException as exc:
        logger.warning("Could not read topi's rejected rows at its errors_url: %s", exc)
        return []


# -- which products topi supports ----------------------------------------------------------------


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
            _reference_of(item): item
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
        rent_months=months if _is_int(months) else None,
        rental_price=price,
    )


def _reference_of(item: Mapping[str, JSON]) -> ProductReference:
    reference = item.get("seller_product_reference") or {}
    return ProductReference(str(reference.get("source")), str(reference.get("reference")))


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
        if not _is_int(amount) or currency not in CURRENCY_EXPONENTS:
            amount = None
        if amount is None and not summary:
            return None
        months = terms.get("duration")
        return cls(
            reference=_reference_of(item),
            currency=currency,
            monthly_amount=amount,
            summary=summary or "",
            months=months if _is_int(months) else None,
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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class RentalPrices:
    """Rental prices of a page's products: ``prices.get(product)`` is a ``RentalPrice`` or None."""

    def __init__(self, found: Mapping[str, JSON]) -> None:
        self._found = dict(found)

    def get(self, product: object) -> RentalPrice | None:
        pricing = _pricing(product)
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
    wanted = dict(filter(None, (_pricing(obj) for obj in products)))
    return RentalPrices(_lookup(wanted, _fetch_prices, request, "rental prices"))


def rental_price(product: object, request: Any = None) -> RentalPrice | None:
    """One product's rental price (from a prefetch on this request when there was one)."""
    pricing = _pricing(product)
    if pricing is None:
        return None
    key, item = pricing
    found = _lookup({key: item}, _fetch_prices, request, "rental prices")
    return RentalPrice.from_topi(found[key]) if found.get(key) else None


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
        _reference_of(item): item
        for item in answer
        if isinstance(item, dict) and isinstance(item.get("seller_product_reference"), dict)
    }
    # A product topi leaves out has no price: remembered as {} so it is not asked for again.
    return {key: by_reference.get(_reference_of(item), {}) for key, item in wanted.items()}


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
            total_rental_amount=amount if _is_int(amount) else None,
            total_rental_summary=summary if isinstance(summary, str) else "",
            unsupported=tuple(
                _reference_of(line) for line in lines if line.get("can_checkout") is False
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
        source = topi_settings.PRODUCT_REFERENCE_SOURCE
        titles = [
            line.title
            for line in cart.lines
            if ProductReference(line.product_source or source, line.product_reference)
            in self.unsupported
        ]
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
    source = topi_settings.PRODUCT_REFERENCE_SOURCE
    products = []
    for line in cart.lines:
        price = money_amount(
            line.unit_price, line.currency, tax_rate_percent=line.tax_rate, include_tax_rate=True
        )
        price.setdefault("gross", price["net"])  # topi requires gross; untaxed means net
        products.append(
            {
                "seller_product_reference": {
                    "source": line.product_source or source,
                    "reference": line.product_reference,
                },
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
