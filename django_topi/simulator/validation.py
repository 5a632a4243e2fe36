"""Request bodies checked as topi's spec describes them; a misfit is goa's 400 ``bad_request``
naming the field (``lines[0].quantity: must be at least 1``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.dateparse import parse_datetime

from django_topi.simulator.errors import ApiError, bad_request

Spec = Callable[[Any, str], None]

REFERENCE = re.compile(r"^[a-zA-Z0-9._-]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SALES_CHANNELS = ("ecommerce", "telesales", "in_store_pos")


def _fail(path: str, problem: str) -> ApiError:
    return bad_request(f"{path or 'body'}: {problem}")


def text(
    min_length: int = 0, max_length: int | None = None, pattern: re.Pattern[str] | None = None
) -> Spec:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise _fail(path, "must be a string")
        if len(value) < min_length:
            raise _fail(path, f"must have at least {min_length} characters")
        if max_length is not None and len(value) > max_length:
            raise _fail(path, f"must have at most {max_length} characters")
        if pattern is not None and not pattern.match(value):
            raise _fail(path, f"must match {pattern.pattern}")

    return check


def integer(minimum: int | None = None, maximum: int | None = None) -> Spec:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, "must be an integer")
        if minimum is not None and value < minimum:
            raise _fail(path, f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise _fail(path, f"must be at most {maximum}")

    return check


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false")


def uri(value: Any, path: str) -> None:
    text(1)(value, path)
    if not value.startswith(("http://", "https://")):
        raise _fail(path, "must be an absolute http(s) URI")


def email(value: Any, path: str) -> None:
    text(1)(value, path)
    if not EMAIL.match(value):
        raise _fail(path, "must be an email address")


def instant(value: Any, path: str) -> None:
    text(1)(value, path)
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise _fail(path, "must be an RFC 3339 date-time with a time zone")


def one_of(*choices: str) -> Spec:
    def check(value: Any, path: str) -> None:
        if value not in choices:
            raise _fail(path, f"must be one of {', '.join(choices)}")

    return check


def array(item: Spec, min_items: int = 0) -> Spec:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _fail(path, "must be an array")
        if len(value) < min_items:
            raise _fail(path, f"must have at least {min_items} item(s)")
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")

    return check


def obj(required: Mapping[str, Spec], optional: Mapping[str, Spec] | None = None) -> Spec:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise _fail(path, "must be an object")
        for name, spec in required.items():
            if name not in value:
                raise _fail(_join(path, name), "is required")
            spec(value[name], _join(path, name))
        for name, spec in (optional or {}).items():
            if value.get(name) is not None:
                spec(value[name], _join(path, name))

    return check


def strings(max_length: int) -> Spec:
    """A map of text to text (``metadata``)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            raise _fail(path, "must be an object")
        for key, item in value.items():
            text(0, max_length)(item, _join(path, str(key)))

    return check


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def validate(spec: Spec, body: Any) -> dict[str, Any]:
    spec(body, "")
    return dict(body)


# -- the bodies ----------------------------------------------------------------------------------

ADDRESS = obj(
    {"line1": text(1), "city": text(1), "postal_code": text(1), "country_code": text(2, 2)},
    {"line2": text(0, 40), "region": text(), "recipient_name": text()},
)
PRODUCT_REFERENCE = obj({"source": text(1), "reference": text(1, pattern=REFERENCE)})
MONEY = obj({"currency": text(3, 3), "net": integer(0), "gross": integer(0)})
MONEY_OPTIONAL_GROSS = obj({"currency": text(3, 3), "net": integer(0)}, {"gross": integer(0)})
MONEY_OPTIONAL_TAX = obj(
    {"currency": text(3, 3), "net": integer(0), "gross": integer(0)}, {"tax_rate": integer(0)}
)
LINE = obj(
    {
        "title": text(1),
        "quantity": integer(1, 10000),
        "price": MONEY_OPTIONAL_GROSS,
        "seller_product_reference": PRODUCT_REFERENCE,
    },
    {"subtitle": text(), "product_id": text(), "bundle_index": text()},
)
OFFER = obj(
    {
        "seller_offer_reference": text(1),
        "sales_channel": one_of(*SALES_CHANNELS),
        "expires_at": instant,
        "lines": array(LINE),
    },
    {
        "customer": obj(
            {},
            {
                "email": email,
                "full_name": text(),
                "phone_number": text(),
                "customer_group": text(),
                "company": obj(
                    {},
                    {
                        "name": text(3),
                        "vat_number": text(),
                        "tax_number": text(),
                        "billing_address": ADDRESS,
                    },
                ),
            },
        ),
        "shipping_address": ADDRESS,
        "shipping": obj(
            {"seller_shipping_reference": text(1), "price": MONEY},
            {"is_in_store_pickup": boolean},
        ),
        "success_redirect": uri,
        "exit_redirect": uri,
        "metadata": strings(400),
        "draft_offer_id": text(),
    },
)
VOID = obj({}, {"superseded_by_id": text(1)})
METADATA = obj({"metadata": strings(400)})
SHIPMENT = obj(
    {
        "order_id": text(1),
        "serial_numbers": array(
            obj({"seller_product_reference": PRODUCT_REFERENCE, "serial_number": text()})
        ),
    },
    {"tracking_url": uri, "metadata": strings(400)},
)
SHIPPING_METHOD = obj(
    {"seller_shipping_method_reference": text(1)},
    {"name": text(), "is_in_store_pickup": boolean},
)
CATALOG_PRODUCT = obj(
    {
        "title": text(1),
        "is_active": boolean,
        "price": MONEY_OPTIONAL_TAX,
        "seller_product_references": array(PRODUCT_REFERENCE, min_items=1),
    },
    {
        "subtitle": text(),
        "description": text(0, 2000),
        "manufacturer": text(),
        "seller_product_type": one_of("hardware", "software", "service", "hardware_built_to_order"),
        "shop_product_description_url": uri,
    },
)
IMPORT = obj({"products": array(CATALOG_PRODUCT, min_items=1)})
CREATE_IMPORT = obj({}, {"filename": text()})
CHECK_SUPPORTED = obj({"seller_product_references": array(PRODUCT_REFERENCE)})
PRICED_PRODUCT = obj(
    {"seller_product_reference": PRODUCT_REFERENCE},
    {"price": MONEY_OPTIONAL_TAX, "base_rental_price": MONEY_OPTIONAL_TAX},
)
RENTAL_OVERVIEW = obj(
    {
        "products": array(
            obj(
                {"seller_product_reference": PRODUCT_REFERENCE, "quantity": integer(1)},
                {"price": MONEY_OPTIONAL_TAX, "base_rental_price": MONEY_OPTIONAL_TAX},
            )
        )
    }
)
RECOMMENDED_PRICES = obj({"pricing_requests": array(PRICED_PRODUCT)})
