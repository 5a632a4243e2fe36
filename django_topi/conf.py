"""django-topi's settings: ``settings.TOPI`` read at every access, with defaults and validation.

Reading at access time (not import time) means ``override_settings(TOPI=...)`` works in tests and
a value is never stale. Every value goes through a small cleaner that either returns it in a
normal form or raises ``ImproperlyConfigured`` with a message that says what to write instead.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Endpoints:
    """Where an environment's Seller API and OAuth2 token endpoint live."""

    api_base_url: str
    token_url: str


#: API-NOTES §1.1. The simulator's default assumes ``runserver`` on port 8000 with
#: ``django_topi.simulator.urls`` included at ``topi-simulator/``; override it with API_BASE_URL.
ENVIRONMENTS: dict[str, Endpoints] = {
    "production": Endpoints(
        api_base_url="https://seller-api.topi.eu",
        token_url="https://identity.topi.eu/oauth2/token",
    ),
    "sandbox": Endpoints(
        api_base_url="https://seller-api-sandbox.topi-sandbox.eu",
        token_url="https://identity.topi-sandbox.eu/oauth2/token",
    ),
    "simulator": Endpoints(
        api_base_url="http://127.0.0.1:8000/topi-simulator",
        token_url="http://127.0.0.1:8000/topi-simulator/oauth2/token",
    ),
}

SALES_CHANNELS = ("ecommerce", "telesales", "in_store_pos")
#: topi's own offer lifetimes by sales channel ("24 hours for ecommerce and 7 days for telesales
#: and in_store_pos"). createOffer requires ``expires_at``, so django-topi sends these unless
#: TOPI["OFFER_TTL"] names one lifetime for every channel.
OFFER_LIFETIMES = {
    "ecommerce": timedelta(hours=24),
    "telesales": timedelta(days=7),
    "in_store_pos": timedelta(days=7),
}
WEBHOOK_VERIFICATION_MODES = ("signature", "refetch", "signature+refetch", "none")
WEBHOOK_PROCESSING_MODES = ("sync", "task")
CHECKOUT_GATE_MODES = ("explain", "hide", "off")

#: The simulator accepts any credentials and signs its webhooks with this development-only
#: secret, so ENVIRONMENT="simulator" works with no other setting. Never used elsewhere.
SIMULATOR_DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": "simulator-client",
    "CLIENT_SECRET": "simulator-secret",
    "WEBHOOK_SECRETS": ("whsec_c2ltdWxhdG9yLWRldmVsb3BtZW50LW9ubHk=",),
}

DEFAULTS: dict[str, Any] = {
    "ENVIRONMENT": "sandbox",
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "API_BASE_URL": None,
    "TOKEN_URL": None,
    "CART_ADAPTER": None,
    "CART_URL": "/",
    "PRODUCT_REFERENCE_SOURCE": "shop",
    "SALES_CHANNEL": "ecommerce",
    "OFFER_TTL": None,
    "WEBHOOK_SECRETS": [],
    "WEBHOOK_VERIFICATION": "signature",
    "WEBHOOK_ALLOWED_IPS": [],
    "WEBHOOK_TRUSTED_PROXIES": 0,
    "WEBHOOK_TIMESTAMP_TOLERANCE": 300,
    "WEBHOOK_PROCESSING": "sync",
    "TASK_QUEUE": "default",
    "WEBHOOK_RETENTION_DAYS": 90,
    "WEBHOOK_MAX_BODY_BYTES": 5 * 1024 * 1024,
    "WEBHOOK_REJECTED_KEEP": 1000,
    "TIMEOUT": (5.0, 20.0),
    "MAX_RETRIES": 2,
    "RETRY_BACKOFF": 0.5,
    "RETRY_AFTER_MAX": 10.0,
    "CACHE_ALIAS": "default",
    "TOKEN_REFRESH_MARGIN": 60,
    "CATALOG_ADAPTER": None,
    "CATALOG_BATCH_SIZE": 100,
    "PRODUCT_ADAPTER": None,
    "RENTAL_PRICE_CACHE_SECONDS": 3600,
    "CHECKOUT_GATE": "explain",
    "SHIPPING_METHODS": [],
    "CONFLICT_EMAILS": True,
}


def _fail(key: str, problem: str, fix: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"TOPI[{key!r}] {problem}. {fix}")


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def clean(key: str, value: Any) -> str:
        if value not in choices:
            options = ", ".join(repr(c) for c in choices)
            raise _fail(key, f"is {value!r}, which is not one of {options}", "Use one of those.")
        return str(value)

    return clean


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(
            key, f"must be a string, not {type(value).__name__}", "Put the value in quotes."
        )
    return value.strip()


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"is {value!r}", "Use True or False.")
    return value


def _non_empty_string(key: str, value: Any) -> str:
    text = _string(key, value)
    if not text:
        raise _fail(key, "is empty", "Give it a non-empty string.")
    return text


