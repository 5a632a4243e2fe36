"""System checks for django-topi's configuration (ids ``topi.E0xx`` / ``topi.W0xx``, no DB access).

E001  a setting has an invalid value, or settings.TOPI holds an unknown key
E002  CLIENT_ID or CLIENT_SECRET is missing
E003  ENVIRONMENT is unknown
E004  CART_ADAPTER cannot be imported or is not callable
E005  CATALOG_ADAPTER cannot be imported or is not callable
E006  signature verification is on but WEBHOOK_SECRETS is empty
E007  webhook verification is switched off ("none") while DEBUG is False
E008  WEBHOOK_PROCESSING is "task" but no tasks framework is installed, or its backend refuses the tasks
E009  PRODUCT_ADAPTER cannot be imported or is not callable
W001  production credentials/URLs are used while DEBUG is True
W002  the sandbox or simulator is used while DEBUG is False
W003  the webhook timestamp tolerance is over 10 minutes while DEBUG is False
W004  ENVIRONMENT is "simulator" but the simulator is neither installed here nor elsewhere named
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from django_topi.conf import ENVIRONMENTS, topi_settings

MAX_SAFE_TOLERANCE = 600
ADAPTER_EXAMPLES = {
    "CART_ADAPTER": "'myshop.topi.get_cart'",
    "CATALOG_ADAPTER": "'myshop.topi.catalog_products'",
    "PRODUCT_ADAPTER": "'myshop.topi.catalog_product'",
}


@register(Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every invalid value, with the message the settings layer would raise."""
    messages: list[CheckMessage] = []
    for key, problem in topi_settings.problems():
        text = str(problem)
        if key == "ENVIRONMENT":
            messages.append(
                Error(
                    text,
                    hint=f"Set TOPI['ENVIRONMENT'] to one of: {', '.join(ENVIRONMENTS)}.",
                    id="topi.E003",
                )
            )
        else:
            messages.append(Error(text, hint="Fix the value in settings.TOPI.", id="topi.E001"))
    return messages


def _safe(key: str) -> Any:
    try:
        return getattr(topi_settings, key)
    except ImproperlyConfigured:
        return None  # reported by check_settings


