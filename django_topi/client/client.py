"""``TopiClient``: every non-deprecated operation of topi's Seller API, over ``requests``.

HTTP only: no models, no settings beyond what ``from_settings`` reads. Bodies are plain dicts
shaped as topi's OpenAPI spec; answers are topi's JSON. Rules the client keeps:

* every call has the (connect, read) timeout it was built with;
* a call is repeated only where repeating is safe: reads (GETs and the query-only POSTs such as
  ``check_supported``), the token call, any request that never left this machine (connect
  timeout, connection refused), and any request topi answered 429/503 with ``Retry-After``;
  a POST that creates or changes something is otherwise never repeated;
* a 401 leads to exactly one fresh token and one retry;
* ids go into URLs only if they look like topi ids; references are percent-encoded;
* logs say method, path, status and duration at DEBUG, never bodies, tokens or secrets.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import IO, Any
from urllib.parse import quote, urlsplit

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
from django_topi.ids import TOPI_ID

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


def _topi_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not TOPI_ID.match(value):
        raise ValueError(f"{value!r} is not a topi {what} id (letters, digits and '-')")
    return value


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


class TopiClient:
    """A client for topi's Seller API; build one with ``get_client()`` or ``TopiClient(...)``."""

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

    @classmethod
    def from_settings(cls, *, max_retries: int | None = None) -> TopiClient:
        """A client configured from ``settings.TOPI`` (``max_retries`` may override it)."""
        from django_topi.conf import topi_settings

        endpoints = topi_settings.endpoints
        return cls(
            client_id=topi_settings.CLIENT_ID,
            client_secret=topi_settings.CLIENT_SECRET,
            api_base_url=endpoints.api_base_url,
            token_url=endpoints.token_url,
            timeout=topi_settings.TIMEOUT,
            max_retries=topi_settings.MAX_RETRIES if max_retries is None else max_retries,
            retry_backoff=topi_settings.RETRY_BACKOFF,
            retry_after_max=topi_settings.RETRY_AFTER_MAX,
            cache_alias=topi_settings.CACHE_ALIAS,
            token_refresh_margin=topi_settings.TOKEN_REFRESH_MARGIN,
        )

    def __repr__(self) -> str:
        return f"<TopiClient {self.api_base_url} client_id={self.tokens.client_id!r}>"

    # -- offers --------------------------------------------------------------------------------

    def create_offer(self, body: Mapping[str, JSON]) -> JSON:
        """createOffer: ``POST /v1/offers``; answers the offer with ``checkout_redirect_url``."""
        return self._call("POST", "/v1/offers", json=body)

    def create_partner_offer(self, body: Mapping[str, JSON]) -> JSON:
        """createForPartner: ``POST /v1/offers/partners`` (``sales_agent`` required)."""
        return self._call("POST", "/v1/offers/partners", json=body)

    def validate_offer(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/offers/validate``: the pricing overview, or the 422 createOffer would give."""
        return self._call("POST", "/v1/offers/validate", json=body, safe=True)

    def get_offer(self, offer_id: str) -> JSON:
        """``GET /v1/offers/{id}``."""
        return self._call("GET", f"/v1/offers/{_topi_id(offer_id, 'offer')}")

    def get_offer_by_reference(self, seller_offer_reference: str) -> JSON:
        """``GET /v1/offers/ref/{seller_offer_reference}``."""
        if not seller_offer_reference:
            raise ValueError("seller_offer_reference must not be empty")
        return self._call("GET", f"/v1/offers/ref/{quote(seller_offer_reference, safe='')}")

    def edit_offer(self, offer_id: str, body: Mapping[str, JSON]) -> JSON:
        """``PUT /v1/offers/{id}``: voids the offer and answers the new one superseding it."""
        return self._call("PUT", f"/v1/offers/{_topi_id(offer_id, 'offer')}", json=body)

    def void_offer(self, offer_id: str, superseded_by_id: str | None = None) -> JSON:
        """``POST /v1/offers/{id}/void``; any offer but an accepted one can be voided."""
        body = (
            {}
            if superseded_by_id is None
            else {"superseded_by_id": _topi_id(superseded_by_id, "offer")}
        )
        return self._call("POST", f"/v1/offers/{_topi_id(offer_id, 'offer')}/void", json=body)

    def list_offers(self, **params: JSON) -> JSON:
        """One page of ``GET /v1/offers/paginated`` (``{"offers": [...], "pagination": {...}}``)."""
        return self._call("GET", "/v1/offers/paginated", params=params)

    def iter_offers(self, *, page_size: int = 100, **filters: JSON) -> Iterator[JSON]:
        """Every offer matching ``filters`` (e.g. ``created_at_gte``), fetched page by page."""
        return self._iter_pages("/v1/offers/paginated", "offers", page_size, filters)

    # -- orders --------------------------------------------------------------------------------

    def get_order(self, order_id: str) -> JSON:
        """``GET /v1/orders/{id}``: the full order (``customer_info``, ``assets``, ``order_lines``)."""
        return self._call("GET", f"/v1/orders/{_topi_id(order_id, 'order')}")

    def acknowledge_order(self, order_id: str) -> JSON:
        """``POST /v1/orders/{id}/acknowledge``: only from ``created``, else 422 InvalidStatus."""
        return self._call("POST", f"/v1/orders/{_topi_id(order_id, 'order')}/acknowledge")

    def accept_order(self, order_id: str) -> JSON:
        """``POST /v1/orders/{id}/accept``: confirms the order (from created or acknowledged)."""
        return self._call("POST", f"/v1/orders/{_topi_id(order_id, 'order')}/accept")

    def reject_order(self, order_id: str) -> JSON:
        """``POST /v1/orders/{id}/reject``: from created or acknowledged; topi takes no reason."""
        return self._call("POST", f"/v1/orders/{_topi_id(order_id, 'order')}/reject")

    def set_order_metadata(self, order_id: str, metadata: Mapping[str, str]) -> JSON:
        """``PATCH /v1/orders/{id}`` with ``{"metadata": metadata}`` (string values, <= 400 chars)."""
        return self._call(
            "PATCH", f"/v1/orders/{_topi_id(order_id, 'order')}", json={"metadata": dict(metadata)}
        )

    def list_orders(self, **params: JSON) -> JSON:
        """One page of ``GET /v1/orders/paginated`` (order summaries)."""
        return self._call("GET", "/v1/orders/paginated", params=params)

    def iter_orders(self, *, page_size: int = 100, **filters: JSON) -> Iterator[JSON]:
        """Every order summary matching ``filters``, fetched page by page."""
        return self._iter_pages("/v1/orders/paginated", "orders", page_size, filters)

    # -- shipments and shipping methods --------------------------------------------------------

    def create_shipment(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/shipment``: ``order_id``, one ``serial_numbers`` entry per unit, ``tracking_url``."""
        return self._call("POST", "/v1/shipment", json=body)

    def list_shipping_methods(self) -> list[JSON]:
        """Every shipping method registered with topi (all pages of ``GET /v1/shipping-method``)."""
        methods: list[JSON] = []
        page = 0
        while True:
            answer = self._call("GET", "/v1/shipping-method", params={"page": page})
            methods.extend(answer.get("data") or [])
            if not (answer.get("pagination") or {}).get("has_more"):
                return methods
            page += 1

    def create_shipping_method(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/shipping-method/method``; 422 means the reference exists already."""
        return self._call("POST", "/v1/shipping-method/method", json=body)

    # -- catalog -------------------------------------------------------------------------------

    def import_catalog(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/catalog/import`` with ``{"products": [...]}``; 413 when the batch is too big."""
        return self._call("POST", "/v1/catalog/import", json=body)

    def create_catalog_import(self, filename: str) -> JSON:
        """``POST /v1/catalog/imports``: a CSV import job with its ``upload_url``."""
        return self._call("POST", "/v1/catalog/imports", json={"filename": filename})

    def upload_catalog_csv(self, upload_url: str, data: bytes | IO[bytes]) -> None:
        """``PUT`` the CSV to the job's pre-signed ``upload_url`` (storage, not the Seller API)."""
        response = self._send(
            "PUT", upload_url, safe=isinstance(data, bytes), data=data, headers=CSV_UPLOAD_HEADERS
        )
        if not response.ok:
            raise self._error(response, "PUT", urlsplit(upload_url).path)

    def read_rejected_rows(self, errors_url: str, limit: int) -> list[str]:
        """The header and the first ``limit`` rows of a CSV job's ``errors_url`` file (storage,
        not the Seller API), each cut to 300 characters; only as much is downloaded."""
        with self._send("GET", errors_url, safe=True, stream=True) as response:
            if not response.ok:
                raise self._error(response, "GET", urlsplit(errors_url).path)
            response.encoding = "utf-8"
            lines = response.iter_lines(decode_unicode=True)
            return [str(line)[:300] for line in islice(lines, limit + 1) if line]

    def get_catalog_import(self, import_id: str) -> JSON:
        """``GET /v1/catalog/imports/{id}``: the CSV job's status and counts."""
        return self._call("GET", f"/v1/catalog/imports/{_topi_id(import_id, 'import')}")

    def cancel_catalog_import(self, import_id: str) -> None:
        """``DELETE /v1/catalog/imports/{id}`` (only pending, queued or running jobs)."""
        self._call("DELETE", f"/v1/catalog/imports/{_topi_id(import_id, 'import')}")

    def check_supported(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/catalog/check-supported`` with ``{"seller_product_references": [...]}``."""
        return self._call("POST", "/v1/catalog/check-supported", json=body, safe=True)

    def cart_rental_overview(self, body: Mapping[str, JSON]) -> JSON:
        """``POST /v1/catalog/carts/rental-overview`` with ``{"products": [...]}``."""
        return self._call("POST", "/v1/catalog/carts/rental-overview", json=body, safe=True)

    def recommended_rental_prices(self, body: Mapping[str, JSON]) -> list[JSON]:
        """``POST /v1/catalog/list-recommended-rental-prices`` with ``{"pricing_requests": [...]}``."""
        answer: list[JSON] = self._call(
            "POST", "/v1/catalog/list-recommended-rental-prices", json=body, safe=True
        )
        return answer

    def search_products(self, term: str) -> list[JSON]:
        """``GET /v1/catalog/products?term=``: catalog products matching ``term``."""
        answer: list[JSON] = self._call("GET", "/v1/catalog/products", params={"term": term})
        return answer

    def search_products_paginated(self, **params: JSON) -> JSON:
        """``GET /v1/catalog/products_paginated`` (``term``, ``limit``, ``page``)."""
        return self._call("GET", "/v1/catalog/products_paginated", params=params)

    def filter_products(self, body: Mapping[str, JSON], **params: JSON) -> JSON:
        """``POST /v1/catalog/products_paginated`` with ``filtering_logic``/``filtering_options``."""
        return self._call(
            "POST", "/v1/catalog/products_paginated", json=body, params=params, safe=True
        )

    # -- transport -----------------------------------------------------------------------------

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


_local = threading.local()
#: Transport adapters that every client built afterwards routes its URLs through, by prefix.
_mounted: dict[str, requests.adapters.BaseAdapter] = {}


def mount(prefix: str, adapter: requests.adapters.BaseAdapter) -> None:
    """Route every client's requests to URLs under ``prefix`` through ``adapter`` (the testing
    plugin sends the simulator's in-process this way). Clients built before are forgotten."""
    _mounted[prefix] = adapter
    _local.__dict__.pop("clients", None)


def unmount(prefix: str) -> None:
    """Undo ``mount``."""
    _mounted.pop(prefix, None)
    _local.__dict__.pop("clients", None)


def get_client(*, max_retries: int | None = None) -> TopiClient:
    """The client for the current ``settings.TOPI``, reused per thread for connection pooling.

    ``max_retries=0`` gives the client for a customer's page, which must not wait for retries.
    """
    from django_topi.conf import topi_settings

    fingerprint = (
        topi_settings.endpoints,
        topi_settings.CLIENT_ID,
        topi_settings.CLIENT_SECRET,
        topi_settings.TIMEOUT,
        topi_settings.MAX_RETRIES if max_retries is None else max_retries,
        topi_settings.RETRY_BACKOFF,
        topi_settings.RETRY_AFTER_MAX,
        topi_settings.CACHE_ALIAS,
        topi_settings.TOKEN_REFRESH_MARGIN,
    )
    clients: dict[Any, TopiClient] = _local.__dict__.setdefault("clients", {})
    if fingerprint not in clients:
        if len(clients) >= 4:  # settings changed since (tests do that): forget the old ones
            clients.clear()
        clients[fingerprint] = TopiClient.from_settings(max_retries=max_retries)
    return clients[fingerprint]
