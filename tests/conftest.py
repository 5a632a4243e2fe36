"""Fixtures shared by the test suite: a mocked topi, a client wired to it, a clean cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from django_topi.client import TopiClient
from tests import clock, payloads


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-shift",
        default=os.environ.get("TOPI_TEST_CLOCK_SHIFT", ""),
        metavar="3y",
        help="run with the clock moved by 3y, -90d or 12h (env TOPI_TEST_CLOCK_SHIFT); "
        ".ci/run moves it three years ahead to catch tests that depend on today's date",
    )


def pytest_configure(config: pytest.Config) -> None:
    shift = config.getoption("--clock-shift")
    if shift:
        destination, traveller = clock.start(shift)
        config.add_cleanup(traveller.stop)
        config.stash[CLOCK] = (
            f"clock shifted by {shift}: the suite starts at {destination:%Y-%m-%d %H:%M} UTC"
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(CLOCK, None)


CLOCK = pytest.StashKey[str]()
API = "https://seller-api-sandbox.topi-sandbox.eu"
TOKEN_URL = "https://identity.topi-sandbox.eu/oauth2/token"
SECRET = "test-secret-value"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _payload_instants() -> None:
    """topi payloads built in this test carry instants relative to its start."""
    payloads.start_of_test()


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


class QueryBudget:
    """``with query_budget(20, "a checkout"):`` fails unless the block makes exactly 20 queries
    (``{"sqlite": 19, "postgresql": 18}`` where the database decides).

    A budget sits at what the code measures, not under a loose ceiling, so an extra query is
    noticed the day it is added, and a saved one lowers the budget. The failure names the figure
    and lists the SQL.
    """

    @contextmanager
    def __call__(self, budget: int | dict[str, int], what: str) -> Iterator[CaptureQueriesContext]:
        if isinstance(budget, dict):
            budget = budget[connection.vendor]  # e.g. SQLite splits a large bulk insert
        with CaptureQueriesContext(connection) as captured:
            yield captured
        measured = len(captured.captured_queries)
        if measured != budget:
            statements = "\n".join(
                f"{number:>3}. {query['sql'][:300]}"
                for number, query in enumerate(captured.captured_queries, start=1)
            )
            advice = (
                f"lower the budget to {measured}"
                if measured < budget
                else "remove the new query, or raise the budget and say why"
            )
            pytest.fail(
                f"{what} made {measured} queries; its budget is {budget}: {advice}.\n{statements}",
                pytrace=False,
            )


@pytest.fixture
def query_budget() -> QueryBudget:
    return QueryBudget()


@pytest.fixture
def sleeps_off(settings):
    """No waiting between the client's retries (for tests that count attempts)."""
    settings.TOPI = {**settings.TOPI, "RETRY_BACKOFF": 0}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test, so fixtures can tell a failure (browser reports)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
