"""OAuth2 client credentials for topi (API-NOTES §1.2), with the token shared through Django's cache.

The token lives in the cache under a key derived from the token URL and client id, so every
process and thread of a shop shares one token instead of fetching its own. It is stored for
``expires_in`` minus a margin, so it is renewed before topi would refuse it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import requests
from django.core.cache import BaseCache, caches

from django_topi.client.errors import TopiConfigurationError, TopiUnavailable

#: topi documents ``expires_in``; should it ever be missing, assume a short life.
FALLBACK_EXPIRES_IN = 300


class TokenProvider:
    """Fetches, caches and renews the bearer token for one set of client credentials."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        send: Callable[..., requests.Response],
        cache_alias: str = "default",
        refresh_margin: int = 60,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._send = send
        self._cache_alias = cache_alias
        self._refresh_margin = refresh_margin
        digest = hashlib.sha256(f"{token_url}\0{client_id}".encode()).hexdigest()[:24]
        self.cache_key = f"django_topi:token:{digest}"

    def __repr__(self) -> str:
        return f"<TokenProvider {self.token_url} client_id={self.client_id!r}>"

    @property
    def _cache(self) -> BaseCache:
        return caches[self._cache_alias]

    def get_token(self) -> str:
        """A valid access token: the shared cached one, or a freshly fetched one."""
        token = self._cache.get(self.cache_key)
        if isinstance(token, str) and token:
            return token
        return self._fetch()

    def invalidate(self, rejected_token: str) -> None:
        """Forget ``rejected_token`` (topi answered 401), unless another process already replaced it."""
        if self._cache.get(self.cache_key) == rejected_token:
            self._cache.delete(self.cache_key)

    def _url_hint(self) -> str:
        return (
            f"check TOPI['ENVIRONMENT'] and TOPI['TOKEN_URL']: {self.token_url} does not answer "
            "as topi's OAuth2 token endpoint"
        )

    def _fetch(self) -> str:
        # The sender retries this call where it is safe (it creates nothing) and logs it.
        response = self._send(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials", "scope": "client"},
            auth=(self.client_id, self._client_secret),
            headers={"Accept": "application/json"},
        )
        where: dict[str, Any] = {
            "status": response.status_code,
            "method": "POST",
            "path": self.token_url,
        }
        if response.status_code in (400, 401, 403):
            raise TopiConfigurationError(
                "topi refused the client credentials",
                hint="check TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET']: they are not accepted "
                f"at {self.token_url}",
                **where,
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise TopiUnavailable("topi's token endpoint is unavailable", **where)
        if not response.ok:
            raise TopiConfigurationError(
                "the token URL is not topi's token endpoint",
                hint=self._url_hint(),
                **where,
            )
        try:
            data: Any = response.json()
            token = data["access_token"]
        except (ValueError, KeyError, TypeError):
            raise TopiConfigurationError(
                "the token URL answered without an access_token", hint=self._url_hint(), **where
            ) from None
        if not isinstance(token, str) or not token:
            raise TopiConfigurationError(
                "the token URL answered with an empty access_token", hint=self._url_hint(), **where
            )
        expires_in = data.get("expires_in")
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, (int, float))
            or expires_in <= 0
        ):
            expires_in = FALLBACK_EXPIRES_IN
        lifetime = int(expires_in) - min(self._refresh_margin, int(expires_in) // 2)
        self._cache.set(self.cache_key, token, timeout=max(lifetime, 1))
        return token