def _optional_url(key: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    url = _string(key, value)
    if not url.startswith(("https://", "http://")):
        raise _fail(
            key, f"is {url!r}, which is not an http(s) URL", "Write the full URL with https://."
        )
    return url.rstrip("/")


def _optional_adapter(key: str, value: Any) -> str | Callable[..., Any] | None:
    if value in (None, "") or callable(value):
        return value or None
    if not isinstance(value, str):
        raise _fail(
            key,
            f"must be a dotted path to a callable, not {type(value).__name__}",
            "Write it like 'myshop.topi.get_cart'.",
        )
    return value


def _number(minimum: float, *, integer: bool = False) -> Callable[[str, Any], Any]:
    def clean(key: str, value: Any) -> Any:
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
            what = "a whole number" if integer else "a number"
            raise _fail(key, f"is {value!r}", f"Use {what} of at least {minimum}.")
        return value

    return clean


def _optional_duration(key: str, value: Any) -> timedelta | None:
    return None if value is None else _duration(key, value)


def _duration(key: str, value: Any) -> timedelta:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise _fail(
            key, f"is {value!r}", "Use a positive datetime.timedelta (or a number of seconds)."
        )
    return value


def _timeout(key: str, value: Any) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)
    )
    if not ok:
        raise _fail(
            key,
            f"is {value!r}",
            "Use (connect_seconds, read_seconds), both positive, e.g. (5, 20).",
        )
    return (float(value[0]), float(value[1]))


def _list_of(
    item: Callable[[str, Any], Any], example: str
) -> Callable[[str, Any], tuple[Any, ...]]:
    def clean(key: str, value: Any) -> tuple[Any, ...]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise _fail(
                key,
                f"must be a list, not {type(value).__name__}",
                f"Write it as a list, e.g. [{example}]; split a comma-separated value first.",
            )
        return tuple(item(key, v) for v in value)

    return clean


def _webhook_secret(key: str, value: Any) -> str:
    secret = _non_empty_string(key, value)
    encoded = secret.removeprefix("whsec_")
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(
            key,
            "holds a secret that is not a base64 'whsec_…' signing secret",
            "Copy the signing secret exactly as topi gave it.",
        ) from None
    return secret


def _network(key: str, value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_non_empty_string(key, value), strict=False)
    except ValueError:
        raise _fail(
            key, f"holds {value!r}, which is not an IP network", "Write e.g. '203.0.113.0/24'."
        ) from None


