"""OAuth2 client credentials: the token request, the shared cache, renewal and the 401 retry."""

from __future__ import annotations

import base64
import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
import responses
from django.core.cache import cache

from django_topi.client import TopiAuthError, TopiClient, TopiUnavailable
from tests.conftest import API, SECRET, TOKEN_URL, api_calls, token_calls

OFFER = {"id": "739b63c2-9e58-4964-b38d-4ebb424de242", "status": "created"}


def test_token_request_is_client_credentials_with_basic_auth(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER['id']}", json=OFFER)

    client.get_offer(OFFER["id"])

    request = token_calls(mocked)[0].request
    expected = base64.b64encode(f"test-client:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body) == {"grant_type": ["client_credentials"], "scope": ["client"]}
    assert api_calls(mocked)[0].request.headers["Authorization"] == "Bearer tok-1"


def test_two_clients_sharing_the_cache_make_one_token_request_for_many_calls(mocked, sleeps):
    mocked.get(f"{API}/v1/offers/{OFFER['id']}", json=OFFER)
    first, second = (
        TopiClient(
            client_id="test-client",
            client_secret=SECRET,
            api_base_url=API,
            token_url=TOKEN_URL,
            sleep=sleeps,
        )
        for _ in range(2)
    )

    for _ in range(10):
        first.get_offer(OFFER["id"])
        second.get_offer(OFFER["id"])

    assert len(token_calls(mocked)) == 1
    assert len(api_calls(mocked)) == 20


def test_token_is_renewed_before_it_expires(mocked, client, monkeypatch):
    mocked.replace(responses.POST, TOKEN_URL, json={"access_token": "short", "expires_in": 120})
    mocked.get(f"{API}/v1/offers/{OFFER['id']}", json=OFFER)
    clock = [1_000_000.0]
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: clock[0])

    client.get_offer(OFFER["id"])
    clock[0] += 59  # within expires_in minus the 60 s margin: reused
    client.get_offer(OFFER["id"])
    assert len(token_calls(mocked)) == 1

    clock[0] += 2  # 61 s after issue: 59 s before topi would refuse it, renewed
    client.get_offer(OFFER["id"])
    assert len(token_calls(mocked)) == 2


def test_401_fetches_exactly_one_fresh_token_and_retries_once(mocked, client):
    cache.set(client.tokens.cache_key, "stale-token")
    url = f"{API}/v1/offers/{OFFER['id']}"
    mocked.get(url, status=401, json="Unauthorized")
    mocked.get(url, json=OFFER)

    assert client.get_offer(OFFER["id"]) == OFFER

    calls = api_calls(mocked)
    assert [c.request.headers["Authorization"] for c in calls] == [
        "Bearer stale-token",
        "Bearer tok-1",
    ]
    assert len(token_calls(mocked)) == 1
    assert cache.get(client.tokens.cache_key) == "tok-1"


def test_a_second_401_raises_auth_error_without_looping(mocked, client):
    mocked.get(f"{API}/v1/offers/{OFFER['id']}", status=401, json="Unauthorized")

    with pytest.raises(TopiAuthError) as excinfo:
        client.get_offer(OFFER["id"])

    assert excinfo.value.status == 401
    assert excinfo.value.message == "Unauthorized"
    assert len(api_calls(mocked)) == 2
    assert len(token_calls(mocked)) == 2


def test_401_does_not_discard_a_token_another_process_already_renewed(mocked, client):
    cache.set(client.tokens.cache_key, "newer-token")
    client.tokens.invalidate("older-token")
    assert cache.get(client.tokens.cache_key) == "newer-token"


def test_refused_credentials_raise_auth_error_that_names_the_settings(mocked, client):
    mocked.replace(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})

    with pytest.raises(TopiAuthError) as excinfo:
        client.get_offer(OFFER["id"])

    assert "TOPI['CLIENT_ID']" in str(excinfo.value)
    assert api_calls(mocked) == []


def test_token_endpoint_outage_is_retried_then_reported_unavailable(mocked, client, sleeps):
    mocked.replace(responses.POST, TOKEN_URL, status=503)

    with pytest.raises(TopiUnavailable):
        client.get_offer(OFFER["id"])

    assert len(token_calls(mocked)) == 3
    assert len(sleeps.calls) == 2


def test_token_answer_without_expiry_is_cached_briefly(mocked, client, time_machine):
    """Five minutes (less the refresh margin), then a new token: never forever."""
    mocked.replace(responses.POST, TOKEN_URL, json={"access_token": "no-expiry"})
    mocked.get(f"{API}/v1/offers/{OFFER['id']}", json=OFFER)
    time_machine.move_to(datetime.now(tz=timezone.utc), tick=False)

    client.get_offer(OFFER["id"])
    time_machine.shift(timedelta(seconds=239))
    client.get_offer(OFFER["id"])
    assert len(token_calls(mocked)) == 1
    time_machine.shift(timedelta(seconds=2))
    client.get_offer(OFFER["id"])

    assert len(token_calls(mocked)) == 2
    assert api_calls(mocked)[0].request.headers["Authorization"] == "Bearer no-expiry"


def test_secret_and_tokens_never_reach_logs_reprs_or_errors(mocked, client, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"{API}/v1/offers/{OFFER['id']}"
    mocked.get(url, status=401, json="Unauthorized")

    with pytest.raises(TopiAuthError) as excinfo:
        client.get_offer(OFFER["id"])

    exposed = " ".join(
        [caplog.text, repr(client), repr(client.tokens), str(excinfo.value), repr(excinfo.value)]
    )
    assert SECRET not in exposed
    assert "tok-1" not in exposed
    assert base64.b64encode(f"test-client:{SECRET}".encode()).decode() not in exposed
    assert "topi GET /v1/offers/739b63c2-9e58-4964-b38d-4ebb424de242 -> 401" in caplog.text
