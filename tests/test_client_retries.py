"""Retries happen only where repeating is safe; a POST that creates something is never repeated blindly."""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from django_topi.client import TopiUnavailable
from tests.conftest import API, api_calls

OFFER_ID = "739b63c2-9e58-4964-b38d-4ebb424de242"
OFFER_URL = f"{API}/v1/offers/{OFFER_ID}"
CREATE_URL = f"{API}/v1/offers"
BODY = {"seller_offer_reference": "SO-1", "sales_channel": "ecommerce", "lines": []}


def test_get_is_retried_with_backoff_after_a_5xx(mocked, client, sleeps):
    mocked.get(OFFER_URL, status=503)
    mocked.get(OFFER_URL, status=502)
    mocked.get(OFFER_URL, json={"id": OFFER_ID})

    assert client.get_offer(OFFER_ID) == {"id": OFFER_ID}

    assert len(api_calls(mocked)) == 3
    assert len(sleeps.calls) == 2
    assert 0.25 <= sleeps.calls[0] <= 0.5
    assert 0.5 <= sleeps.calls[1] <= 1.0


def test_get_gives_up_after_max_retries(mocked, client, sleeps):
    mocked.get(
        OFFER_URL,
        status=500,
        json={
            "name": "fault",
            "message": "boom",
            "id": "e1",
            "temporary": False,
            "timeout": False,
            "fault": True,
        },
    )

    with pytest.raises(TopiUnavailable) as excinfo:
        client.get_offer(OFFER_ID)

    assert excinfo.value.fault is True
    assert len(api_calls(mocked)) == 3


def test_get_read_timeout_is_retried(mocked, client, sleeps):
    mocked.get(OFFER_URL, body=requests.ReadTimeout("read timed out"))
    mocked.get(OFFER_URL, json={"id": OFFER_ID})

    assert client.get_offer(OFFER_ID) == {"id": OFFER_ID}
    assert len(api_calls(mocked)) == 2


def test_create_offer_is_not_repeated_after_a_5xx(mocked, client, sleeps):
    mocked.post(
        CREATE_URL,
        status=503,
        json={
            "name": "ServiceUnavailable",
            "message": "busy",
            "id": "x",
            "temporary": True,
            "timeout": False,
            "fault": False,
        },
    )

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer(BODY)

    assert excinfo.value.temporary is True
    assert len(api_calls(mocked)) == 1
    assert sleeps.calls == []


def test_create_offer_is_not_repeated_after_a_read_timeout(mocked, client, sleeps):
    mocked.post(CREATE_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer(BODY)

    assert excinfo.value.timeout is True
    assert len(api_calls(mocked)) == 1


def test_create_offer_is_repeated_when_it_never_left_the_machine(mocked, client, sleeps):
    mocked.post(CREATE_URL, body=requests.ConnectTimeout("connect timed out"))
    mocked.post(CREATE_URL, status=201, json={"id": OFFER_ID})

    assert client.create_offer(BODY) == {"id": OFFER_ID}
    assert len(api_calls(mocked)) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_post_is_repeated_when_topi_asks_with_retry_after(mocked, client, sleeps, status):
    mocked.post(CREATE_URL, status=status, headers={"Retry-After": "2"})
    mocked.post(CREATE_URL, status=201, json={"id": OFFER_ID})

    assert client.create_offer(BODY) == {"id": OFFER_ID}
    assert sleeps.calls == [2.0]


def test_retry_after_longer_than_the_limit_is_reported_not_waited(mocked, client, sleeps):
    mocked.post(
        CREATE_URL,
        status=429,
        headers={"Retry-After": "120"},
        json={
            "name": "TooManyRequests",
            "message": "slow down",
            "id": "r",
            "temporary": True,
            "timeout": False,
            "fault": False,
        },
    )

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer(BODY)

    assert excinfo.value.retry_after == 120.0
    assert excinfo.value.name == "TooManyRequests"
    assert sleeps.calls == []


def test_retry_after_as_http_date_is_understood(mocked, client, sleeps):
    mocked.get(OFFER_URL, status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    mocked.get(OFFER_URL, json={"id": OFFER_ID})

    client.get_offer(OFFER_ID)

    assert sleeps.calls == [0.0]


def test_query_only_post_is_retried(mocked, client, sleeps):
    url = f"{API}/v1/catalog/check-supported"
    mocked.post(url, status=502)
    mocked.post(url, json={"products": []})

    assert client.check_supported({"seller_product_references": []}) == {"products": []}
    assert len(api_calls(mocked)) == 2


def test_order_action_is_not_repeated_after_a_5xx(mocked, client, sleeps):
    mocked.post(f"{API}/v1/orders/{OFFER_ID}/accept", status=500)

    with pytest.raises(TopiUnavailable):
        client.accept_order(OFFER_ID)

    assert len(api_calls(mocked)) == 1


def test_retries_can_be_switched_off(mocked, sleeps):
    from django_topi.client import TopiClient
    from tests.conftest import SECRET, TOKEN_URL

    no_retries = TopiClient(
        client_id="c",
        client_secret=SECRET,
        api_base_url=API,
        token_url=TOKEN_URL,
        max_retries=0,
        sleep=sleeps,
    )
    mocked.get(OFFER_URL, status=503)

    with pytest.raises(TopiUnavailable):
        no_retries.get_offer(OFFER_ID)

    assert len(api_calls(mocked)) == 1


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/v1/offers", reason=reason))  # type: ignore[arg-type]


def test_create_offer_is_repeated_after_connection_refused(mocked, client, sleeps):
    mocked.post(CREATE_URL, body=refused())
    mocked.post(CREATE_URL, status=201, json={"id": OFFER_ID})

    assert client.create_offer(BODY) == {"id": OFFER_ID}
    assert len(api_calls(mocked)) == 2


def test_create_offer_is_not_repeated_after_a_connection_reset(mocked, client, sleeps):
    mocked.post(CREATE_URL, body=requests.ConnectionError("Connection reset by peer"))

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer(BODY)

    assert excinfo.value.message == "topi could not be reached"
    assert len(api_calls(mocked)) == 1
