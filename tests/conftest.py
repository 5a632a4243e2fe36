"""Fixtures shared by the test suite: a mocked topi, a client wired to it, a clean cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from django_topi.client import TopiClient

API = "https://seller-api-sandbox.topi-sandbox.eu"
TOKEN_URL = "https://identity.topi-sandbox.eu/oauth2/token"
SECRET = "test-secret-value"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request with Accept-Language leaves its language active in the thread; reset it."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """A mocked topi: every unexpected request fails the test; a token endpoint that answers."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 7200, "scope": "client"})
        yield rsps


class SleepRecorder:
    """Stands in for time.sleep so retry tests run instantly and can assert the waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(sleeps: SleepRecorder) -> TopiClient:
    return TopiClient(
        client_id="test-client",
        client_secret=SECRET,
        api_base_url=API,
        token_url=TOKEN_URL,
        timeout=(1.0, 2.0),
        max_retries=2,
        retry_backoff=0.5,
        sleep=sleeps,
    )


def api_calls(rsps: responses.RequestsMock) -> list[responses.Call]:
    """The calls that went to the Seller API (not the token endpoint)."""
    return [c for c in rsps.calls if c.request.url and c.request.url.startswith(API)]


def token_calls(rsps: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in rsps.calls if c.request.url == TOKEN_URL]


@pytest.fixture
def shop_cart():
    """Put a cart in the shop: ``shop_cart(cart)``; the CART_ADAPTER of the tests returns it."""
    from tests import adapters

    def put(cart):
        adapters.CURRENT_CART = cart
        return cart

    yield put
    adapters.CURRENT_CART = None


@pytest.fixture
def web():
    """A browser for the shop's pages (pytest-django's ``client`` name is the topi client here)."""
    from django.test import Client

    return Client()


@pytest.fixture
def sleeps_off(settings):
    """No waiting between the client's retries (for tests that count attempts)."""
    settings.TOPI = {**settings.TOPI, "RETRY_BACKOFF": 0}