def _shipping_method(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = {"seller_shipping_method_reference": value}
    if not isinstance(value, Mapping) or not value.get("seller_shipping_method_reference"):
        raise _fail(
            key,
            f"holds {value!r}",
            "Give each method as a reference string or a dict with "
            "'seller_shipping_method_reference' (and optionally 'name', 'is_in_store_pickup').",
        )
    reference = str(value["seller_shipping_method_reference"])
    return {
        "seller_shipping_method_reference": reference,
        "name": str(value.get("name") or reference),
        "is_in_store_pickup": bool(value.get("is_in_store_pickup", False)),
    }


CLEANERS: dict[str, Callable[[str, Any], Any]] = {
    "ENVIRONMENT": _choice(tuple(ENVIRONMENTS)),
    "CLIENT_ID": _string,
    "CLIENT_SECRET": _string,
    "API_BASE_URL": _optional_url,
    "TOKEN_URL": _optional_url,
    "CART_ADAPTER": _optional_adapter,
    "CART_URL": _non_empty_string,
    "PRODUCT_REFERENCE_SOURCE": _non_empty_string,
    "SALES_CHANNEL": _choice(SALES_CHANNELS),
    "OFFER_TTL": _optional_duration,
    "WEBHOOK_SECRETS": _list_of(_webhook_secret, "'whsec_…'"),
    "WEBHOOK_VERIFICATION": _choice(WEBHOOK_VERIFICATION_MODES),
    "WEBHOOK_ALLOWED_IPS": _list_of(_network, "'203.0.113.0/24'"),
    "WEBHOOK_TRUSTED_PROXIES": _number(0, integer=True),
    "WEBHOOK_TIMESTAMP_TOLERANCE": _number(1, integer=True),
    "WEBHOOK_PROCESSING": _choice(WEBHOOK_PROCESSING_MODES),
    "TASK_QUEUE": _non_empty_string,
    "WEBHOOK_RETENTION_DAYS": _number(1, integer=True),
    "WEBHOOK_MAX_BODY_BYTES": _number(1024, integer=True),
    "WEBHOOK_REJECTED_KEEP": _number(0, integer=True),
    "TIMEOUT": _timeout,
    "MAX_RETRIES": _number(0, integer=True),
    "RETRY_BACKOFF": _number(0),
    "RETRY_AFTER_MAX": _number(0),
    "CACHE_ALIAS": _non_empty_string,
    "TOKEN_REFRESH_MARGIN": _number(0, integer=True),
    "CATALOG_ADAPTER": _optional_adapter,
    "CATALOG_BATCH_SIZE": _number(1, integer=True),
    "PRODUCT_ADAPTER": _optional_adapter,
    "RENTAL_PRICE_CACHE_SECONDS": _number(0, integer=True),
    "CHECKOUT_GATE": _choice(CHECKOUT_GATE_MODES),
    "SHIPPING_METHODS": _list_of(_shipping_method, "'DHL Standard'"),
    "CONFLICT_EMAILS": _boolean,
}
assert CLEANERS.keys() == DEFAULTS.keys()


class TopiSettings:
    """``settings.TOPI`` with defaults, read and validated at every attribute access."""

    # The cleaned types, for type checkers; values come from __getattr__ at each access.
    ENVIRONMENT: str
    CLIENT_ID: str
    CLIENT_SECRET: str
    API_BASE_URL: str | None
    TOKEN_URL: str | None
    CART_ADAPTER: str | Callable[..., Any] | None
    CART_URL: str
    PRODUCT_REFERENCE_SOURCE: str
    SALES_CHANNEL: str
    OFFER_TTL: timedelta | None
    WEBHOOK_SECRETS: tuple[str, ...]
    WEBHOOK_VERIFICATION: str
    WEBHOOK_ALLOWED_IPS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    WEBHOOK_TRUSTED_PROXIES: int
    WEBHOOK_TIMESTAMP_TOLERANCE: int
    WEBHOOK_PROCESSING: str
    TASK_QUEUE: str
    WEBHOOK_RETENTION_DAYS: int
    WEBHOOK_MAX_BODY_BYTES: int
    WEBHOOK_REJECTED_KEEP: int
    TIMEOUT: tuple[float, float]
    MAX_RETRIES: int
    RETRY_BACKOFF: float
    RETRY_AFTER_MAX: float
    CACHE_ALIAS: str
    TOKEN_REFRESH_MARGIN: int
    CATALOG_ADAPTER: str | Callable[..., Any] | None
    CATALOG_BATCH_SIZE: int
    PRODUCT_ADAPTER: str | Callable[..., Any] | None
    RENTAL_PRICE_CACHE_SECONDS: int
    CHECKOUT_GATE: str
    SHIPPING_METHODS: tuple[dict[str, Any], ...]
    CONFLICT_EMAILS: bool

    def _user_settings(self) -> Mapping[str, Any]:
        user = getattr(settings, "TOPI", None)
        if user is None:
            return {}
        if not isinstance(user, Mapping):
            raise ImproperlyConfigured(
                f"settings.TOPI must be a dict, not {type(user).__name__}. "
                "Write TOPI = {'ENVIRONMENT': 'sandbox', ...}."
            )
        return user

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"TOPI has no setting {name!r}")
        user = self._user_settings()
        value = user.get(name, DEFAULTS[name])
        cleaned = CLEANERS[name](name, value)
        if name in SIMULATOR_DEFAULTS and not cleaned and self._is_simulator(user):
            return SIMULATOR_DEFAULTS[name]
        return cleaned

    def _is_simulator(self, user: Mapping[str, Any]) -> bool:
        return bool(user.get("ENVIRONMENT", DEFAULTS["ENVIRONMENT"]) == "simulator")

    @property
    def endpoints(self) -> Endpoints:
        """The API and token URLs in use: the environment's, unless overridden."""
        default = ENVIRONMENTS[self.ENVIRONMENT]
        api_base_url = self.API_BASE_URL or default.api_base_url
        token_url = self.TOKEN_URL or default.token_url
        if self.ENVIRONMENT == "simulator" and self.API_BASE_URL and not self.TOKEN_URL:
            # The simulator serves its token endpoint beside its API, wherever it runs.
            token_url = f"{api_base_url.rstrip('/')}/oauth2/token"
        return Endpoints(api_base_url=api_base_url, token_url=token_url)

    def problems(self) -> Iterator[tuple[str | None, ImproperlyConfigured]]:
        """Every configuration problem at once as (key, error), for the system checks."""
        try:
            user = self._user_settings()
        except ImproperlyConfigured as exc:
            yield None, exc
            return
        for key in user:
            if key not in DEFAULTS:
                close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
                fix = f"Did you mean {close[0]!r}?" if close else "Remove it."
                yield str(key), _fail(str(key), "is not a django-topi setting", fix)
        for key in DEFAULTS:
            try:
                getattr(self, key)
            except ImproperlyConfigured as exc:
                yield key, exc

    def offer_lifetime(self, sales_channel: str) -> timedelta:
        """How long a new offer lives: ``OFFER_TTL``, else topi's default for the channel."""
        return self.OFFER_TTL or OFFER_LIFETIMES[sales_channel]

    def import_adapter(self, key: str) -> Callable[..., Any] | None:
        """Import the callable a ``*_ADAPTER`` setting names (``None`` when it is unset)."""
        value = getattr(self, key)
        if value is None or callable(value):
            return value  # type: ignore[no-any-return]
        try:
            adapter = import_string(value)
        except ImportError as exc:
            raise _fail(
                key, f"names {value!r}, which cannot be imported ({exc})", "Fix the dotted path."
            ) from exc
        if not callable(adapter):
            raise _fail(key, f"names {value!r}, which is not callable", "Point it at a function.")
        return adapter  # type: ignore[no-any-return]


topi_settings = TopiSettings()
