"""``TopiClient``: every non-deprecated operation of topi's Seller API, over ``requests``.

HTTP only: no models, no settings beyond what ``from_settings`` reads. Bodies are plain dicts
shaped as topi's OpenAPI spec; answers are topi's JSON. Rules the client keeps:

* ids go into URLs only if they look like topi ids; references are percent-encoded;
* how a call travels (timeouts, safe retries, the token, topi's errors) is
  ``django_topi.client.transport``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import IO, Any
from urllib.parse import quote, urlsplit

from django_topi.client.transport import CSV_UPLOAD_HEADERS, JSON, Mounts, Transport, per_thread
from django_topi.ids import TOPI_ID


def _topi_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not TOPI_ID.match(value):
        raise ValueError(f"{value!r} is not a topi {what} id (letters, digits and '-')")
    return value


class TopiClient(Transport):
    """A client for topi's Seller API; build one with ``get_client()`` or ``TopiClient(...)``."""

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
        Mounts.version,
    )
    clients: dict[Any, TopiClient] = per_thread.__dict__.setdefault("clients", {})
    if fingerprint not in clients:
        if len(clients) >= 4:  # settings changed since (tests do that): forget the old ones
            clients.clear()
        clients[fingerprint] = TopiClient.from_settings(max_retries=max_retries)
    return clients[fingerprint]
