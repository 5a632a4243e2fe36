"""Contract tests against topi's OpenAPI spec.

Every operation the client covers sends a request that fits the spec (method, path, query, body),
and every response example in the spec is parsed: success examples come back as the dicts the
client returns, error examples as the matching ``TopiError`` subclass with topi's message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import responses

from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiClient,
    TopiNotFound,
    TopiUnavailable,
    TopiUnprocessable,
)
from tests import openapi_spec, payloads
from tests.conftest import API

pytestmark = pytest.mark.contract


# -- the spec itself -----------------------------------------------------------------------------


def recorded_hash() -> str:
    readme = (openapi_spec.BUNDLED_SPEC.parent / "README.md").read_text(encoding="utf-8")
    found = re.search(r"SHA-256: `([0-9a-f]{64})`", readme)
    assert found, "tests/contract/README.md must record the spec's SHA-256"
    return found[1]


def test_the_bundled_spec_is_the_copy_its_readme_records_and_the_reference_copy():
    """The copy is topi's file untouched; where the team's reference copy sits beside the
    checkout (``../shared/topi/openapi.yaml``), an update there fails this until copied here."""
    copies = [openapi_spec.BUNDLED_SPEC]
    if openapi_spec.REFERENCE_SPEC.is_file():
        copies.append(openapi_spec.REFERENCE_SPEC)

    hashes = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in copies}

    assert hashes == dict.fromkeys(copies, recorded_hash()), (
        "the spec copies differ from the SHA-256 in tests/contract/README.md: copy topi's newer "
        "file to tests/contract/topi-openapi.yaml, record its date and hash in the README, and "
        "see what the contract tests say"
    )


def test_topi_openapi_spec_points_the_tests_at_another_copy(monkeypatch, tmp_path):
    other = tmp_path / "openapi.yaml"
    other.write_text("openapi: 3.0.3\npaths: {}\n", encoding="utf-8")
    monkeypatch.setenv("TOPI_OPENAPI_SPEC", str(other))

    assert openapi_spec.load_spec() == {"openapi": "3.0.3", "paths": {}}


def test_a_missing_spec_is_an_error_not_a_skip(monkeypatch, tmp_path):
    monkeypatch.setenv("TOPI_OPENAPI_SPEC", str(tmp_path / "nowhere.yaml"))

    with pytest.raises(FileNotFoundError, match="TOPI_OPENAPI_SPEC names a missing file"):
        openapi_spec.load_spec()


# -- the client against the spec ------------------------------------------------------------------

OFFER_ID = "739b63c2-9e58-4964-b38d-4ebb424de242"
REFERENCE = {"source": "sap", "reference": "123ab-5343"}
PRICE = {"currency": "EUR", "gross": 119000, "net": 100000}
ADDRESS = {"line1": "Musterstr. 1", "postal_code": "10243", "city": "Berlin", "country_code": "DE"}
OFFER_BODY: dict[str, Any] = {
    "seller_offer_reference": "SO-100234",
    "sales_channel": "ecommerce",
    "expires_at": payloads.instant(timedelta(days=1)),
    "success_redirect": "https://shop.example/topi/return/success/",
    "exit_redirect": "https://shop.example/topi/return/exit/",
    "customer": {
        "email": "alice@example.com",
        "full_name": "Alice Example",
        "phone_number": "+49301234567",
        "company": {
            "name": "Unicorn Corp",
            "vat_number": "DE123456789",
            "billing_address": ADDRESS,
        },
    },
    "shipping_address": {**ADDRESS, "recipient_name": "Felix Wolf"},
    "shipping": {
        "seller_shipping_reference": "DHL Standard",
        "price": {"currency": "EUR", "gross": 595, "net": 500},
    },
    "lines": [
        {
            "title": "Pro Laptop 64GB",
            "quantity": 2,
            "price": {"currency": "EUR", "gross": 238000, "net": 200000},
            "seller_product_reference": REFERENCE,
        }
    ],
    "metadata": {"shop_order_id": "100234"},
}
AGENT = {"email": "agent@shop.example", "name": "Sam Seller", "phone": "+4930111"}
PRODUCT = {
    "title": "Pro Laptop 64GB",
    "is_active": True,
    "price": {**PRICE, "tax_rate": 1900},
    "seller_product_references": [REFERENCE],
    "seller_product_type": "hardware",
    "manufacturer": "Acme",
    "image": {"url": "https://shop.example/laptop.png"},
}


@dataclass(frozen=True)
class Operation:
    call: Callable[[TopiClient], Any]
    #: How the client's return value relates to topi's answer body.
    result: Callable[[Any], Any] = lambda body: body


OPERATIONS: dict[str, Operation] = {
    "offer#create": Operation(lambda c: c.create_offer(OFFER_BODY)),
    "offer#createForPartner": Operation(
        lambda c: c.create_partner_offer(
            {**OFFER_BODY, "sales_channel": "telesales", "sales_agent": AGENT}
        )
    ),
    "offer#validate": Operation(lambda c: c.validate_offer(OFFER_BODY)),
    "offer#show": Operation(lambda c: c.get_offer(OFFER_ID)),
    "offer#showByReference": Operation(lambda c: c.get_offer_by_reference("SO-100234")),
    "offer#edit": Operation(lambda c: c.edit_offer(OFFER_ID, OFFER_BODY)),
    "offer#void": Operation(lambda c: c.void_offer(OFFER_ID, superseded_by_id=OFFER_ID)),
    "offer#listOffersPaginated": Operation(
        lambda c: list(c.iter_offers(created_at_gte="2026-11-01T00:00:00Z")),
        lambda body: body["offers"],
    ),
    "order#show": Operation(lambda c: c.get_order(OFFER_ID)),
    "order#acknowledgeOrder": Operation(lambda c: c.acknowledge_order(OFFER_ID)),
    "order#acceptOrder": Operation(lambda c: c.accept_order(OFFER_ID)),
    "order#rejectOrder": Operation(lambda c: c.reject_order(OFFER_ID)),
    "order#setMetadata": Operation(lambda c: c.set_order_metadata(OFFER_ID, {"erp_id": "A-17"})),
    "order#getBySellerPaginated": Operation(
        lambda c: list(c.iter_orders(page_size=50)), lambda body: body["orders"]
    ),
    "shipment#create": Operation(
        lambda c: c.create_shipment(
            {
                "order_id": OFFER_ID,
                "serial_numbers": [
                    {"seller_product_reference": REFERENCE, "serial_number": "S01"},
                    {"seller_product_reference": REFERENCE, "serial_number": "S02"},
                    {
                        "seller_product_reference": {"source": "sap", "reference": "bag-1"},
                        "serial_number": "",
                    },
                ],
                "tracking_url": "https://tracking.example/123456789",
            }
        )
    ),
    "shippingMethod#getShippingMethods": Operation(
        lambda c: c.list_shipping_methods(), lambda body: body["data"]
    ),
    "shippingMethod#create": Operation(
        lambda c: c.create_shipping_method(
            {
                "seller_shipping_method_reference": "DHL Standard",
                "name": "DHL",
                "is_in_store_pickup": False,
            }
        )
    ),
    "catalog#importCatalog": Operation(lambda c: c.import_catalog({"products": [PRODUCT]})),
    "catalog#createImport": Operation(lambda c: c.create_catalog_import("catalog.csv")),
    "catalog#getImport": Operation(lambda c: c.get_catalog_import(OFFER_ID)),
    "catalog#cancelImport": Operation(lambda c: c.cancel_catalog_import(OFFER_ID)),
    "catalog#checkSupported": Operation(
        lambda c: c.check_supported({"seller_product_references": [REFERENCE]})
    ),
    "catalog#cartRentalOverview": Operation(
        lambda c: c.cart_rental_overview(
            {
                "products": [
                    {
                        "seller_product_reference": REFERENCE,
                        "quantity": 2,
                        "price": {**PRICE, "tax_rate": 1900},
                    }
                ]
            }
        )
    ),
    "catalog#listRecommendedRentalPrices": Operation(
        lambda c: c.recommended_rental_prices(
            {"pricing_requests": [{"seller_product_reference": REFERENCE, "price": PRICE}]}
        )
    ),
    "catalog#searchProducts": Operation(lambda c: c.search_products("laptop")),
    "catalog#searchProductsPaginated": Operation(
        lambda c: c.search_products_paginated(term="laptop", limit=20, page=1)
    ),
    "catalog#searchAndFilterProductsPaginated": Operation(
        lambda c: c.filter_products(
            {
                "filtering_logic": "AND",
                "filtering_options": [
                    {"property": "title", "operation": "contains", "value": "Laptop"}
                ],
            },
            limit=20,
            page=1,
        )
    ),
}

ERRORS_BY_STATUS = {
    400: TopiAPIError,
    401: TopiAuthError,
    403: TopiAuthError,
    404: TopiNotFound,
    413: TopiAPIError,
    422: TopiUnprocessable,
    429: TopiUnavailable,
    503: TopiUnavailable,
}


def test_the_client_covers_every_current_operation_of_the_spec():
    assert sorted(OPERATIONS) == openapi_spec.current_operations()


def register_everything(
    mocked: responses.RequestsMock, status: int, content_type: str, body: Any
) -> None:
    """Answer any Seller API request with one response."""
    pattern = re.compile(re.escape(API) + r"/v1/.*")
    for method in openapi_spec.METHODS:
        kwargs: dict[str, Any] = {"status": status}
        if body is None:
            kwargs["body"] = ""
        else:
            kwargs["json"] = body
            kwargs["content_type"] = content_type or "application/json"
        mocked.add(method.upper(), pattern, **kwargs)


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_request_fits_the_spec(mocked, client, op_id):
    status, content_type, _, example = next(
        e for e in openapi_spec.response_examples(op_id) if e[0] < 300
    )
    register_everything(mocked, status, content_type, example)

    OPERATIONS[op_id].call(client)

    sent = [c.request for c in mocked.calls if c.request.url.startswith(API)]
    assert sent, "no request reached the Seller API"
    for request in sent:
        assert openapi_spec.request_problems(op_id, request.method, request.url, request.body) == []


EXAMPLES = [
    pytest.param(op_id, status, content_type, value, id=f"{op_id}-{status}-{name}")
    for op_id in sorted(OPERATIONS)
    for status, content_type, name, value in openapi_spec.response_examples(op_id)
]


@pytest.mark.parametrize(("op_id", "status", "content_type", "example"), EXAMPLES)
def test_response_example_is_parsed(mocked, client, op_id, status, content_type, example):
    register_everything(mocked, status, content_type, example)
    operation = OPERATIONS[op_id]

    if status < 300:
        expected = None if example is None else operation.result(example)
        assert operation.call(client) == expected
        return

    with pytest.raises(ERRORS_BY_STATUS[status]) as excinfo:
        operation.call(client)
    error = excinfo.value
    assert error.status == status
    if isinstance(example, dict):
        assert error.message == example["message"]
        assert error.name == example["name"]
        assert error.body == example
        if "references" in example:
            assert error.references == example["references"]
    else:
        assert error.message == example


@pytest.mark.parametrize(
    ("op_id", "url", "body", "problem"),
    [
        (
            "offer#create",
            f"{API}/v1/offers",
            {**OFFER_BODY, "lines": []},
            "lines: [] should be non-empty",
        ),
        (
            "offer#create",
            f"{API}/v1/offers",
            {**OFFER_BODY, "sales_channel": "web"},
            "sales_channel",
        ),
        (
            "offer#create",
            f"{API}/v1/offers",
            {**OFFER_BODY, "success_redirect": "not a url"},
            "success_redirect",
        ),
        ("offer#show", f"{API}/v1/offers/{OFFER_ID}?limit=x", None, "query parameter 'limit'"),
        (
            "offer#listOffersPaginated",
            f"{API}/v1/offers/paginated?sort_by=price",
            None,
            "query sort_by",
        ),
        (
            "offer#create",
            f"{API}/v1/offers",
            {**OFFER_BODY, "expires_at": "tomorrow"},
            "expires_at",
        ),
        ("offer#show", f"{API}/v1/offer/{OFFER_ID}", None, "does not fit"),
    ],
)
def test_the_oracle_rejects_requests_that_do_not_fit(op_id, url, body, problem):
    import json

    method = openapi_spec.operations()[op_id][0]
    problems = openapi_spec.request_problems(op_id, method, url, json.dumps(body) if body else None)

    assert any(problem in p for p in problems), problems
