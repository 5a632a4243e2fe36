"""topi_sync, topi_sync_shipping_methods and topi_expire_offers, against a mocked topi."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.test import override_settings
from django.utils import timezone

from django_topi.management.progress import Progress
from django_topi.models import Offer, Order, StatusChange
from tests import payloads
from tests.conftest import API, api_calls

pytestmark = pytest.mark.django_db

ORDERS_PAGE = re.compile(re.escape(f"{API}/v1/orders/paginated") + r"(\?.*)?$")
ORDER_DETAIL = re.compile(re.escape(f"{API}/v1/orders/") + r"(?!paginated)([^/?]+)$")
OFFERS_PAGE = re.compile(re.escape(f"{API}/v1/offers/paginated") + r"(\?.*)?$")


def order_id(n: int) -> str:
    """topi's ids are UUIDs; these sort in ``n`` order, as topi's ``id_gt`` cursor needs."""
    return f"00000000-0000-4000-8000-{n:012d}"


def offer_id(n: int) -> str:
    return f"10000000-0000-4000-8000-{n:012d}"


def full_order(n: int, status: str = "confirmed") -> dict[str, Any]:
    """Order ``n`` as getOrder answers it (its assets' ids are its own)."""
    order = payloads.order(status, id=order_id(n), seller_offer_reference=f"SO-{n}",
                           offer_id=offer_id(n))  # fmt: skip
    for position, asset in enumerate(order["assets"]):
        asset["id"] = f"{order_id(n)}-a{position}"
    return order


class FakeTopi:
    """topi's order and offer lists (``id_gt`` cursor, ``limit``) and getOrder, for responses."""

    def __init__(self, rsps: responses.RequestsMock, orders: int = 0, offers: int = 0) -> None:
        self.statuses = {order_id(n): "confirmed" for n in range(orders)}
        self.offers = [payloads.offer("created", id=offer_id(n), seller_offer_reference=f"SO-{n}")
                       for n in range(offers)]  # fmt: skip
        self.pages: list[dict[str, list[str]]] = []
        self.details: list[str] = []
        rsps.add_callback(responses.GET, ORDERS_PAGE, callback=self.order_page)
        rsps.add_callback(responses.GET, ORDER_DETAIL, callback=self.order_detail)
        rsps.add_callback(responses.GET, OFFERS_PAGE, callback=self.offer_page)

    def _page(self, request: Any, rows: list[dict[str, Any]], key: str) -> tuple[int, dict, str]:
        query = parse_qs(urlsplit(request.url).query)
        self.pages.append(query)
        after = query.get("id_gt", [""])[0]
        limit = int(query["limit"][0])
        chosen = [row for row in rows if row["id"] > after][:limit]
        body = {
            key: chosen,
            "pagination": {"page": 1, "page_size": limit, "total_count": len(rows)},
        }
        return 200, {}, json.dumps(body)

    def order_page(self, request: Any) -> tuple[int, dict, str]:
        summaries = [
            {"id": topi_id, "offer_id": "o", "created_at": "2026-11-28T09:00:00Z", "status": status,
             "seller_offer_reference": f"SO-{int(topi_id[-5:])}", "agent_name": "",
             "company_name": "Unicorn Corp", "full_name": "Alice"}
            for topi_id, status in sorted(self.statuses.items())
        ]  # fmt: skip
        return self._page(request, summaries, "orders")

    def order_detail(self, request: Any) -> tuple[int, dict, str]:
        topi_id = ORDER_DETAIL.match(request.url).group(1)
        self.details.append(topi_id)
        if topi_id not in self.statuses:
            return 404, {}, json.dumps({"name": "not_found", "message": "no such order"})
        return 200, {}, json.dumps(full_order(int(topi_id[-5:]), self.statuses[topi_id]))

    def offer_page(self, request: Any) -> tuple[int, dict, str]:
        return self._page(request, self.offers, "offers")


def sync(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("topi_sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# -- topi_sync -----------------------------------------------------------------------------------


def test_topi_sync_walks_every_page_and_fetches_each_new_order(mocked):
    topi = FakeTopi(mocked, orders=250)

    out, err = sync("orders", "--page-size", "100")

    assert Order.objects.count() == 250
    assert set(Order.objects.values_list("status", flat=True)) == {"confirmed"}
    # one request for the total, then pages of 100, 100, 50 following the id cursor
    cursors = [page.get("id_gt", [None])[0] for page in topi.pages[1:]]
    assert cursors == [None, order_id(99), order_id(199)]
    assert len(topi.details) == 250
    assert "orders: 250 seen: 250 created, 0 updated, 0 unchanged, 0 conflicts, 0 failed" in out
    assert err == ""
    steps = StatusChange.objects.filter(order__topi_id=order_id(0)).values_list("origin", flat=True)
    assert set(steps) == {"sync"}


def test_a_second_run_fetches_only_what_changed(mocked):
    topi = FakeTopi(mocked, orders=120)
    sync("orders")
    topi.details.clear()
    topi.statuses[order_id(7)] = "partially_fulfilled"
    topi.statuses[order_id(120)] = "created"  # a new one

    out, _ = sync("orders")

    assert sorted(topi.details) == [order_id(7), order_id(120)]
    assert "orders: 121 seen: 1 created, 1 updated, 119 unchanged, 0 conflicts, 0 failed" in out
    assert Order.objects.get(topi_id=order_id(7)).status == "partially_fulfilled"


def test_full_fetches_every_order(mocked):
    topi = FakeTopi(mocked, orders=30)
    sync("orders")
    topi.details.clear()

    out, _ = sync("orders", "--full")

    assert len(topi.details) == 30
    assert "30 unchanged" in out


def test_topi_sync_offers_applies_the_list_rows_as_they_are(mocked):
    topi = FakeTopi(mocked, offers=150)

    out, _ = sync("offers")

    assert Offer.objects.count() == 150
    assert topi.details == []
    assert "offers: 150 seen: 150 created" in out


def test_since_is_sent_as_topis_created_at_filter(mocked):
    topi = FakeTopi(mocked, orders=3)

    sync("orders", "--since", "2026-11-01")

    # midnight in the site's time zone (Europe/Berlin), in UTC
    assert {page["created_at_gte"][0] for page in topi.pages} == {"2026-10-31T23:00:00Z"}


def test_a_bad_since_is_refused():
    with pytest.raises(CommandError, match="--since 'yesterday' is not a date"):
        sync("orders", "--since", "yesterday")


def test_id_fetches_just_those(mocked):
    topi = FakeTopi(mocked, orders=5)

    out, _ = sync("orders", "--id", order_id(1), "--id", order_id(3))

    assert sorted(Order.objects.values_list("topi_id", flat=True)) == [order_id(1), order_id(3)]
    assert topi.pages == []
    assert "orders: 2 seen: 2 created" in out


def test_id_needs_a_kind():
    with pytest.raises(CommandError, match="--id needs 'offers' or 'orders'"):
        sync("--id", order_id(1))


def test_a_row_that_fails_is_reported_and_the_run_goes_on(mocked):
    FakeTopi(mocked, orders=3)

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 row\\(s\\) could not be reconciled"):
        call_command(
            "topi_sync",
            "orders",
            "--id",
            order_id(1),
            "--id",
            order_id(99999),
            stdout=out,
            stderr=err,
        )
    missing = order_id(99999)
    assert f"order {missing}: topi GET /v1/orders/{missing}: HTTP 404" in err.getvalue()
    assert (
        "orders: 2 seen: 1 created, 0 updated, 0 unchanged, 0 conflicts, 1 failed" in out.getvalue()
    )
    assert Order.objects.count() == 1


def test_conflicts_are_counted(mocked):
    topi = FakeTopi(mocked, orders=2)
    sync("orders")
    topi.statuses[order_id(1)] = "created"  # behind what is known: a late report, not a conflict
    Order.objects.filter(topi_id=order_id(0)).update(status="rejected")
    topi.details.clear()

    out, _ = sync("orders")

    # order 0: a conflict is recorded on the row; order 1: a late report changes nothing
    assert "orders: 2 seen: 0 created, 1 updated, 1 unchanged, 1 conflicts, 0 failed" in out
    assert Order.objects.get(topi_id=order_id(0)).conflict.startswith("topi reports status")
    assert Order.objects.get(topi_id=order_id(1)).status == "confirmed"


def test_topi_down_stops_the_run_with_what_was_done(mocked):
    mocked.get(ORDERS_PAGE, body=requests.ConnectionError("down"))
    out = io.StringIO()

    with pytest.raises(CommandError, match="topi failed while reconciling orders"):
        call_command("topi_sync", "orders", stdout=out, stderr=io.StringIO())

    assert "orders: 0 seen" in out.getvalue()


def test_the_rows_are_consumed_lazily(monkeypatch):
    """The command never holds topi's whole list: it asks for an order's details while the
    listing is still at most one batch ahead."""
    produced = {"rows": 0}

    class Client:
        def list_orders(self, **params: Any) -> dict[str, Any]:
            return {"pagination": {"total_count": 1000}}

        def iter_orders(self, **filters: Any) -> Iterator[dict[str, Any]]:
            for n in range(1000):
                produced["rows"] += 1
                yield {"id": order_id(n), "status": "confirmed"}

        def get_order(self, topi_id: str) -> dict[str, Any]:
            assert produced["rows"] - int(topi_id[-5:]) <= 100
            return full_order(int(topi_id[-5:]))

    monkeypatch.setattr("django_topi.management.commands.topi_sync.get_client", Client)

    out, _ = sync("orders")

    assert "orders: 1,000 seen: 1,000 created" in out


# -- progress ------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.05
        return self.now


def test_progress_on_a_terminal_redraws_one_line():
    screen = Terminal()
    with Progress(
        OutputWrapper(screen), "orders", 4, width=4, min_interval=0, clock=Clock()
    ) as bar:
        for _ in range(4):
            bar.advance()

    text = screen.getvalue()
    assert text.count("\r") >= 4
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert "orders  [####]  4/4  100%" in text


def test_progress_elsewhere_writes_plain_lines_now_and_then():
    log = io.StringIO()
    with Progress(OutputWrapper(log), "orders", 100, clock=Clock()) as bar:
        for _ in range(100):
            bar.advance()

    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert len(lines) == 10  # every tenth of the total
    assert lines[0].startswith("orders  [###---------------------------]  10/100  10%")


def test_progress_without_a_total_counts():
    log = io.StringIO()
    with Progress(OutputWrapper(log), "rows", every=2, clock=Clock()) as bar:
        for _ in range(5):
            bar.advance()

    assert [line.split("  ")[:2] for line in log.getvalue().splitlines()] == [
        ["rows", "2"], ["rows", "4"], ["rows", "5"]]  # fmt: skip


def test_verbosity_0_is_silent(mocked):
    FakeTopi(mocked, orders=3)
    out = io.StringIO()

    call_command("topi_sync", "orders", verbosity=0, stdout=out)

    assert "[" not in out.getvalue()
    assert "orders: 3 seen" in out.getvalue()


def test_verbosity_2_lists_each_change(mocked):
    FakeTopi(mocked, orders=2)

    out = io.StringIO()
    call_command("topi_sync", "orders", verbosity=2, stdout=out)

    assert f"order {order_id(1)} (SO-1): new, confirmed" in out.getvalue()


# -- topi_sync_shipping_methods ------------------------------------------------------------------

METHOD = f"{API}/v1/shipping-method/method"
METHODS = f"{API}/v1/shipping-method"
SHIPPING = {"TOPI": {
    "ENVIRONMENT": "sandbox", "CLIENT_ID": "test-client", "CLIENT_SECRET": "test-secret-value",
    "RETRY_BACKOFF": 0,
    "SHIPPING_METHODS": ["DHL Standard", {"seller_shipping_method_reference": "Pickup",
                                           "name": "Pick up in Berlin", "is_in_store_pickup": True}],
}}  # fmt: skip


def registered(reference, supported=True, **extra):
    return {"id": f"sm-{reference[:3]}", "seller_shipping_method_reference": reference,
            "name": extra.get("name", reference), "supported": supported,
            "is_in_store_pickup": extra.get("is_in_store_pickup", False)}  # fmt: skip


@override_settings(**SHIPPING)
def test_shipping_methods_are_created_and_listed(mocked):
    mocked.post(METHOD, status=201, json=registered("DHL Standard"))
    mocked.post(METHOD, status=422, json={"name": "unprocessable", "message": "not unique"})
    mocked.get(METHODS, json={"data": [registered("DHL Standard"), registered("Pickup", False)],
                              "pagination": {"has_more": False, "page": 0}})  # fmt: skip
    out, err = io.StringIO(), io.StringIO()

    call_command("topi_sync_shipping_methods", stdout=out, stderr=err)

    bodies = [call.request.body for call in api_calls(mocked) if call.request.method == "POST"]
    assert [json.loads(b) for b in bodies] == [
        {"seller_shipping_method_reference": "DHL Standard", "name": "DHL Standard",
         "is_in_store_pickup": False},
        {"seller_shipping_method_reference": "Pickup", "name": "Pick up in Berlin",
         "is_in_store_pickup": True},
    ]  # fmt: skip
    text = out.getvalue()
    assert "DHL Standard: created at topi (sandbox), supported: yes" in text
    assert "Pickup: already registered with topi" in text
    assert "Shipping methods at topi (sandbox): 2" in text
    assert re.search(r"DHL Standard\s+DHL Standard\s+no\s+yes\s+yes\s+sm-DHL", text)
    assert "Pickup is not supported by topi yet" in text
    assert err.getvalue() == ""


@override_settings(**SHIPPING)
def test_a_422_for_a_method_topi_does_not_list_is_flagged(mocked):
    mocked.post(METHOD, status=422, json={"name": "unprocessable", "message": "bad"})
    mocked.get(METHODS, json={"data": [], "pagination": {"has_more": False, "page": 0}})
    err = io.StringIO()

    call_command("topi_sync_shipping_methods", stdout=io.StringIO(), stderr=err)

    assert (
        "DHL Standard: topi answered 422 (taken as 'already registered') but does not list it"
        in (err.getvalue())
    )


@override_settings(**SHIPPING)
def test_shipping_methods_when_topi_is_down(mocked):
    mocked.post(METHOD, body=requests.ConnectionError("down"))

    with pytest.raises(CommandError, match="topi failed, so the run stopped"):
        call_command("topi_sync_shipping_methods", stdout=io.StringIO())


def test_list_only_creates_nothing(mocked):
    mocked.get(
        METHODS, json={"data": [registered("UPS")], "pagination": {"has_more": False, "page": 0}}
    )
    out = io.StringIO()

    call_command("topi_sync_shipping_methods", "--list-only", stdout=out)

    assert all(call.request.method == "GET" for call in api_calls(mocked))
    assert "UPS" in out.getvalue()


def test_no_configured_methods_says_so(mocked):
    mocked.get(METHODS, json={"data": [], "pagination": {"has_more": False, "page": 0}})
    out = io.StringIO()

    call_command("topi_sync_shipping_methods", stdout=out)

    assert "TOPI['SHIPPING_METHODS'] is empty: nothing to create." in out.getvalue()
    assert "Shipping methods at topi (sandbox): 0" in out.getvalue()


# -- topi_expire_offers --------------------------------------------------------------------------


def past_offer(n, status="created", hours_ago=2):
    offer = Offer.objects.create(topi_id=f"offer-{n}", seller_offer_reference=f"SO-{n}",
                                 environment="sandbox")  # fmt: skip
    Offer.objects.filter(pk=offer.pk).update(
        status=status, expires_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return offer


def answer(n, status):
    return payloads.offer(status, id=f"offer-{n}", seller_offer_reference=f"SO-{n}")


def test_expired_offers_are_confirmed_with_topi_then_marked(mocked):
    past_offer(1)
    past_offer(2)
    past_offer(3)
    past_offer(4, hours_ago=-2)  # not yet
    past_offer(5, status="accepted")  # not open
    Offer.objects.create(seller_offer_reference="SO-6", environment="sandbox")  # a draft
    mocked.get(f"{API}/v1/offers/offer-1", json=answer(1, "expired"))
    mocked.get(f"{API}/v1/offers/offer-2", json=answer(2, "accepted"))
    mocked.get(f"{API}/v1/offers/offer-3", json=answer(3, "created"))
    out = io.StringIO()

    call_command("topi_expire_offers", stdout=out)

    statuses = dict(Offer.objects.values_list("seller_offer_reference", "status"))
    assert statuses == {"SO-1": "expired", "SO-2": "accepted", "SO-3": "created", "SO-4": "created",
                        "SO-5": "accepted", "SO-6": "draft"}  # fmt: skip
    assert [c.request.url.rsplit("/", 1)[1] for c in api_calls(mocked)] == [
        "offer-1", "offer-2", "offer-3"]  # fmt: skip
    assert (
        "3 offer(s) past their expiry date: 1 accepted at topi, 1 expired, 1 still open at topi."
        in out.getvalue()
    )
    change = Offer.objects.get(topi_id="offer-1").status_changes.last()
    assert (change.source, change.target, change.origin) == ("created", "expired", "sync")


def test_an_offer_topi_does_not_know_is_reported(mocked):
    past_offer(1)
    past_offer(2)
    mocked.get(
        f"{API}/v1/offers/offer-1", status=404, json={"name": "not_found", "message": "gone"}
    )
    mocked.get(f"{API}/v1/offers/offer-2", json=answer(2, "expired"))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 offer\\(s\\) could not be checked with topi"):
        call_command("topi_expire_offers", stdout=io.StringIO(), stderr=err)

    assert "offer offer-1 (SO-1): topi GET /v1/offers/offer-1: HTTP 404" in err.getvalue()
    assert Offer.objects.get(topi_id="offer-2").status == "expired"


def test_expire_stops_when_topi_is_down(mocked):
    past_offer(1)
    mocked.get(f"{API}/v1/offers/offer-1", body=requests.ConnectionError("down"))

    with pytest.raises(CommandError, match="topi failed, so the run stopped"):
        call_command("topi_expire_offers", stdout=io.StringIO())
    assert Offer.objects.get().status == "created"


def test_expire_dry_run_asks_no_one(mocked):
    past_offer(1)
    out = io.StringIO()

    call_command("topi_expire_offers", "--dry-run", stdout=out)

    assert api_calls(mocked) == []
    assert "would ask topi about offer offer-1 (SO-1)" in out.getvalue()
    assert "1 offer(s) past their expiry date." in out.getvalue()


@pytest.mark.contract
def test_the_list_requests_fit_topis_spec(mocked):
    from tests import openapi_spec

    FakeTopi(mocked, orders=150, offers=150)

    sync("all", "--since", "2026-11-01T08:00:00+01:00")

    operations = {"orders": "order#getBySellerPaginated", "offers": "offer#listOffersPaginated"}
    lists = [c for c in api_calls(mocked) if "/paginated" in c.request.url]
    assert len(lists) == 6  # per kind: the total, then two pages
    for call in lists:
        kind = "orders" if "/v1/orders/" in call.request.url else "offers"
        assert (
            openapi_spec.request_problems(
                operations[kind], call.request.method, call.request.url, call.request.body
            )
            == []
        ), call.request.url
        assert "created_at_gte=2026-11-01T07%3A00%3A00Z" in call.request.url
