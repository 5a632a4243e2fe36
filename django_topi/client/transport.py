"""How ``TopiClient`` talks HTTP: bearer tokens, timeouts, safe retries, and topi's errors.

* every call has the (connect, read) timeout it was built with;
* a call is repeated only where repeating is safe: reads (GETs and the query-only POSTs such as
  ``check_supported``), the token call, any request that never left this machine (connect
  timeout, connection refused), and any request topi answered 429/503 with ``Retry-After``;
  a POST that creates or changes something is otherwise never repeated;
* a 401 leads to exactly one fresh token and one retry;
* logs say method, path, status and duration at DEBUG, never bodies, tokens or secrets.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import django
import requests
from django.utils import translation
from urllib3.exceptions import NewConnectionError

from django_topi import __version__
from django_topi.client.auth import TokenProvider
from django_topi.client.errors import (
    TopiAPIError,
    TopiAuthError,
    TopiNotFound,
    TopiResponseError,
    TopiUnavailable,
    TopiUnprocessable,
)

logger = logging.getLogger("django_topi.client")

JSON = Any
USER_AGENT = f"django-topi/{__version__} (Django/{django.get_version()}; python-requests/{requests.__version__})"
#: Statuses worth another try for a request that is safe to repeat.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Statuses after which topi says, through Retry-After, that it did not process the request.
RETRY_AFTER_STATUSES = frozenset({429, 503})
#: Headers topi's CSV upload URL requires (API-NOTES §2.5): up to 250 MB.
CSV_UPLOAD_HEADERS = {"Content-Type": "text/csv", "x-goog-content-length-range": "0,262144000"}
MAX_MESSAGE_LENGTH = 500


def _accept_language() -> str | None:
    """Django's active language as an RFC 5646 tag: ``de``, ``en-US``."""
    language = translation.get_language()
    if not language:
        return None
    primary, _, region = language.partition("-")
    return f"{primary}-{region.upper()}" if region else primary


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached topi (so repeating it is always safe)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause: BaseException | None = exc
    while cause is not None:
        reason = getattr(cause, "reason", None)
        if isinstance(cause, NewConnectionError) or isinstance(reason, NewConnectionError):
            return True
        cause = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
    return False


per_thread = threading.local()
#: Transport adapters that every client built afterwards routes its URLs through, by prefix.
_mounted: dict[str, requests.adapters.BaseAdapter] = {}


class Mounts:
    """How many times the adapters changed: ``get_client`` builds new clients, in every thread,
    once it has."""

    version = 0


def mount(prefix: str, adapter: requests.adapters.BaseAdapter) -> None:
    """Route every client's requests to URLs under ``prefix`` through ``adapter`` (the testing
    plugin sends the simulator's in-process this way). Clients built before are forgotten, in
    every thread."""
    _mounted[prefix] = adapter
    Mounts.version += 1


def unmount(prefix: str) -> None:
    """Undo ``mount``."""
    _mounted.pop(prefix, None)
    Mounts.version += 1


