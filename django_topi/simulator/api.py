"""The simulated Seller API: the paths, bodies and answers of topi's spec, with its errors.

Every call needs a bearer token from the simulator's token endpoint (``auth.py``). Bodies are
checked as the spec describes them (``validation.py``) and business rules answer topi's 422s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from django_topi.money import gross_from_net
from django_topi.simulator import auth, catalog, delivery, lifecycle, payloads, pricing, validation
from django_topi.simulator.catalog import base_url
from django_topi.simulator.conf import simulator_settings
from django_topi.simulator.errors import (
    ApiError,
    bad_request,
    not_found,
    unauthorized,
    unprocessable,
)
from django_topi.simulator.models import (
    SimOffer,
    SimOrder,
    SimShippingMethod,
)

Handler = Callable[..., Any]
#: What the paginated lists answer at most per page, whatever ``limit`` asks.
MAX_PAGE = 100


def endpoint(**handlers: Handler) -> Callable[..., HttpResponse]:
    """One path of the API: ``get=…``, ``post=…`` and so on; each handler takes the request,
    the parsed JSON body (``None`` without one) and the path's arguments, and answers the JSON
    (or ``(status, JSON)``)."""

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        handler = handlers.get(request.method.lower() if request.method else "")
        if handler is None:
            return ApiError(
                405, "method_not_allowed", f"{request.method} is not allowed here"
            ).response()
        if not auth.authorized(request):
            return unauthorized()
        if simulator_settings.DELIVERY == "background":
            delivery.ensure_worker()  # offers expire, and failed webhooks retry, as time passes
        try:
            body = _json(request) if request.body else None
            # topi answers its summaries in the language the shop asks in (Accept-Language).
            with translation.override(translation.get_language_from_request(request)):
                answer = handler(request, body, **kwargs)
        except ApiError as error:
            return error.response()
        if isinstance(answer, HttpResponse):
            return answer
        status, data = answer if isinstance(answer, tuple) else (200, answer)
        return JsonResponse(data, status=status, safe=False)

    return view


def _json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except ValueError:
        raise bad_request("the body is not JSON") from None


def _offer(topi_id: str) -> SimOffer:
    offer = SimOffer.objects.filter(topi_id=topi_id).first()
    if offer is None:
        raise not_found("offer", topi_id)
    return offer


def _order(topi_id: str) -> SimOrder:
    order = SimOrder.objects.select_related("offer").filter(topi_id=topi_id).first()
    if order is None:
        raise not_found("order", topi_id)
    return order


# -- offers --------------------------------------------------------------------------------------


def create_offer(request: HttpRequest, body: Any) -> tuple[int, Any]:
    offer = lifecycle.create_offer(
        validation.validate(validation.OFFER, body), base_url=base_url(request)
    )
    return 201, payloads.offer_result(offer)


def validate_offer(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.OFFER, body)
    lines = checked["lines"]
    if not lines:
        raise unprocessable("There are no product lines")
    lifecycle.supported_products(lines)
    currency = lines[0]["price"]["currency"]
    net = sum(int(line["price"]["net"]) for line in lines)
    months = pricing.TERMS[-1]
    monthly = pricing.monthly_amount(net, months, currency, 1900)
    money = {key: monthly[key] for key in ("currency", "net", "gross")}
    return {
        "pricing_overview": {
            "breakdown": [{"title": f"Monthly (x{months}, {pricing.SIMULATED})", "amount": money}],
            "instead_of_amount": {
                "currency": currency,
                "net": net,
                "gross": gross_from_net(net, 1900),
            },
            "total_amount": money,
        }
    }


def show_offer(request: HttpRequest, body: Any, topi_id: str) -> Any:
    return payloads.offer_result(_offer(topi_id))


def edit_offer(request: HttpRequest, body: Any, topi_id: str) -> tuple[int, Any]:
    offer = _offer(topi_id)
    successor = lifecycle.edit_offer(
        offer, validation.validate(validation.OFFER, body), base_url=base_url(request)
    )
    return 202, payloads.offer_result(successor)


def offer_by_reference(request: HttpRequest, body: Any, reference: str) -> Any:
    offers = SimOffer.objects.filter(seller_offer_reference=reference)
    offer = offers.filter(status__in=lifecycle.ACTIVE_OFFERS).first() or offers.first()
    if offer is None:
        raise not_found("offer with reference", reference)
    return payloads.offer_result(offer)


def void_offer(request: HttpRequest, body: Any, topi_id: str) -> Any:
    checked = validation.validate(validation.VOID, body or {})
    offer = lifecycle.void_offer(_offer(topi_id), checked.get("superseded_by_id"))
    return payloads.offer_result(offer)


def list_offers(request: HttpRequest, body: Any) -> Any:
    page, rows, total = _page(request, SimOffer.objects.all())
    return {
        "offers": [payloads.offer_result(offer) for offer in rows],
        "pagination": _meta(page, len(rows), total),
    }


# -- orders --------------------------------------------------------------------------------------


def show_order(request: HttpRequest, body: Any, topi_id: str) -> Any:
    return payloads.order_details(_order(topi_id))


def set_metadata(request: HttpRequest, body: Any, topi_id: str) -> Any:
    checked = validation.validate(validation.METADATA, body)
    return payloads.order_result(lifecycle.set_metadata(_order(topi_id), checked["metadata"]))


def order_action(action: Callable[[SimOrder], SimOrder]) -> Handler:
    def handle(request: HttpRequest, body: Any, topi_id: str) -> Any:
        return payloads.order_result(action(_order(topi_id)))

    return handle


def list_orders(request: HttpRequest, body: Any) -> Any:
    page, rows, total = _page(request, SimOrder.objects.select_related("offer"))
    return {
        "orders": [payloads.order_summary(order) for order in rows],
        "pagination": _meta(page, len(rows), total),
    }


def create_shipment(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.SHIPMENT, body)
    return lifecycle.ship(_order(checked["order_id"]), checked)


def _page(request: HttpRequest, rows: QuerySet[Any]) -> tuple[int, list[Any], int]:
    """One page in id order, as topi's ``id_gt`` cursor walks it, with the created-at filters."""
    params = request.GET
    try:
        limit = min(max(int(params.get("limit", 20)), 1), MAX_PAGE)
        page = max(int(params.get("page", 1)), 1)
    except ValueError:
        raise bad_request("limit and page must be integers") from None
    for name, lookup in (
        ("id_gt", "topi_id__gt"),
        ("id_gte", "topi_id__gte"),
        ("id_lt", "topi_id__lt"),
        ("id_lte", "topi_id__lte"),
    ):
        if params.get(name):
            rows = rows.filter(**{lookup: params[name]})
    for name in ("created_at_gt", "created_at_gte", "created_at_lt", "created_at_lte"):
        if params.get(name):
            moment = parse_datetime(params[name])
            if moment is None:
                raise bad_request(f"{name} must be an RFC 3339 date-time")
            rows = rows.filter(**{name.replace("created_at_", "created_at__"): moment})
    rows = rows.order_by("topi_id")
    total = rows.count()
    return page, list(rows[(page - 1) * limit : page * limit]), total


