"""Every answer the simulator gives fits topi's OpenAPI spec, checked with the validator the
client's contract tests use, and every operation the client calls is served."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests

from django_topi.client import TopiUnprocessable, get_client
from django_topi.simulator.transport import SimulatorAdapter
from django_topi.testing import SIMULATOR_URL
from tests import openapi_spec, payloads

pytestmark = [pytest.mark.django_db, pytest.mark.contract]

#: The Seller API operations the simulator serves: every one django-topi's client calls.
SERVED = {
    "offer#create",
    "offer#validate",
    "offer#show",
    "offer#showByReference",
    "offer#edit",
    "offer#void",
    "offer#listOffersPaginated",
    "order#show",
    "order#acknowledgeOrder",
    "order#acceptOrder",
    "order#rejectOrder",
    "order#setMetadata",
    "order#getBySellerPaginated",
    "shipment#create",
    "shippingMethod#getShippingMethods",
    "shippingMethod#create",
    "catalog#importCatalog",
    "catalog#createImport",
    "catalog#getImport",
    "catalog#cancelImport",
    "catalog#checkSupported",
    "catalog#cartRentalOverview",
    "catalog#listRecommendedRentalPrices",
}
LAPTOP = {"source": "shop", "reference": "pro-laptop-14"}
DOCK = {"source": "shop", "reference": "usb-c-dock"}


@pytest.fixture
def answers(topi_simulator, monkeypatch):
    """Every (operation, status, body) the simulator answered through the client."""
    seen: list[tuple[str | None, int, Any]] = []
    send = SimulatorAdapter.send

    def recording(self, request, **kwargs):
        response = send(self, request, **kwargs)
        if "/v1/" in (request.url or ""):
            body = json.loads(response.content) if response.content else None
            seen.append(
                (
                    openapi_spec.operation_for(request.method, request.url),
                    response.status_code,
                    body,
                )
            )
        return response

    monkeypatch.setattr(SimulatorAdapter, "send", recording)
    return seen


def offer_body(reference="SO-1", lines=None, **changes):
    return {
        "seller_offer_reference": reference,
        "sales_channel": "ecommerce",
        "expires_at": payloads.instant(timedelta(days=1)),
        "success_redirect": "http://testserver/topi/return/success/",
        "exit_redirect": "http://testserver/topi/return/exit/",
        "customer": {
            "email": "alice@example.com",
            "full_name": "Alice Example",
            "company": {"name": "Unicorn Corp"},
        },
        "shipping_address": {
            "line1": "Musterstr. 1",
            "postal_code": "10243",
            "city": "Berlin",
            "country_code": "DE",
        },
        "shipping": {
            "seller_shipping_reference": "DHL Standard",
            "price": {"currency": "EUR", "gross": 595, "net": 500},
        },
        "lines": lines
        if lines is not None
        else [
            {
                "title": "Pro Laptop 14",
                "quantity": 2,
                "price": {"currency": "EUR", "gross": 309162, "net": 259800},
                "seller_product_reference": LAPTOP,
            }
        ],
        **changes,
    }


def product(ref, net, title):
    return {
        "title": title,
        "is_active": True,
        "seller_product_references": [ref],
        "price": {"currency": "EUR", "net": net, "gross": round(net * 1.19), "tax_rate": 1900},
    }


def exercise_everything(topi_simulator) -> None:
    """A whole day of a shop at topi, through the client, touching every served operation."""
    client = get_client()
    client.create_shipping_method(
        {"seller_shipping_method_reference": "DHL Standard", "name": "DHL"}
    )
    client.list_shipping_methods()
    client.import_catalog({"products": [product(LAPTOP, 129900, "Pro Laptop 14")]})
    job = client.create_catalog_import("catalog.csv")
    client.upload_catalog_csv(
        job["upload_url"],
        b"title,reference,reference_source,is_active,price_gross,price_net,currency\n"
        b"USB-C Dock,usb-c-dock,shop,true,177.31,149.00,EUR\n",
    )
    for _ in range(4):
        client.get_catalog_import(job["id"])
    second = client.create_catalog_import("again.csv")
    client.cancel_catalog_import(second["id"])
    client.check_supported(
        {"seller_product_references": [LAPTOP, {"source": "shop", "reference": "x"}]}
    )
    client.cart_rental_overview({"products": [{"seller_product_reference": LAPTOP, "quantity": 2}]})
    client.recommended_rental_prices({"pricing_requests": [{"seller_product_reference": DOCK}]})

    client.validate_offer(offer_body())
    first = client.create_offer(offer_body())
    client.get_offer(first["id"])
    client.get_offer_by_reference("SO-1")
    edited = client.edit_offer(
        first["id"],
        offer_body(
            lines=[
                {
                    "title": "USB-C Dock",
                    "quantity": 1,
                    "price": {"currency": "EUR", "net": 14900},
                    "seller_product_reference": DOCK,
                }
            ]
        ),
    )
    other = client.create_offer(offer_body("SO-2"))
    client.void_offer(other["id"])
    list(client.iter_offers(page_size=1))

    topi_simulator.accept(topi_simulator.offer("SO-1"))
    order_id = topi_simulator.order("SO-1").topi_id
    client.get_order(order_id)
    client.acknowledge_order(order_id)
    client.accept_order(order_id)
    client.set_order_metadata(order_id, {"erp_id": "A-17"})
    client.create_shipment(
        {
            "order_id": order_id,
            "tracking_url": "https://track.example/1",
            "serial_numbers": [{"seller_product_reference": DOCK, "serial_number": "SN-1"}],
        }
    )
    client.create_offer(offer_body("SO-3"))
    topi_simulator.accept(topi_simulator.offer("SO-3"))
    client.reject_order(topi_simulator.order("SO-3").topi_id)
    list(client.iter_orders(page_size=1))
    assert edited["id"] != first["id"]


def test_every_answer_fits_topis_spec(topi_simulator, answers):
    exercise_everything(topi_simulator)

    problems = [
        f"{op_id} {status}: {problem}"
        for op_id, status, body in answers
        for problem in openapi_spec.response_problems(op_id, status, body)
    ]
    assert problems == []
    assert {op_id for op_id, _, _ in answers} == SERVED


def test_every_operation_the_client_calls_is_served():
    """The simulator serves each current Seller API operation django-topi uses; the others (the
    product searches and partner offers) django-topi never calls from its code."""
    unserved = set(openapi_spec.current_operations()) - SERVED
    assert unserved == {
        "catalog#searchAndFilterProductsPaginated",
        "catalog#searchProducts",
        "catalog#searchProductsPaginated",
        "offer#createForPartner",
    }


ERRORS = {
    "unsupported product": (
        lambda c: c.create_offer(
            offer_body(
                lines=[
                    {
                        "title": "Phone",
                        "quantity": 1,
                        "price": {"currency": "EUR", "net": 100},
                        "seller_product_reference": {"source": "shop", "reference": "phone"},
                    }
                ]
            )
        ),
        "offer#create",
        422,
        "UnsupportedProducts",
    ),
    "unsupported shipping": (
        lambda c: c.create_offer(
            offer_body(
                shipping={
                    "seller_shipping_reference": "Pigeon",
                    "price": {"currency": "EUR", "gross": 0, "net": 0},
                }
            )
        ),
        "offer#create",
        422,
        "UnsupportedShipping",
    ),
    "no lines": (
        lambda c: c.create_offer(offer_body(lines=[])),
        "offer#create",
        422,
        "Unprocessable",
    ),
    "active duplicate reference": (
        lambda c: (c.create_offer(offer_body("SO-9")), c.create_offer(offer_body("SO-9"))),
        "offer#create",
        422,
        "Unprocessable",
    ),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_topis_documented_errors_come_back_as_topi_sends_them(topi_simulator, answers, case):
    call, op_id, status, name = case
    topi_simulator.add_product("pro-laptop-14", 129900)
    topi_simulator.add_shipping_method("DHL Standard")

    with pytest.raises(TopiUnprocessable) as error:
        call(get_client())

    assert (error.value.status, error.value.name) == (status, name)
    last = answers[-1]
    assert last[:2] == (op_id, status)
    assert openapi_spec.response_problems(op_id, status, last[2]) == []


def test_an_unsupported_product_is_named_in_the_references(topi_simulator):
    with pytest.raises(TopiUnprocessable) as error:
        get_client().create_offer(offer_body())

    assert error.value.references == [LAPTOP]


def test_an_order_action_from_the_wrong_status_is_422_invalid_status(topi_simulator, answers):
    topi_simulator.add_product("pro-laptop-14", 129900)
    topi_simulator.add_shipping_method("DHL Standard")
    get_client().create_offer(offer_body())
    order = topi_simulator.accept()
    get_client().accept_order(order.topi_id)

    with pytest.raises(TopiUnprocessable) as error:
        get_client().acknowledge_order(order.topi_id)

    assert error.value.name == "InvalidStatus"
    assert answers[-1][:2] == ("order#acknowledgeOrder", 422)
    assert openapi_spec.response_problems("order#acknowledgeOrder", 422, answers[-1][2]) == []


def test_a_too_large_catalog_batch_is_413(topi_simulator, settings, answers):
    settings.TOPI_SIMULATOR = {**settings.TOPI_SIMULATOR, "CATALOG_BATCH_LIMIT": 2}
    from django_topi.client import TopiAPIError

    with pytest.raises(TopiAPIError) as error:
        get_client().import_catalog({"products": [product(LAPTOP, 100, "A")] * 3})

    assert error.value.status == 413
    assert openapi_spec.response_problems("catalog#importCatalog", 413, answers[-1][2]) == []


def test_an_unknown_offer_is_404(topi_simulator, answers):
    from django_topi.client import TopiNotFound

    with pytest.raises(TopiNotFound):
        get_client().get_offer("00000000-0000-4000-8000-000000000000")

    assert openapi_spec.response_problems("offer#show", 404, answers[-1][2]) == []


def test_a_wrong_token_is_401_as_topi_answers(topi_simulator):
    response = requests.Session()
    response.mount("http://testserver/topi-simulator/", SimulatorAdapter(SIMULATOR_URL))

    answer = response.get(
        "http://testserver/topi-simulator/v1/offers/x", headers={"Authorization": "Bearer forged"}
    )

    assert answer.status_code == 401
    assert openapi_spec.response_problems("offer#show", 401, answer.json()) == []
