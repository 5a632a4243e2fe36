"""settings.TOPI: defaults, access-time reads, and errors that say what to fix."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_topi.conf import DEFAULTS, topi_settings


def test_defaults_apply_when_topi_is_not_set():
    with override_settings(TOPI=None):
        assert topi_settings.ENVIRONMENT == "sandbox"
        assert topi_settings.SALES_CHANNEL == "ecommerce"
        assert topi_settings.OFFER_TTL is None
        assert topi_settings.CONFLICT_EMAILS is True
        assert topi_settings.TIMEOUT == (5.0, 20.0)
        assert topi_settings.WEBHOOK_VERIFICATION == "signature"
        assert topi_settings.WEBHOOK_PROCESSING == "sync"
        assert topi_settings.CLIENT_ID == ""


def test_settings_are_read_at_access_time():
    with override_settings(TOPI={"ENVIRONMENT": "production"}):
        assert topi_settings.endpoints.api_base_url == "https://seller-api.topi.eu"
    with override_settings(TOPI={"ENVIRONMENT": "sandbox"}):
        assert topi_settings.endpoints.api_base_url == "https://seller-api-sandbox.topi-sandbox.eu"
        assert topi_settings.endpoints.token_url == "https://identity.topi-sandbox.eu/oauth2/token"


def test_url_overrides_win_over_the_environment():
    with override_settings(
        TOPI={"ENVIRONMENT": "sandbox", "API_BASE_URL": "http://localhost:9/x/"}
    ):
        assert topi_settings.endpoints.api_base_url == "http://localhost:9/x"
        assert topi_settings.endpoints.token_url == "https://identity.topi-sandbox.eu/oauth2/token"


def test_the_simulator_needs_no_credentials():
    with override_settings(TOPI={"ENVIRONMENT": "simulator"}):
        assert topi_settings.CLIENT_ID == "simulator-client"
        assert topi_settings.CLIENT_SECRET == "simulator-secret"
        assert topi_settings.WEBHOOK_SECRETS == ("whsec_c2ltdWxhdG9yLWRldmVsb3BtZW50LW9ubHk=",)
        assert topi_settings.endpoints.api_base_url == "http://127.0.0.1:8000/topi-simulator"


def test_a_simulator_on_another_base_url_serves_its_token_endpoint_beside_its_api():
    with override_settings(
        TOPI={"ENVIRONMENT": "simulator", "API_BASE_URL": "http://sim.example:9000/topi-simulator"}
    ):
        assert topi_settings.endpoints.token_url == (
            "http://sim.example:9000/topi-simulator/oauth2/token"
        )


def test_values_are_normalised():
    with override_settings(
        TOPI={
            "TIMEOUT": 7,
            "OFFER_TTL": 3600,
            "WEBHOOK_ALLOWED_IPS": ["203.0.113.7", "2001:db8::/32"],
            "SHIPPING_METHODS": [
                "DHL Standard",
                {"seller_shipping_method_reference": "Pickup", "is_in_store_pickup": True},
            ],
        }
    ):
        assert topi_settings.TIMEOUT == (7.0, 7.0)
        assert timedelta(hours=1) == topi_settings.OFFER_TTL
        assert (
            ipaddress.ip_network("203.0.113.7/32"),
            ipaddress.ip_network("2001:db8::/32"),
        ) == topi_settings.WEBHOOK_ALLOWED_IPS
        assert topi_settings.SHIPPING_METHODS == (
            {
                "seller_shipping_method_reference": "DHL Standard",
                "name": "DHL Standard",
                "is_in_store_pickup": False,
            },
            {
                "seller_shipping_method_reference": "Pickup",
                "name": "Pickup",
                "is_in_store_pickup": True,
            },
        )


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "ENVIRONMENT",
            "live",
            "TOPI['ENVIRONMENT'] is 'live', which is not one of 'production', "
            "'sandbox', 'simulator'. Use one of those.",
        ),
        (
            "TIMEOUT",
            (5, 0),
            "TOPI['TIMEOUT'] is (5, 0). Use (connect_seconds, read_seconds), both "
            "positive, e.g. (5, 20).",
        ),
        (
            "WEBHOOK_SECRETS",
            "whsec_abc",
            "TOPI['WEBHOOK_SECRETS'] must be a list, not str. Write it "
            "as a list, e.g. ['whsec_…']; split a comma-separated value "
            "first.",
        ),
        ("WEBHOOK_SECRETS", ["whsec_not base64!"], "is not a base64 'whsec_…' signing secret"),
        ("OFFER_TTL", timedelta(0), "Use a positive datetime.timedelta (or a number of seconds)."),
        ("WEBHOOK_ALLOWED_IPS", ["topi.eu"], "holds 'topi.eu', which is not an IP network"),
        (
            "SALES_CHANNEL",
            "web",
            "is 'web', which is not one of 'ecommerce', 'telesales', 'in_store_pos'",
        ),
        ("API_BASE_URL", "seller-api.topi.eu", "which is not an http(s) URL"),
        ("MAX_RETRIES", -1, "Use a whole number of at least 0."),
        ("MAX_RETRIES", True, "Use a whole number of at least 0."),
        ("SHIPPING_METHODS", [{"name": "DHL"}], "'seller_shipping_method_reference'"),
        ("PRODUCT_REFERENCE_SOURCE", "", "TOPI['PRODUCT_REFERENCE_SOURCE'] is empty"),
    ],
)
def test_invalid_values_raise_with_a_fix(key, value, message):
    with override_settings(TOPI={key: value}), pytest.raises(ImproperlyConfigured) as excinfo:
        getattr(topi_settings, key)
    assert message in str(excinfo.value)


def test_topi_must_be_a_dict():
    with (
        override_settings(TOPI=["sandbox"]),
        pytest.raises(ImproperlyConfigured, match="must be a dict"),
    ):
        topi_settings.ENVIRONMENT  # noqa: B018


def test_unknown_keys_are_reported_with_a_suggestion():
    with override_settings(TOPI={"CLIENTID": "x", "WEBHOOK_SECRET": []}):
        problems = {key: str(error) for key, error in topi_settings.problems()}
    assert problems["CLIENTID"] == (
        "TOPI['CLIENTID'] is not a django-topi setting. Did you mean 'CLIENT_ID'?"
    )
    assert "Did you mean 'WEBHOOK_SECRETS'?" in problems["WEBHOOK_SECRET"]


def test_asking_for_a_setting_that_does_not_exist_is_an_attribute_error():
    with pytest.raises(AttributeError):
        topi_settings.NOPE  # noqa: B018


def test_every_default_is_valid():
    with override_settings(TOPI={}):
        assert list(topi_settings.problems()) == []
        for key in DEFAULTS:
            getattr(topi_settings, key)


def test_adapters_are_imported_from_dotted_paths():
    with override_settings(TOPI={"CART_ADAPTER": "tests.adapters.get_cart"}):
        adapter = topi_settings.import_adapter("CART_ADAPTER")
    assert adapter is not None
    assert adapter.__name__ == "get_cart"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.adapters.missing", "cannot be imported"),
        ("tests.adapters.NOT_CALLABLE", "is not callable"),
    ],
)
def test_broken_adapters_say_why(path, message):
    with (
        override_settings(TOPI={"CART_ADAPTER": path}),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        topi_settings.import_adapter("CART_ADAPTER")


def test_every_setting_has_a_declared_type():
    from django_topi.conf import CLEANERS, TopiSettings

    assert set(TopiSettings.__annotations__) == set(DEFAULTS) == set(CLEANERS)
