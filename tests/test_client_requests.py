"""What the client puts on the wire: paths, headers, timeouts, ids, pagination."""

from __future__ import annotations

import json
import threading

import pytest
import requests
import responses
from django.test import override_settings
from django.utils import translation

from django_topi import __version__
from django_topi.client import TopiClient, get_client, mount, unmount
from tests.conftest import API, api_calls

OFFER_ID = "739b63c2-9e58-4964-b38d-4ebb424de242"


def test_every_call_sends_the_configured_timeout(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json={})

    client.get_offer(OFFER_ID)

    assert api_calls(mocked)[0].request.req_kwargs["timeout"] == (1.0, 2.0)
    assert mocked.calls[0].request.req_kwargs["timeout"] == (1.0, 2.0)  # the token call too


def test_user_agent_names_django_topi_and_its_version(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json={})

    client.get_offer(OFFER_ID)

    assert (
        api_calls(mocked)[0].request.headers["User-Agent"].startswith(f"django-topi/{__version__} ")
    )


@pytest.mark.parametrize(
    ("language", "header"), [("de", "de"), ("en-us", "en-US"), ("de-at", "de-AT")]
)
def test_accept_language_follows_the_active_language(mocked, client, language, header):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json={})

    with translation.override(language):
        client.get_offer(OFFER_ID)

    assert api_calls(mocked)[0].request.headers["Accept-Language"] == header


def test_no_accept_language_without_an_active_language(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER_ID}", json={})

    with translation.override(None):
        client.get_offer(OFFER_ID)

    assert "Accept-Language" not in api_calls(mocked)[0].request.headers


def test_bodies_are_json(mocked, client):
    mocked.post(f"{API}/v1/offers", status=201, json={"id": OFFER_ID})

    client.create_offer({"seller_offer_reference": "SO-1"})

    request = api_calls(mocked)[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"seller_offer_reference": "SO-1"}


@pytest.mark.parametrize("bad_id", ["../orders", "abc def", "", "x?y=1", "a/b"])
def test_ids_that_are_not_topi_ids_never_reach_a_url(mocked, client, bad_id):
    with pytest.raises(ValueError, match="is not a topi offer id"):
        client.get_offer(bad_id)
    assert api_calls(mocked) == []


def test_references_are_percent_encoded(mocked, client):
    mocked.get(f"{API}/v1/offers/ref/A%2F1%20%3F2", json={"id": OFFER_ID})

    assert client.get_offer_by_reference("A/1 ?2") == {"id": OFFER_ID}


def test_void_sends_the_superseding_offer(mocked, client):
    mocked.post(f"{API}/v1/offers/{OFFER_ID}/void", json={"id": OFFER_ID, "status": "voided"})

    client.void_offer(OFFER_ID, superseded_by_id="60412bcf-8213-4804-841e-f3c36ce46394")

    body = json.loads(api_calls(mocked)[0].request.body)
    assert body == {"superseded_by_id": "60412bcf-8213-4804-841e-f3c36ce46394"}


def test_order_actions_post_to_their_paths(mocked, client):
    for action in ("acknowledge", "accept", "reject"):
        mocked.post(f"{API}/v1/orders/{OFFER_ID}/{action}", json={"id": OFFER_ID})

    client.acknowledge_order(OFFER_ID)
    client.accept_order(OFFER_ID)
    client.reject_order(OFFER_ID)

    assert [c.request.path_url for c in api_calls(mocked)] == [
        f"/v1/orders/{OFFER_ID}/acknowledge",
        f"/v1/orders/{OFFER_ID}/accept",
        f"/v1/orders/{OFFER_ID}/reject",
    ]


def test_set_order_metadata_patches_the_order(mocked, client):
    mocked.patch(f"{API}/v1/orders/{OFFER_ID}", json={"id": OFFER_ID, "metadata": {"a": "1"}})

    client.set_order_metadata(OFFER_ID, {"a": "1"})

    assert json.loads(api_calls(mocked)[0].request.body) == {"metadata": {"a": "1"}}


def test_shipping_methods_are_read_across_pages(mocked, client):
    url = f"{API}/v1/shipping-method"
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher({"page": "0"})],
        json={"data": [{"id": "m1"}], "pagination": {"has_more": True, "page": 0}},
    )
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher({"page": "1"})],
        json={"data": [{"id": "m2"}], "pagination": {"has_more": False, "page": 1}},
    )

    assert client.list_shipping_methods() == [{"id": "m1"}, {"id": "m2"}]


def test_csv_upload_goes_to_the_presigned_url_without_the_bearer_token(mocked, client):
    upload_url = "https://storage.example.test/bucket/catalog.csv?X-Signature=abc"
    mocked.put(upload_url, status=200)

    client.upload_catalog_csv(upload_url, b"title,reference\n")

    request = mocked.calls[-1].request
    assert request.headers["Content-Type"] == "text/csv"
    assert request.headers["x-goog-content-length-range"] == "0,262144000"
    assert "Authorization" not in request.headers
    assert request.body == b"title,reference\n"


def test_cancel_import_answers_none_for_an_empty_200(mocked, client):
    mocked.delete(f"{API}/v1/catalog/imports/{OFFER_ID}", status=200, body="")

    assert client.cancel_catalog_import(OFFER_ID) is None


def test_get_client_builds_from_settings_and_is_reused(settings):
    first = get_client()

    assert first is get_client()
    assert first.api_base_url == "https://seller-api-sandbox.topi-sandbox.eu"
    with override_settings(TOPI={**settings.TOPI, "ENVIRONMENT": "production"}):
        production = get_client()
    assert production is not first
    assert production.api_base_url == "https://seller-api.topi.eu"
    assert production.tokens.token_url == "https://identity.topi.eu/oauth2/token"


def test_get_client_honours_url_overrides(settings):
    with override_settings(
        TOPI={
            **settings.TOPI,
            "API_BASE_URL": "http://localhost:9000/topi/",
            "TOKEN_URL": "http://localhost:9000/topi/oauth2/token",
            "TIMEOUT": 3,
        }
    ):
        client = get_client()
    assert client.api_base_url == "http://localhost:9000/topi"
    assert client.timeout == (3.0, 3.0)


def test_repr_names_the_endpoint_only():
    client = TopiClient(
        client_id="cid",
        client_secret="hunter2",
        api_base_url=API,
        token_url="https://t.example/token",
    )
    assert repr(client) == f"<TopiClient {API} client_id='cid'>"


def test_a_mount_reaches_the_clients_other_threads_built_before():
    """The testing plugin mounts the simulator after a live server's threads may have built
    their clients: those threads' next client routes through the mounted adapter too."""
    clients: dict[str, TopiClient] = {}
    built, mounted = threading.Event(), threading.Event()

    def worker() -> None:
        clients["before"] = get_client()
        built.set()
        mounted.wait(5)
        clients["after"] = get_client()

    thread = threading.Thread(target=worker)
    thread.start()
    built.wait(5)
    adapter = requests.adapters.HTTPAdapter()
    mount("https://mounted.example/", adapter)
    try:
        mounted.set()
        thread.join(5)
    finally:
        unmount("https://mounted.example/")

    assert clients["after"] is not clients["before"]
    assert clients["after"]._session.get_adapter("https://mounted.example/v1/x") is adapter
    assert clients["before"]._session.get_adapter("https://mounted.example/v1/x") is not adapter