class Transport:
    """The HTTP half of ``TopiClient``: one ``requests`` session, the token, retries, errors."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_base_url: str,
        token_url: str,
        timeout: tuple[float, float] = (5.0, 20.0),
        max_retries: int = 2,
        retry_backoff: float = 0.5,
        retry_after_max: float = 10.0,
        cache_alias: str = "default",
        token_refresh_margin: int = 60,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_after_max = retry_after_max
        self._session = session or requests.Session()
        for prefix, adapter in _mounted.items():
            self._session.mount(prefix, adapter)
        self._sleep = sleep
        self.tokens = TokenProvider(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            send=lambda method, url, **kw: self._send(method, url, safe=True, **kw),
            cache_alias=cache_alias,
            refresh_margin=token_refresh_margin,
        )

    def _iter_pages(
        self, path: str, key: str, page_size: int, filters: dict[str, JSON]
    ) -> Iterator[JSON]:
        """Walk a paginated list with topi's ``id_gt`` cursor, one page in memory at a time."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if {"sort_by", "sort_order", "page"} & filters.keys():
            raise ValueError(
                "the id_gt cursor needs topi's default order; drop sort_by/sort_order/page"
            )
        cursor = filters.pop("id_gt", None)
        while True:
            params = {**filters, "limit": page_size}
            if cursor:
                params["id_gt"] = cursor
            rows = self._call("GET", path, params=params).get(key) or []
            yield from rows
            last = rows[-1].get("id") if rows else None
            if len(rows) < page_size or not last or last == cursor:
                return
            cursor = last

    def _headers(self, token: str, has_body: bool) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        language = _accept_language()
        if language:
            headers["Accept-Language"] = language
        return headers

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: JSON = None,
        params: Mapping[str, JSON] | None = None,
        safe: bool | None = None,
    ) -> JSON:
        """One API call: bearer token, retries where safe, one token refresh on 401, errors mapped."""
        if safe is None:
            safe = method == "GET"
        url = self.api_base_url + path
        for attempt in ("first", "after 401"):
            token = self.tokens.get_token()
            response = self._send(
                method,
                url,
                safe=safe,
                json=json,
                params=params,
                headers=self._headers(token, has_body=json is not None),
            )
            if response.status_code == 401 and attempt == "first":
                self.tokens.invalidate(token)
                continue
            break
        if not response.ok:
            raise self._error(response, method, path)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise TopiResponseError(
                f"topi {method} {path}: HTTP {response.status_code} with a body that is not JSON"
            ) from None

    def _send(self, method: str, url: str, *, safe: bool, **kwargs: Any) -> requests.Response:
        """Send with the timeout; repeat only where that is safe; raise TopiUnavailable on faults."""
        path = urlsplit(url).path
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self._session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                elapsed_ms = (time.monotonic() - started) * 1000
                repeatable = safe or _never_sent(exc)
                logger.debug(
                    "topi %s %s -> %s in %.0f ms", method, path, type(exc).__name__, elapsed_ms
                )
                if repeatable and attempt < self.max_retries:
                    self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                timed_out = isinstance(exc, requests.Timeout)
                raise TopiUnavailable(
                    "topi did not answer in time" if timed_out else "topi could not be reached",
                    timeout=timed_out,
                    temporary=True,
                    method=method,
                    path=path,
                ) from None
            elapsed_ms = (time.monotonic() - started) * 1000
            logger.debug(
                "topi %s %s -> %s in %.0f ms", method, path, response.status_code, elapsed_ms
            )
            delay = self._retry_delay(response, safe, attempt)
            if delay is None:
                return response
            self._sleep(delay)
            attempt += 1

    def _retry_delay(self, response: requests.Response, safe: bool, attempt: int) -> float | None:
        """Seconds to wait before repeating, or ``None`` to hand this response back."""
        if response.status_code not in RETRYABLE_STATUSES or attempt >= self.max_retries:
            return None
        retry_after = _retry_after(response)
        if retry_after is not None and response.status_code in RETRY_AFTER_STATUSES:
            return retry_after if retry_after <= self.retry_after_max else None
        return self._backoff(attempt) if safe else None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s ... for the default factor."""
        return float(self.retry_backoff * (2**attempt) * random.uniform(0.5, 1.0))  # noqa: S311

    def _error(self, response: requests.Response, method: str, path: str) -> TopiAPIError:
        """The ``TopiAPIError`` subclass for an error answer, with topi's fields."""
        status = response.status_code
        try:
            body: JSON = response.json() if response.content else None
        except ValueError:
            body = None
        fields = body if isinstance(body, dict) else {}
        if isinstance(body, str) and body:
            message = body
        else:
            message = str(fields.get("message") or response.reason or "error")
        kwargs: dict[str, Any] = {
            "status": status,
            "name": str(fields.get("name") or ""),
            "error_id": str(fields.get("id") or ""),
            "temporary": bool(fields.get("temporary", False)),
            "timeout": bool(fields.get("timeout", False)),
            "fault": bool(fields.get("fault", False)),
            "method": method,
            "path": path,
            "body": body,
        }
        message = message[:MAX_MESSAGE_LENGTH]
        if status in (401, 403):
            return TopiAuthError(message, **kwargs)
        if status == 404:
            return TopiNotFound(message, **kwargs)
        if status == 422:
            references = fields.get("references")
            return TopiUnprocessable(
                message, references=references if isinstance(references, list) else None, **kwargs
            )
        if status in (408, 429) or status >= 500:
            return TopiUnavailable(message, retry_after=_retry_after(response), **kwargs)
        return TopiAPIError(message, **kwargs)