def _meta(page: int, size: int, total: int) -> dict[str, int]:
    return {
        "page": page,
        "page_size": size,
        "total_count": total,
        "total_pages": -(-total // max(size, 1)) if total else 0,
    }


# -- shipping methods ----------------------------------------------------------------------------


def list_shipping_methods(request: HttpRequest, body: Any) -> Any:
    methods = [payloads.shipping_method(m) for m in SimShippingMethod.objects.order_by("pk")]
    page = max(int(request.GET.get("page", 1) or 1), 1)
    size = MAX_PAGE
    chunk = methods[(page - 1) * size : page * size]
    return {"data": chunk, "pagination": {"page": page, "has_more": page * size < len(methods)}}


def create_shipping_method(request: HttpRequest, body: Any) -> tuple[int, Any]:
    checked = validation.validate(validation.SHIPPING_METHOD, body)
    reference = checked["seller_shipping_method_reference"]
    if SimShippingMethod.objects.filter(reference=reference).exists():
        raise ApiError(422, "already_exists", f"shipping method {reference} exists already")
    method = SimShippingMethod.objects.create(
        reference=reference,
        name=checked.get("name") or reference,
        is_in_store_pickup=bool(checked.get("is_in_store_pickup")),
    )
    return 201, payloads.shipping_method(method)


# -- the URL table -------------------------------------------------------------------------------

offers = endpoint(post=create_offer)
offers_validate = endpoint(post=validate_offer)
offers_paginated = endpoint(get=list_offers)
offer = endpoint(get=show_offer, put=edit_offer)
offer_reference = endpoint(get=offer_by_reference)
offer_void = endpoint(post=void_offer)
orders_paginated = endpoint(get=list_orders)
order = endpoint(get=show_order, patch=set_metadata)
order_acknowledge = endpoint(post=order_action(lifecycle.acknowledge))
order_accept = endpoint(post=order_action(lifecycle.confirm))
order_reject = endpoint(post=order_action(lifecycle.reject))
shipment = endpoint(post=create_shipment)
shipping_methods = endpoint(get=list_shipping_methods)
shipping_method_create = endpoint(post=create_shipping_method)
catalog_import = endpoint(post=catalog.import_catalog)
catalog_imports = endpoint(post=catalog.create_import)
catalog_import_job = endpoint(get=catalog.show_import, delete=catalog.cancel_import)
catalog_check_supported = endpoint(post=catalog.check_supported)
catalog_rental_overview = endpoint(post=catalog.rental_overview)
catalog_recommended_prices = endpoint(post=catalog.recommended_prices)
