"""The simulator's settings: ``settings.TOPI_SIMULATOR`` (a dict), read at every access.

Left unset, the simulator is the topi of the shop it runs in: it accepts the shop's own
``TOPI["CLIENT_ID"]``/``CLIENT_SECRET``, signs webhooks with the shop's first
``TOPI["WEBHOOK_SECRETS"]`` entry, and posts them to the shop's webhook URL on the host the
checkout came from.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from django_topi.conf import topi_settings

DELIVERY_MODES = ("background", "sync", "off")

DEFAULTS: dict[str, Any] = {
    # Credentials the token endpoint accepts (None: the shop's own).
    "CLIENT_ID": None,
    "CLIENT_SECRET": None,
    # The Standard Webhooks secret it signs with (None: the shop's first WEBHOOK_SECRETS entry).
    "WEBHOOK_SECRET": None,
    # Where webhooks go (None: the shop's django_topi:webhook URL on the offer's host).
    "WEBHOOK_URL": None,
    # "background": a thread of this process delivers and retries; "sync": at once, in the
    # request that changed the status (tests); "off": kept, listed, never sent.
    "DELIVERY": "background",
    # Seconds to wait before each retry of a failed delivery; then it is given up.
    "RETRY_DELAYS": (2, 10, 60, 300),
    # How long an access token lives (topi's documented example is 7200 s).
    "TOKEN_SECONDS": 7200,
    # Where the shop runs in the same project, its client reaches the simulator in-process (no
    # HTTP round trip); False sends it over HTTP to TOPI's API_BASE_URL instead.
    "IN_PROCESS": True,
    # The most products one catalog import batch takes; more answer 413 (topi's own limit is
    # not documented).
    "CATALOG_BATCH_LIMIT": 1000,
}


class SimulatorSettings:
    """``settings.TOPI_SIMULATOR`` with defaults, read at every attribute access."""

    CLIENT_ID: str
    CLIENT_SECRET: str
    WEBHOOK_SECRET: str
    WEBHOOK_URL: str | None
    DELIVERY: str
    RETRY_DELAYS: tuple[float, ...]
    TOKEN_SECONDS: int
    CATALOG_BATCH_LIMIT: int
    IN_PROCESS: bool

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"TOPI_SIMULATOR has no setting {name!r}")
        user = getattr(settings, "TOPI_SIMULATOR", None) or {}
        unknown = set(user) - set(DEFAULTS)
        if unknown:
            raise ImproperlyConfigured(
                f"TOPI_SIMULATOR has unknown keys {sorted(unknown)}; known: {sorted(DEFAULTS)}"
            )
        value = user.get(name, DEFAULTS[name])
        if value is None:
            return self._from_shop(name)
        if name == "DELIVERY" and value not in DELIVERY_MODES:
            raise ImproperlyConfigured(
                f"TOPI_SIMULATOR['DELIVERY'] is {value!r}; use one of {', '.join(DELIVERY_MODES)}"
            )
        if name == "RETRY_DELAYS":
            return tuple(float(delay) for delay in value)
        return value

    @staticmethod
    def _from_shop(name: str) -> Any:
        if name == "CLIENT_ID":
            return topi_settings.CLIENT_ID
        if name == "CLIENT_SECRET":
            return topi_settings.CLIENT_SECRET
        if name == "WEBHOOK_SECRET":
            secrets = topi_settings.WEBHOOK_SECRETS
            return secrets[0] if secrets else ""
        return None


simulator_settings = SimulatorSettings()
