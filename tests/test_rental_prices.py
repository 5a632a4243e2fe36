"""Rental prices on shop pages: one call per page, cached, and never a broken page."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from django_topi.catalog import RentalPrice, format_price, prefetch_rental_prices
from tests import openapi_spec
from tests.adapters import ShopProduct
from tests.catalog_helpers import PRICES_URL, laptop, numbered, price_for, prices_callback
from tests.conftest import api_calls

LISTING = (
    "{% load topi %}{% topi_prefetch_rental_prices products %}"
    "{% for product in products %}<li>{{ product.title }} {% topi_rental_price product %}</li>"
    "{% endfor %}"
)
RENT = '<span class="topi-rental-price">Rent with topi from €23.45/month</span>'


def render(source: str, **context) -> str:
    request = RequestFactory().get("/laptops/")
    return Template(source).render(Context({"request": request, **context}))


def price_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in api_calls(mocked) if c.request.url == PRICES_URL]


@pytest.fixture
def topi_prices(mocked):
    mocked.add_callback(responses.POST, PRICES_URL, callback=prices_callback())
    return mocked


def test_a_listing_of_one_product_makes_one_call(topi_prices):
    html = render(LISTING, products=[laptop()])

    assert html == f"<li>Pro Laptop 14 {RENT}\n</li>"
    assert len(price_calls(topi_prices)) == 1


def test_a_listing_of_100_products_makes_one_call(topi_prices):
    products = list(numbered(100))

    html = render(LISTING, products=products)

    assert html.count(RENT) == 100
    assert len(price_calls(topi_prices)) == 1
    assert len(json.loads(price_calls(topi_prices)[0].request.body)["pricing_requests"]) == 100


def test_a_repeat_render_makes_no_call(topi_prices):
    products = list(numbered(100))
    first = render(LISTING, products=products)

    second = render(LISTING, products=products)

    assert second == first
    assert len(price_calls(topi_prices)) == 1


def test_a_product_page_without_prefetch_makes_one_call(topi_prices):
    html = render("{% load topi %}{% topi_rental_price product %}", product=laptop())

    assert html == RENT + "\n"
    assert len(price_calls(topi_prices)) == 1


def test_an_unsupported_product_renders_nothing(mocked):
    mocked.add_callback(
        responses.POST, PRICES_URL, callback=prices_callback(unsupported=frozenset({"sku-1"}))
    )

    html = render(LISTING, products=list(numbered(2)))

    assert html == f"<li>Laptop 0 {RENT}\n</li><li>Laptop 1 </li>"


def test_a_product_topi_leaves_out_of_its_answer_renders_nothing_and_is_not_asked_again(mocked):
    mocked.post(PRICES_URL, json=[])

    first = render(LISTING, products=[laptop()])
    second = render(LISTING, products=[laptop()])

    assert first == second == "<li>Pro Laptop 14 </li>"
    assert len(price_calls(mocked)) == 1


def test_when_topi_is_down_the_page_renders_without_prices_and_logs(mocked, caplog):
    mocked.post(PRICES_URL, status=503, json={"name": "ServiceUnavailable", "message": "down"})

    with caplog.at_level(logging.WARNING, logger="django_topi.catalog"):
        html = render(LISTING, products=list(numbered(2)))

    assert html == "<li>Laptop 0 </li><li>Laptop 1 </li>"
    assert "Left out topi's rental prices from the page, as topi failed" in caplog.text
    assert "HTTP 503" in caplog.text


def test_after_a_failure_pages_leave_topi_alone_for_a_minute(mocked):
    mocked.post(PRICES_URL, body=requests.ConnectionError("refused"))
    render(LISTING, products=[laptop()])
    calls_after_failure = len(price_calls(mocked))

    html = render(LISTING, products=[laptop()])

    assert html == "<li>Pro Laptop 14 </li>"
    assert len(price_calls(mocked)) == calls_after_failure


def test_failures_are_not_cached_as_prices(mocked, settings):
    mocked.post(PRICES_URL, status=503)
    render(LISTING, products=[laptop()])
    from django.core.cache import cache

    cache.delete("django_topi:catalog:v1:unavailable")
    mocked.replace(responses.POST, PRICES_URL, json=[price_for({"source": "shop",
                   "reference": "pro-laptop-14"}, summary="Rent with topi from €23.45/month")])  # fmt: skip

    assert render(LISTING, products=[laptop()]) == f"<li>Pro Laptop 14 {RENT}\n</li>"


def test_prices_are_cached_only_as_long_as_configured(topi_prices, settings):
    settings.TOPI = {**settings.TOPI, "RENTAL_PRICE_CACHE_SECONDS": 0}

    render(LISTING, products=[laptop()])
    render(LISTING, products=[laptop()])

    assert len(price_calls(topi_prices)) == 2


def test_a_changed_price_is_asked_for_again(topi_prices):
    render(LISTING, products=[laptop()])

    render(LISTING, products=[laptop(price_gross=Decimal("1299.00"))])

    assert len(price_calls(topi_prices)) == 2


def test_topis_summary_is_shown_in_the_language_topi_wrote_it(mocked):
    reference = {"source": "shop", "reference": "pro-laptop-14"}
    mocked.post(PRICES_URL, json=[price_for(reference, summary="Mit topi mieten ab 23,45 €/Monat")])

    with translation.override("de"):
        html = render(LISTING, products=[laptop()])

    assert "Mit topi mieten ab 23,45 €/Monat" in html
    assert price_calls(mocked)[0].request.headers["Accept-Language"] == "de"


def test_each_language_has_its_own_cached_prices(topi_prices):
    render(LISTING, products=[laptop()])
    with translation.override("de"):
        render(LISTING, products=[laptop()])

    assert [c.request.headers["Accept-Language"] for c in price_calls(topi_prices)] == ["en", "de"]


def test_without_a_summary_the_amount_is_formatted_for_the_active_language(mocked):
    mocked.add_callback(responses.POST, PRICES_URL, callback=prices_callback(summary=False))

    english = render(LISTING, products=[laptop()])
    with translation.override("de"):
        german = render(LISTING, products=[laptop()])

    assert "Rent with topi from €23.45/month" in english
    assert "Mit topi mieten ab 23,45\u00a0€/Monat" in german


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "EUR", "€1,234.56"),
        ("de", "EUR", "1.234,56\u00a0€"),
        ("de", "GBP", "1.234,56\u00a0£"),
        ("en", "USD", "$1,234.56"),
        ("fr", "EUR", "1\u00a0234,56\u00a0€"),
    ],
)
def test_amounts_are_formatted_with_the_languages_separators(language, currency, expected):
    with translation.override(language):
        assert format_price(123456, currency) == expected


def test_shop_products_go_through_the_product_adapter(topi_prices, settings):
    settings.TOPI = {**settings.TOPI, "PRODUCT_ADAPTER": "tests.adapters.catalog_product"}
    products = [
        ShopProduct("sku-1", "Laptop", Decimal("119.00")),
        ShopProduct("sku-2", "Gift card", Decimal("50.00"), rentable=False),
    ]

    html = render(
        "{% load topi %}{% topi_prefetch_rental_prices products %}"
        "{% for p in products %}<li>{{ p.name }} {% topi_rental_price p %}</li>{% endfor %}",
        products=products,
    )

    assert html == f"<li>Laptop {RENT}\n</li><li>Gift card </li>"
    sent = json.loads(price_calls(topi_prices)[0].request.body)["pricing_requests"]
    assert sent == [{"seller_product_reference": {"source": "shop", "reference": "sku-1"},
                     "price": {"currency": "EUR", "gross": 11900, "net": 10000,
                               "tax_rate": 1900}}]  # fmt: skip


def test_a_failing_product_adapter_is_logged_and_the_page_renders(topi_prices, settings, caplog):
    settings.TOPI = {**settings.TOPI, "PRODUCT_ADAPTER": "tests.adapters.broken_product_adapter"}

    html = render(LISTING, products=[ShopProduct("sku-1", "Laptop", Decimal("119.00"))])

    assert html == "<li> </li>"
    assert "TOPI['PRODUCT_ADAPTER'] failed" in caplog.text
    assert "the shop's adapter has a bug" in caplog.text
    assert price_calls(topi_prices) == []


def test_a_product_with_an_unusable_price_renders_nothing_and_is_logged(topi_prices, caplog):
    html = render(LISTING, products=[laptop(price_gross=1546.81), laptop(references=["sku-2"])])

    assert html == f"<li>Pro Laptop 14 </li><li>Pro Laptop 14 {RENT}\n</li>"
    assert "No rental price for 'Pro Laptop 14': its price is not usable" in caplog.text
    assert len(json.loads(price_calls(topi_prices)[0].request.body)["pricing_requests"]) == 1


def test_a_shop_object_without_a_product_adapter_is_a_configuration_error(topi_prices):
    with pytest.raises(ImproperlyConfigured, match="Set TOPI\\['PRODUCT_ADAPTER'\\]"):
        render(LISTING, products=[ShopProduct("sku-1", "Laptop", Decimal("119.00"))])


def test_a_listing_asks_the_product_adapter_once_per_product(topi_prices, settings, monkeypatch):
    from tests import adapters

    asked = []
    adapt = adapters.catalog_product
    monkeypatch.setattr(adapters, "catalog_product", lambda p: asked.append(p.sku) or adapt(p))
    settings.TOPI = {**settings.TOPI, "PRODUCT_ADAPTER": "tests.adapters.catalog_product"}
    products = [ShopProduct(f"sku-{n}", f"Laptop {n}", Decimal("119.00")) for n in range(10)]

    html = render(
        "{% load topi %}{% topi_prefetch_rental_prices products %}"
        "{% for p in products %}<li>{% topi_rental_price p %}</li>{% endfor %}",
        products=products,
    )

    assert html.count(RENT) == 10
    assert sorted(asked) == sorted(p.sku for p in products)


def test_prefetch_from_a_view_serves_the_tags_of_the_same_request(topi_prices, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    request = RequestFactory().get("/laptops/")
    products = list(numbered(3))

    prices = prefetch_rental_prices(products, request)
    html = Template("{% load topi %}{% for p in products %}{% topi_rental_price p %}{% endfor %}")
    rendered = html.render(Context({"request": request, "products": products}))

    assert prices.get(products[0]) is not None
    assert rendered.count(RENT) == 3
    assert len(price_calls(topi_prices)) == 1


def test_included_templates_share_the_prefetch_without_a_cache(topi_prices, settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    (tmp_path / "card.html").write_text("{% load topi %}{% topi_rental_price product %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    html = render(
        "{% load topi %}{% topi_prefetch_rental_prices products %}"
        "{% for product in products %}{% include 'card.html' %}{% endfor %}",
        products=list(numbered(5)),
    )

    assert html.count(RENT) == 5
    assert len(price_calls(topi_prices)) == 1


def test_topis_answer_is_read_defensively():
    reference = {"source": "shop", "reference": "x"}

    assert RentalPrice.from_topi({"seller_product_reference": reference}) is None
    assert (
        RentalPrice.from_topi(
            {"seller_product_reference": reference, "has_rental_terms": True, "currency": "EUR",
             "monthly_rental_amount": "23.45"}
        )
        is None
    )  # fmt: skip
    only_terms = RentalPrice.from_topi(
        {"seller_product_reference": reference, "has_rental_terms": True,
         "monthly_rental_terms": {"duration": 24, "monthly_amount": {"currency": "EUR",
                                  "net": 999, "gross": 1189, "tax_rate": 1900}}}
    )  # fmt: skip
    assert only_terms is not None
    assert (only_terms.text, only_terms.months) == ("Rent with topi from €9.99/month", 24)


@pytest.mark.contract
def test_the_request_a_page_sends_fits_topis_spec(topi_prices):
    render(LISTING, products=list(numbered(3)))

    call = price_calls(topi_prices)[0]
    assert (
        openapi_spec.request_problems(
            "catalog#listRecommendedRentalPrices", "POST", call.request.url, call.request.body
        )
        == []
    )


def test_a_page_does_not_retry_a_failing_topi(mocked, sleeps_off):
    mocked.post(PRICES_URL, status=503)

    render(LISTING, products=list(numbered(2)))

    assert len(price_calls(mocked)) == 1  # no retries while a customer waits for the page


def test_without_a_cache_a_failure_is_remembered_for_the_rest_of_the_page(mocked, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    mocked.post(PRICES_URL, body=requests.ConnectionError("refused"))
    page = "{% load topi %}{% for p in products %}{% topi_rental_price p %}{% endfor %}"

    html = render(page, products=list(numbered(5)))

    assert html == ""
    assert len(price_calls(mocked)) == 1
