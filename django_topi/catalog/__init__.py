"""The shop's catalog at topi: describe products, push them, and ask which topi supports.

* ``CatalogProduct`` (what ``TOPI["CATALOG_ADAPTER"]`` yields and ``TOPI["PRODUCT_ADAPTER"]``
  makes), ``ProductReference`` and ``Category`` are plain values in ``django_topi.products``,
  beside the cart's;
* ``push``: ``push_catalog`` sends batches to ``POST /v1/catalog/import``, reading the adapter
  lazily so memory stays flat; a 413 halves the batch, a 422 is narrowed down to the refused
  products;
* ``csv_job``: ``push_catalog_csv`` writes a CSV to a temporary file and runs topi's CSV import
  job;
* ``support``: ``check_products`` asks topi which products it supports, and on which terms.

Rental prices and a cart's rental overview on pages are ``django_topi.pricing``; their names are
importable from here too.
"""

from __future__ import annotations

from django_topi.catalog.csv_job import (
    CSV_COLUMNS,
    CSV_FINAL_STATUSES,
    CSV_POLL_SECONDS,
    CSV_TIMEOUT_SECONDS,
    CsvImportSummary,
    push_catalog_csv,
    write_catalog_csv,
)
from django_topi.catalog.push import MAX_SAMPLES, CatalogSummary, Rejection, push_catalog
from django_topi.catalog.support import ProductSupport, check_products
from django_topi.money import format_price
from django_topi.pricing import (
    CACHE_PREFIX,
    REQUEST_MEMO,
    UNAVAILABLE_KEY,
    UNAVAILABLE_SECONDS,
    CartRentalOverview,
    RentalPrice,
    RentalPrices,
    cart_rental_overview,
    overview_request,
    prefetch_rental_prices,
    rental_price,
)
from django_topi.products import (
    MAX_DESCRIPTION_LENGTH,
    PRODUCT_TYPES,
    CatalogProduct,
    Category,
    ProductReference,
    as_catalog_product,
    catalog_products,
)

__all__ = [
    "CACHE_PREFIX",
    "CSV_COLUMNS",
    "CSV_FINAL_STATUSES",
    "CSV_POLL_SECONDS",
    "CSV_TIMEOUT_SECONDS",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_SAMPLES",
    "PRODUCT_TYPES",
    "REQUEST_MEMO",
    "UNAVAILABLE_KEY",
    "UNAVAILABLE_SECONDS",
    "CartRentalOverview",
    "CatalogProduct",
    "CatalogSummary",
    "Category",
    "CsvImportSummary",
    "ProductReference",
    "ProductSupport",
    "Rejection",
    "RentalPrice",
    "RentalPrices",
    "as_catalog_product",
    "cart_rental_overview",
    "catalog_products",
    "check_products",
    "format_price",
    "overview_request",
    "prefetch_rental_prices",
    "push_catalog",
    "push_catalog_csv",
    "rental_price",
    "write_catalog_csv",
]
