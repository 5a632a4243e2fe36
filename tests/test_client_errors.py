"""topi's error answers become TopiError subclasses that carry topi's fields, never raw pages."""

from __future__ import annotations

import pytest

from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiError,
    TopiNotFound,
    TopiResponseError,
    TopiUnavailable,
    TopiUnprocessable,
)
from tests.conftest import API, api_calls

OFFER_ID = "739b63c2-9e58-4964-b38d-4ebb424de242"
GOA = "application/vnd.goa.error"


def goa(name: str, message: str, **flags: bool) -> dict[str, object]:
    return {
        "name": name,
        "message": message,
        "id": "occ-123",
        "temporary": False,
        "timeout": False,
        "fault": False,
        **flags,
    }


def test_not_found_carries_topis_fields(mocked, client):
    mocked.get(
        f"{API}/v1/offers/{OFFER_ID}",
        status=404,
        content_type=GOA,
        json=goa("not_found", "offer not found"),
    )

    with pytest.raises(TopiNotFound) as excinfo:
        client.get_offer(OFFER_ID)

    error = excinfo.value
    assert (error.status, error.name, error.message, error.error_id) == (
        404,
        "not_found",
        "offer not found",
        "occ-123",
    )
    assert str(error) == (
        f"topi GET /v1/offers/{OFFER_ID}: HTTP 404 not_found: offer not found "
        "(topi error id occ-123)"
    )


def test_unsupported_products_carry_the_references(mocked, client):
    mocked.post(
        f"{API}/v1/offers",
        status=422,
        json={
            "name": "UnsupportedProducts",
            "message": "The following references are marked as unsupported by topi.",
            "references": [{"reference": "unsupported-1", "source": "sap"}],
        },
    )

    with pytest.raises(TopiUnprocessable) as excinfo:
        client.create_offer({"seller_offer_reference": "SO-1"})

    assert excinfo.value.name == "UnsupportedProducts"
    assert excinfo.value.references == [{"reference": "unsupported-1", "source": "sap"}]


def test_invalid_status_is_unprocessable(mocked, client):
    mocked.post(
        f"{API}/v1/orders/{OFFER_ID}/acknowledge",
        status=422,
        content_type=GOA,
        json=goa("InvalidStatus", "order is not in status created"),
    )

    with pytest.raises(TopiUnprocessable) as excinfo:
        client.acknowledge_order(OFFER_ID)

    assert excinfo.value.name == "InvalidStatus"
    assert excinfo.value.references == []


def test_forbidden_plain_string_body_is_an_auth_error(mocked, client):
    mocked.get(f"{API}/v1/orders/{OFFER_ID}", status=403, json="InvalidScopes")

    with pytest.raises(TopiAuthError) as excinfo:
        client.get_order(OFFER_ID)

    assert excinfo.value.status == 403
    assert excinfo.value.message == "InvalidScopes"
    assert len(api_calls(mocked)) == 1  # only 401 earns a token refresh


def test_bad_request_is_the_generic_api_error(mocked, client):
    mocked.post(
        f"{API}/v1/shipment",
        status=400,
        content_type=GOA,
        json=goa("bad_request", "serial number required"),
    )

    with pytest.raises(TopiAPIError) as excinfo:
        client.create_shipment({"order_id": OFFER_ID, "serial_numbers": []})

    assert type(excinfo.value) is TopiAPIError
    assert excinfo.value.message == "serial number required"


def test_too_many_products_is_an_api_error_with_status_413(mocked, client):
    mocked.post(
        f"{API}/v1/catalog/import",
        status=413,
        content_type=GOA,
        json=goa("TooManyProducts", "too many products"),
    )

    with pytest.raises(TopiAPIError) as excinfo:
        client.import_catalog({"products": []})

    assert excinfo.value.status == 413
    assert excinfo.value.name == "TooManyProducts"


def test_html_error_page_is_not_echoed(mocked, client):
    mocked.post(
        f"{API}/v1/offers",
        status=502,
        body="<html><body>Bad gateway from proxy</body></html>",
        content_type="text/html",
    )

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer({})

    assert "<html>" not in str(excinfo.value)
    assert excinfo.value.message == "Bad Gateway"


def test_success_with_a_body_that_is_not_json_is_a_response_error(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", body="not json", content_type="text/plain")

    with pytest.raises(TopiResponseError):
        client.get_offer(OFFER_ID)


def test_every_error_is_a_topi_error():
    for cls in (
        TopiAPIError,
        TopiAuthError,
        TopiNotFound,
        TopiUnprocessable,
        TopiUnavailable,
        TopiResponseError,
    ):
        assert issubclass(cls, TopiError)


def test_long_messages_are_cut(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", status=400, json=goa("bad_request", "x" * 5000))

    with pytest.raises(TopiAPIError) as excinfo:
        client.get_offer(OFFER_ID)

    assert len(excinfo.value.message) == 500
