"""``manage.py topi_check_products``: which of the shop's products topi supports, on which terms."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_topi.catalog import catalog_products
from django_topi.catalog.support import ProductSupport, check_products
from django_topi.client import TopiError

COLUMNS = "{reference:<32} {status:<13} {terms:<26} {price}{title}"


class Command(BaseCommand):
    help = (
        "List the shop's products (TOPI['CATALOG_ADAPTER']) with what topi says about each: "
        "supported or not, and the rental terms. Asks POST /v1/catalog/check-supported in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prices",
            action="store_true",
            help="Also show topi's recommended monthly rental price (one more call per batch).",
        )
        parser.add_argument(
            "--unsupported",
            action="store_true",
            help="List only the products topi does not support (the summary still counts all).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            help="References per call (default TOPI['CATALOG_BATCH_SIZE']).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        prices = options["prices"]
        self.stdout.write(
            self._row("REFERENCE", "TOPI", "TERMS", "FROM" if prices else "", "TITLE")
        )
        try:
            products = catalog_products()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        counts: Counter[str] = Counter()
        try:
            for support in check_products(
                products, batch_size=options["batch_size"], with_prices=prices
            ):
                status = _status(support)
                counts[status] += 1
                if options["unsupported"] and status == "supported":
                    continue
                self.stdout.write(
                    self._row(
                        str(support.reference),
                        status,
                        _terms(support),
                        _price(support) if prices else "",
                        support.problem or support.title,
                    )
                )
        except TopiError as exc:
            raise CommandError(f"topi could not be asked: {exc}") from exc
        total = sum(counts.values())
        parts = [
            f"{counts[key]:,} {label}"
            for key, label in (
                ("supported", "supported"),
                ("not supported", "not supported"),
                ("not in topi", "not in topi's catalog (run topi_sync_catalog)"),
                ("invalid", "with an invalid reference"),
            )
            if counts[key] or key in ("supported", "not supported")
        ]
        self.stdout.write(f"{total:,} products: {', '.join(parts)}.")

    @staticmethod
    def _row(reference: str, status: str, terms: str, price: str, title: str) -> str:
        return COLUMNS.format(
            reference=reference,
            status=status,
            terms=terms,
            price=f"{price:<34} " if price else "",
            title=title,
        ).rstrip()


def _status(support: ProductSupport) -> str:
    if support.problem:
        return "invalid"
    if not support.known:
        return "not in topi"
    return "supported" if support.supported else "not supported"


def _terms(support: ProductSupport) -> str:
    terms = []
    if support.can_rent:
        terms.append(f"rent {support.rent_months} months" if support.rent_months else "rent")
    if support.can_pay_now:
        terms.append("pay now")
    return ", ".join(terms) or "-"


def _price(support: ProductSupport) -> str:
    return support.rental_price.text if support.rental_price else "-"
