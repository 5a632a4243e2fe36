"""Register ``TOPI["SHIPPING_METHODS"]`` with topi and list what topi has.

topi answers 422 when a method's reference is already registered, so a 422 means "exists":
the command can run on every deploy. topi has no endpoint to change or delete a method.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiUnavailable,
    TopiUnprocessable,
    get_client,
)
from django_topi.conf import topi_settings


def yes_no(value: Any) -> str:
    return "yes" if value else "no"


class Command(BaseCommand):
    help = (
        "Create the shipping methods of TOPI['SHIPPING_METHODS'] at topi (422: it exists "
        "already) and list every method topi has."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--list-only", action="store_true", help="only list topi's methods, create none"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        client = get_client()
        configured = list(topi_settings.SHIPPING_METHODS)
        environment = topi_settings.ENVIRONMENT
        refused = []
        existing = []
        try:
            if not options["list_only"]:
                if not configured:
                    self.stdout.write("TOPI['SHIPPING_METHODS'] is empty: nothing to create.")
                for method in configured:
                    reference = method["seller_shipping_method_reference"]
                    try:
                        answer = client.create_shipping_method(method)
                    except TopiUnprocessable:
                        existing.append(reference)
                        self.stdout.write(f"{reference}: already registered with topi")
                        continue
                    except (TopiUnavailable, TopiAuthError):
                        raise
                    except TopiAPIError as exc:
                        refused.append(reference)
                        self.stderr.write(f"{reference}: topi refused it: {exc}")
                        continue
                    supported = answer.get("supported") if isinstance(answer, dict) else None
                    self.stdout.write(
                        self.style.SUCCESS(
                            f"{reference}: created at topi ({environment}), "
                            f"supported: {yes_no(supported)}"
                        )
                    )
            methods = client.list_shipping_methods()
        except (TopiUnavailable, TopiAuthError) as exc:
            raise CommandError(f"topi failed, so the run stopped: {exc}") from exc
        self.write_table(methods, configured, environment)
        listed = {m.get("seller_shipping_method_reference") for m in methods}
        for reference in existing:
            if reference not in listed:
                self.stderr.write(
                    f"{reference}: topi answered 422 (taken as 'already registered') but does "
                    "not list it; ask topi what is wrong with it"
                )
        if refused:
            raise CommandError(f"topi refused {len(refused)} method(s): {', '.join(refused)}")

    def write_table(
        self, methods: list[Any], configured: list[dict[str, Any]], environment: str
    ) -> None:
        wanted = {method["seller_shipping_method_reference"] for method in configured}
        self.stdout.write(f"\nShipping methods at topi ({environment}): {len(methods)}")
        if not methods:
            return
        rows = [("reference", "name", "in-store pickup", "supported", "configured", "topi id")]
        for method in methods:
            reference = str(method.get("seller_shipping_method_reference") or "")
            rows.append(
                (
                    reference,
                    str(method.get("name") or ""),
                    yes_no(method.get("is_in_store_pickup")),
                    yes_no(method.get("supported")),
                    yes_no(reference in wanted),
                    str(method.get("id") or ""),
                )
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
        for method in methods:
            reference = method.get("seller_shipping_method_reference")
            if reference in wanted and not method.get("supported"):
                self.stdout.write(
                    self.style.WARNING(
                        f"{reference} is not supported by topi yet: offers using it fail with "
                        "UnsupportedShipping until topi supports it."
                    )
                )