@register(Tags.security)
def check_credentials(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    environment = _safe("ENVIRONMENT")
    if environment is None:
        return []
    missing = [key for key in ("CLIENT_ID", "CLIENT_SECRET") if not _safe(key)]
    if not missing:
        return []
    return [
        Error(
            f"TOPI[{missing[0]!r}] is not set, so django-topi cannot authenticate with topi "
            f"({environment}).",
            hint="Set TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET'] to the credentials your topi "
            "contact issued for this environment (read them from the environment, not from code), "
            "or use ENVIRONMENT='simulator' locally.",
            id="topi.E002",
        )
    ]


@register(Tags.compatibility)
def check_simulator_is_there(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The simulator environment needs a simulator: this project's, or one at API_BASE_URL."""
    if _safe("ENVIRONMENT") != "simulator" or _safe("API_BASE_URL"):
        return []
    if apps.is_installed("django_topi.simulator"):
        return []
    return [
        Warning(
            "TOPI['ENVIRONMENT'] is 'simulator', but django_topi.simulator is not installed and "
            "TOPI['API_BASE_URL'] names no other: every call to topi will fail.",
            hint="Add 'django_topi.simulator' to INSTALLED_APPS and "
            'path("topi-simulator/", include("django_topi.simulator.urls")) to the URLconf, '
            "or point TOPI['API_BASE_URL'] at a server that runs it.",
            id="topi.W004",
        )
    ]


@register(Tags.security)
def check_environment_matches_debug(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    environment = _safe("ENVIRONMENT")
    if environment is None:
        return []
    try:
        endpoints = topi_settings.endpoints
    except ImproperlyConfigured:
        return []
    production = ENVIRONMENTS["production"]
    talks_to_production = environment == "production" or production.api_base_url in (
        endpoints.api_base_url,
        endpoints.token_url,
    )
    if settings.DEBUG and talks_to_production:
        return [
            Warning(
                "django-topi talks to topi's production API while DEBUG is True: real offers and "
                "orders will be created from a development setup.",
                hint="Use TOPI['ENVIRONMENT'] = 'sandbox' or 'simulator' for development.",
                id="topi.W001",
            )
        ]
    if not settings.DEBUG and not talks_to_production:
        return [
            Warning(
                f"django-topi uses the {environment} environment while DEBUG is False: customers "
                "would check out against a test system.",
                hint="Set TOPI['ENVIRONMENT'] = 'production' with production credentials in a "
                "live deployment (silence topi.W002 on a staging server).",
                id="topi.W002",
            )
        ]
    return []


@register(Tags.security)
def check_webhook_verification(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    mode = _safe("WEBHOOK_VERIFICATION")
    messages: list[CheckMessage] = []
    if mode and "signature" in mode and not _safe("WEBHOOK_SECRETS"):
        messages.append(
            Error(
                f"TOPI['WEBHOOK_VERIFICATION'] is {mode!r} but TOPI['WEBHOOK_SECRETS'] is empty, "
                "so every webhook will be rejected.",
                hint="Add the 'whsec_…' signing secret from topi, or use 'refetch' verification.",
                id="topi.E006",
            )
        )
    if settings.DEBUG:
        return messages
    if mode == "none":
        messages.append(
            Error(
                "Webhook verification is switched off while DEBUG is False: anyone can forge an "
                "offer or order status.",
                hint="Set TOPI['WEBHOOK_VERIFICATION'] to 'signature', 'refetch' or "
                "'signature+refetch'.",
                id="topi.E007",
            )
        )
    tolerance = _safe("WEBHOOK_TIMESTAMP_TOLERANCE")
    if tolerance is not None and tolerance > MAX_SAFE_TOLERANCE:
        messages.append(
            Warning(
                f"TOPI['WEBHOOK_TIMESTAMP_TOLERANCE'] is {tolerance} seconds: a captured webhook "
                "can be replayed for that long.",
                hint=f"Keep it at {MAX_SAFE_TOLERANCE} seconds or less (the default is 300).",
                id="topi.W003",
            )
        )
    return messages


@register(Tags.compatibility)
def check_adapters(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    adapters = (
        ("CART_ADAPTER", "topi.E004"),
        ("CATALOG_ADAPTER", "topi.E005"),
        ("PRODUCT_ADAPTER", "topi.E009"),
    )
    for key, check_id in adapters:
        if _safe(key) is None:
            continue
        try:
            topi_settings.import_adapter(key)
        except ImproperlyConfigured as exc:
            messages.append(
                Error(
                    str(exc),
                    hint=f"Point TOPI[{key!r}] at an importable function, e.g. {ADAPTER_EXAMPLES[key]}.",
                    id=check_id,
                )
            )
    return messages


@register(Tags.compatibility)
def check_task_mode(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    from django_topi.webhooks.tasks import REFUSED, tasks_available

    if _safe("WEBHOOK_PROCESSING") != "task" or tasks_available():
        return []
    if REFUSED:
        return [
            Error(
                "TOPI['WEBHOOK_PROCESSING'] is 'task' but the task backend refused django-topi's "
                "tasks: " + "; ".join(f"{path}: {why}" for path, why in sorted(REFUSED.items())),
                hint="Set TOPI['TASK_QUEUE'] to a queue the backend in TASKS serves (its "
                "'QUEUES'), or fix TASKS.",
                id="topi.E008",
            )
        ]
    return [
        Error(
            "TOPI['WEBHOOK_PROCESSING'] is 'task' but no tasks framework is installed.",
            hint="Use Django 6 (django.tasks), or pip install 'django-topi[tasks]' on Django 5.2 "
            "and configure TASKS; or set WEBHOOK_PROCESSING to 'sync'.",
            id="topi.E008",
        )
    ]
