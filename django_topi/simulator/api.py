"""The simulated Seller API: the paths, bodies and answers of topi's spec, with its errors.

Every call needs a bearer token from the simulator's token endpoint (``auth.py``). Bodies are
checked as the spec describes them (``validation.py``) and business rules answer topi's 422s.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from django_topi.simulator import auth, delivery, lifecycle, payloads, pricing, validation
from django_topi.simulator.conf import simulator_settings
from django_topi.simulator.errors import (
    ApiError,
    bad_request,
    not_found,
    unauthorized,
    unprocessable,
)
from django_topi.simulator.models import (
    SimImportJob,
    SimOffer,
    SimOrder,
    SimProduct,
    SimShippingMethod,
    new_id,
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


def base_url(request: HttpRequest) -> str:
    """The simulator's own address as this request reached it (everything before ``/v1/``)."""
    path = request.path
    prefix = path[: path.index("/v1/")] if "/v1/" in path else ""
    return request.build_absolute_uri(prefix or "/").rstrip("/")


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
                "gross": pricing.with_tax(net, 1900),
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


# -- catalog -------------------------------------------------------------------------------------


def import_catalog(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.IMPORT, body)
    products = checked["products"]
    limit = simulator_settings.CATALOG_BATCH_LIMIT
    if len(products) > limit:
        raise ApiError(413, "TooManyProducts", f"at most {limit} products per import")
    for product in products:
        _store_product(product)
    return {
        "id": new_id(),
        "status": "completed",
        "summary": {
            "total_products": len(products),
            "total_products_imported": len(products),
            "total_products_rejected": 0,
            "sample_products_rejected": [],
        },
    }


def _store_product(product: dict[str, Any]) -> None:
    price = product["price"]
    for ref in product["seller_product_references"]:
        SimProduct.objects.update_or_create(
            source=ref["source"],
            reference=ref["reference"],
            defaults={
                "title": product["title"],
                "subtitle": product.get("subtitle") or "",
                "product_type": product.get("seller_product_type") or "hardware",
                "is_active": product["is_active"],
                "currency": price["currency"],
                "price_net": price["net"],
                "price_gross": price["gross"],
                "tax_rate": price.get("tax_rate", _tax_rate(price["net"], price["gross"])),
            },
        )


def _tax_rate(net: int, gross: int) -> int:
    return round((gross - net) * 10000 / net) if net else 0


def create_import(request: HttpRequest, body: Any) -> tuple[int, Any]:
    checked = validation.validate(validation.CREATE_IMPORT, body or {})
    root = base_url(request)
    job = SimImportJob.objects.create(
        filename=checked.get("filename") or "catalog.csv", base_url=root
    )
    path = reverse_upload(job)
    return 201, {"id": job.topi_id, "upload_url": f"{root}{path}"}


def reverse_upload(job: SimImportJob) -> str:
    return f"/uploads/{job.topi_id}/?token={job.upload_token}"


def show_import(request: HttpRequest, body: Any, topi_id: str) -> Any:
    job = SimImportJob.objects.filter(topi_id=topi_id).first()
    if job is None:
        raise not_found("import", topi_id)
    _advance(job)
    return payloads.import_job(job)


def cancel_import(request: HttpRequest, body: Any, topi_id: str) -> HttpResponse:
    job = SimImportJob.objects.filter(topi_id=topi_id).first()
    if job is None:
        raise not_found("import", topi_id)
    if job.status not in ("pending", "queued", "running"):
        raise ApiError(422, "invalid_status", f"import {topi_id} is {job.status}")
    job.status = "cancelled"
    job.save()
    return HttpResponse(status=200)


def _advance(job: SimImportJob) -> None:
    """An uploaded job moves on one step per poll: queued, running, ingested, completed."""
    steps = {"queued": "running", "running": "ingested", "ingested": "completed"}
    if job.status == "running":
        _ingest(job)
    if job.status in steps and job.status != "failed":
        job.status = steps[job.status]
        job.save()


def _ingest(job: SimImportJob) -> None:
    reader = csv.DictReader(io.StringIO(job.content))
    for row in reader:
        job.processed += 1
        try:
            net = _minor(row.get("price_net", ""))
            gross = _minor(row.get("price_gross", ""))
            _store_product(
                {
                    "title": row["title"],
                    "subtitle": row.get("subtitle") or "",
                    "seller_product_type": row.get("seller_product_type") or "hardware",
                    "is_active": (row.get("is_active") or "true").lower() in ("true", "1", "yes"),
                    "price": {"currency": row.get("currency") or "EUR", "net": net, "gross": gross},
                    "seller_product_references": [
                        {"source": row["reference_source"], "reference": row["reference"]}
                    ],
                }
            )
        except (KeyError, InvalidOperation, ValueError):
            job.failed += 1
        else:
            job.succeeded += 1


