"""The simulated catalog: JSON imports, CSV import jobs and their upload URL, the support check,
rental overviews and recommended prices."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt

from django_topi.money import to_minor_units
from django_topi.simulator import lifecycle, payloads, pricing, validation
from django_topi.simulator.conf import simulator_settings
from django_topi.simulator.errors import ApiError, not_found
from django_topi.simulator.models import SimImportJob, SimProduct, new_id


def base_url(request: HttpRequest) -> str:
    """The simulator's own address as this request reached it (everything before ``/v1/``)."""
    path = request.path
    prefix = path[: path.index("/v1/")] if "/v1/" in path else ""
    return request.build_absolute_uri(prefix or "/").rstrip("/")


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


def _job(topi_id: str) -> SimImportJob:
    job = SimImportJob.objects.filter(topi_id=topi_id).first()
    if job is None:
        raise not_found("import", topi_id)
    return job


def show_import(request: HttpRequest, body: Any, topi_id: str) -> Any:
    job = _job(topi_id)
    _advance(job)
    return payloads.import_job(job)


def cancel_import(request: HttpRequest, body: Any, topi_id: str) -> HttpResponse:
    job: SimImportJob = _job(topi_id)
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
    if job.status in steps:
        job.status = steps[job.status]
        job.save()


def _ingest(job: SimImportJob) -> None:
    reader = csv.DictReader(io.StringIO(job.content))
    for row in reader:
        job.processed += 1
        try:
            currency = row.get("currency") or "EUR"
            net = to_minor_units(Decimal(row.get("price_net", "")), currency)
            gross = to_minor_units(Decimal(row.get("price_gross", "")), currency)
            _store_product(
                {
                    "title": row["title"],
                    "subtitle": row.get("subtitle") or "",
                    "seller_product_type": row.get("seller_product_type") or "hardware",
                    "is_active": (row.get("is_active") or "true").lower() in ("true", "1", "yes"),
                    "price": {"currency": currency, "net": net, "gross": gross},
                    "seller_product_references": [
                        {"source": row["reference_source"], "reference": row["reference"]}
                    ],
                }
            )
        except (KeyError, InvalidOperation, ValueError):
            job.failed += 1
        else:
            job.succeeded += 1


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


def _look_up(refs: list[dict[str, str]]) -> list[tuple[dict[str, Any], SimProduct | None, bool]]:
    """For each reference, in order: topi's form of it, the catalog's product (``None`` if
    unknown) and whether it can be rented. One query for all."""
    keys = {(ref["source"], ref["reference"]) for ref in refs}
    known = {(p.source, p.reference): p for p in lifecycle.catalog_products(keys)}
    found = []
    for ref in refs:
        product = known.get((ref["source"], ref["reference"]))
        reference = payloads.reference(ref["source"], ref["reference"])
        found.append((reference, product, product is not None and product.is_active))
    return found


def check_supported(request: HttpRequest, body: Any) -> Any:
    checked = validation.validate(validation.CHECK_SUPPORTED, body)
    products = []
    for reference, product, supported in _look_up(checked["seller_product_references"]):
        products.append(
            {
                "id": product.topi_id if product else new_id(),
                "seller_product_reference": reference,
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
    found = _look_up([item["seller_product_reference"] for item in items])
    rows, totals, currency = [], [], "EUR"
    for item, (reference, product, rentable) in zip(items, found, strict=True):
        row: dict[str, Any] = {
            "seller_product_reference": reference,
            "quantity": item["quantity"],
            "has_rental_terms": rentable,
            "can_checkout": rentable,
        }
        if product is not None and rentable:
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
    answers = []
    asked = [item["seller_product_reference"] for item in checked["pricing_requests"]]
    for reference, product, rentable in _look_up(asked):
        row: dict[str, Any] = {"seller_product_reference": reference, "has_rental_terms": rentable}
        if product is not None and rentable:
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
