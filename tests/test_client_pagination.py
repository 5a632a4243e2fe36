"""iter_offers / iter_orders walk topi's id_gt cursor lazily."""

from __future__ import annotations

import pytest
import responses

from django_topi.client import TopiUnavailable
from tests.conftest import API, api_calls


def page_of(prefix: str, start: int, count: int) -> list[dict[str, str]]:
    return [{"id": f"{prefix}-{i:05d}", "status": "created"} for i in range(start, start + count)]


def mock_pages(mocked, path: str, key: str, sizes: list[int], page_size: int = 100) -> None:
    start = 0
    cursor = None
    for size in sizes:
        query = {"limit": str(page_size)}
        if cursor:
            query["id_gt"] = cursor
        rows = page_of("o", start, size)
        mocked.get(
            f"{API}{path}",
            match=[responses.matchers.query_param_matcher(query)],
            json={key: rows, "pagination": {"page": 1, "page_size": page_size}},
        )
        start += size
        cursor = rows[-1]["id"] if rows else None


def test_iter_offers_yields_every_row_across_pages(mocked, client):
    mock_pages(mocked, "/v1/offers/paginated", "offers", [100, 100, 37])

    ids = [offer["id"] for offer in client.iter_offers()]

    assert len(ids) == 237
    assert ids[0] == "o-00000"
    assert ids[-1] == "o-00236"
    assert [c.request.params.get("id_gt") for c in api_calls(mocked)] == [
        None,
        "o-00099",
        "o-00199",
    ]


def test_iter_orders_stops_on_an_empty_page(mocked, client):
    mock_pages(mocked, "/v1/orders/paginated", "orders", [100, 0])

    assert len(list(client.iter_orders())) == 100
    assert len(api_calls(mocked)) == 2


def test_iteration_is_lazy(mocked, client):
    mock_pages(mocked, "/v1/offers/paginated", "offers", [100, 100, 37])

    offers = client.iter_offers()
    assert api_calls(mocked) == []
    next(offers)
    assert len(api_calls(mocked)) == 1


def test_filters_are_passed_on_every_page(mocked, client):
    url = f"{API}/v1/orders/paginated"
    since = "2026-11-01T00:00:00Z"
    mocked.get(
        url,
        match=[responses.matchers.query_param_matcher({"limit": "2", "created_at_gte": since})],
        json={"orders": page_of("o", 0, 2)},
    )
    mocked.get(
        url,
        match=[
            responses.matchers.query_param_matcher(
                {"limit": "2", "created_at_gte": since, "id_gt": "o-00001"}
            )
        ],
        json={"orders": []},
    )

    assert len(list(client.iter_orders(page_size=2, created_at_gte=since))) == 2


def test_a_cursor_that_does_not_advance_stops_instead_of_looping(mocked, client):
    mocked.get(f"{API}/v1/offers/paginated", json={"offers": [{"id": "same"}, {"id": "same"}]})

    assert len(list(client.iter_offers(page_size=2, id_gt="same"))) == 2
    assert len(api_calls(mocked)) == 1


def test_a_sort_order_that_would_break_the_cursor_is_refused(client):
    with pytest.raises(ValueError, match="id_gt cursor"):
        list(client.iter_offers(sort_order="desc"))


def test_an_outage_mid_walk_raises_after_the_rows_already_yielded(mocked, client):
    mock_pages(mocked, "/v1/offers/paginated", "offers", [100])
    mocked.get(f"{API}/v1/offers/paginated", status=503)
    offers = client.iter_offers()
    seen = [next(offers) for _ in range(100)]

    with pytest.raises(TopiUnavailable):
        next(offers)

    assert len(seen) == 100