def _minor(value: str) -> int:
    return int((Decimal(value) * 100).to_integral_value())


@csrf_exempt
def upload(request: HttpRequest, topi_id: str) -> HttpResponse:
    """The job's pre-signed upload URL: ``PUT`` the CSV (storage, not the Seller API)."""
    job = get_object_or_404(SimImportJob, topi_id=topi_id)
    if request.method != "PUT" or request.GET.get("token") != job.upload_token:
        return HttpResponse(status=403)
    if job.status != "pending":
        return HttpResponse(status=409)
    job.content = request.body.decode("utf-8", errors="replace")
    job.status = "queued"
    job.save()
    return HttpResponse(status=200)


def _known(refs: Iterable[dict[str, str]]) -> dict[tuple[str, str], SimProduct]:
    """The catalog's products for these references, by (source, reference)."""
    keys = {(ref["source"], ref["reference"]) for ref in refs}
    return {(p.source, p.reference): p for p in lifecycle.catalog_products(keys)}


def check_supported(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.CHECK_SUPPORTED, body)
    refs = checked["seller_product_references"]
    known = _known(refs)
    products = []
    for ref in refs:
        product = known.get((ref["source"], ref["reference"]))
        supported = product is not None and product.is_active
        products.append(
            {
                "id": product.topi_id if product else new_id(),
                "seller_product_reference": payloads.reference(ref["source"], ref["reference"]),
                "is_supported": supported,
                "available_contract_terms": {
                    "can_rent": supported,
                    "can_pay_now": supported,
                    **({"rent": {"duration": pricing.TERMS[-1]}} if supported else {}),
                },
            }
        )
    return {"products": products}


def rental_overview(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.RENTAL_OVERVIEW, body)
    items = checked["products"]
    known = _known(item["seller_product_reference"] for item in items)
    rows, totals, currency = [], [], "EUR"
    for item in items:
        ref = item["seller_product_reference"]
        product = known.get((ref["source"], ref["reference"]))
        row: dict[str, Any] = {
            "seller_product_reference": payloads.reference(ref["source"], ref["reference"]),
            "quantity": item["quantity"],
            "has_rental_terms": product is not None and product.is_active,
            "can_checkout": product is not None and product.is_active,
        }
        if product is not None and product.is_active:
            currency = product.currency
            terms = payloads.rental_terms(product)
            cheapest = min(int(t["monthly_amount"]["net"]) for t in terms)
            total = cheapest * item["quantity"]
            totals.append(total)
            row.update(
                currency=currency,
                available_rental_terms=[
                    {k: t[k] for k in ("duration", "monthly_amount")} for t in terms
                ],
                total_rental_amount=total,
                summary=pricing.summary(cheapest, currency),
            )
        rows.append(row)
    can_checkout = bool(rows) and all(row["can_checkout"] for row in rows)
    answer: dict[str, Any] = {
        "can_checkout": can_checkout,
        "currency": currency,
        "product_prices": rows,
    }
    if can_checkout:
        answer["total_rental_amount"] = sum(totals)
        answer["total_rental_summary"] = pricing.summary(sum(totals), currency)
    return answer


def recommended_prices(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.RECOMMENDED_PRICES, body)
    asked = checked["pricing_requests"]
    known = _known(item["seller_product_reference"] for item in asked)
    answers = []
    for item in asked:
        ref = item["seller_product_reference"]
        product = known.get((ref["source"], ref["reference"]))
        row: dict[str, Any] = {
            "seller_product_reference": payloads.reference(ref["source"], ref["reference"]),
            "has_rental_terms": product is not None and product.is_active,
        }
        if product is not None and product.is_active:
            months = pricing.TERMS[-1]
            amount = pricing.monthly_amount(
                product.price_net, months, product.currency, product.tax_rate
            )
            row.update(
                currency=product.currency,
                monthly_rental_amount=amount["net"],
                monthly_rental_terms={"duration": months, "monthly_amount": amount},
                summary=pricing.summary(int(amount["net"]), product.currency),
            )
        answers.append(row)
    return answers


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
catalog_import = endpoint(post=import_catalog)
catalog_imports = endpoint(post=create_import)
catalog_import_job = endpoint(get=show_import, delete=cancel_import)
catalog_check_supported = endpoint(post=check_supported)
catalog_rental_overview = endpoint(post=rental_overview)
catalog_recommended_prices = endpoint(post=recommended_prices)
