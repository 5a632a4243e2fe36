"""The simulator's rows as topi's JSON: ``OfferResult``, order details and summaries, and the
catalog answers, with every field topi's spec requires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_topi.ids import topi_instant
from django_topi.money import gross_from_net
from django_topi.simulator import pricing
from django_topi.simulator.models import (
    SimAsset,
    SimImportJob,
    SimOffer,
    SimOrder,
    SimProduct,
    SimShippingMethod,
    new_id,
)

#: The seller the simulated topi knows the shop as (``seller_info`` of an order).
SELLER_ID = "00000000-0000-4000-8000-00000000d3e0"
#: topi requires a shipping address on every offer it answers; offers sent without one (a
#: telesales offer) get this empty one.
NO_ADDRESS = {"line1": "", "city": "", "postal_code": "", "country_code": ""}


def instant(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, whole seconds, as topi writes instants."""
    if moment is None:
        return None
    return topi_instant(moment)


def reference(source: str, value: str) -> dict[str, str]:
    return {"source": source, "reference": value}


def offer_result(offer: SimOffer) -> dict[str, Any]:
    body = offer.request
    result: dict[str, Any] = {
        "id": offer.topi_id,
        "status": offer.status,
        "checkout_redirect_url": checkout_url(offer),
        "seller_offer_redirect_url": f"{offer.base_url}/control/#offer-{offer.topi_id}",
        "created_at": instant(offer.created_at),
        "expires_at": instant(offer.expires_at),
        "seller_offer_reference": offer.seller_offer_reference,
        "sales_channel": offer.sales_channel,
        "customer": body.get("customer") or {},
        "shipping_address": body.get("shipping_address") or NO_ADDRESS,
        "lines": offer.lines,
    }
    for key in ("shipping", "metadata", "sales_agent"):
        if body.get(key):
            result[key] = body[key]
    return result


def checkout_url(offer: SimOffer) -> str:
    return f"{offer.base_url}/checkout/{offer.topi_id}/?token={offer.token}"


def offer_line(line: dict[str, Any], product: SimProduct | None) -> dict[str, Any]:
    """topi's ``OfferLineResult`` for one requested line (its ``price`` is the line total)."""
    price = line["price"]
    tax_rate = product.tax_rate if product is not None else 1900
    net = int(price["net"])
    gross = int(price.get("gross", gross_from_net(net, tax_rate)))
    currency = str(price["currency"])
    ref = line["seller_product_reference"]
    months = pricing.TERMS[-1]
    result: dict[str, Any] = {
        "id": new_id(),
        "title": line["title"],
        "quantity": int(line["quantity"]),
        "price": {"currency": currency, "net": net, "gross": gross},
        "seller_product_references": [reference(ref["source"], ref["reference"])],
        "origin": "manual",
        "pricing_category": _category(product),
        "selected_contract_type": "rent",
        "available_contract_terms": {
            "rent": {
                "duration": months,
                "monthly_amount": pricing.monthly_amount(net, months, currency, tax_rate),
            },
            "pay_now": {
                "amount": {"currency": currency, "net": net, "gross": gross, "tax_rate": tax_rate}
            },
        },
    }
    if product is not None:
        result["product_id"] = product.topi_id
    if line.get("subtitle"):
        result["subtitle"] = line["subtitle"]
    return result


def _category(product: SimProduct | None) -> str:
    if product is not None and product.product_type == "service":
        return "service"
    return "hardware"


# -- orders --------------------------------------------------------------------------------------


def asset(unit: SimAsset) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": unit.topi_id,
        "product_id": unit.product_id,
        "title": unit.title,
        "status": unit.status,
        "seller_product_references": [reference(unit.source, unit.reference)],
    }
    if unit.serial_number:
        result["serial_number"] = unit.serial_number
    if unit.tracking_url:
        result["tracking_url"] = unit.tracking_url
    return result


def order_result(order: SimOrder) -> dict[str, Any]:
    """The short ``OrderResult`` that acknowledge, accept, reject and metadata answer."""
    return {
        "id": order.topi_id,
        "offer_id": order.offer.topi_id,
        "seller_offer_reference": order.offer.seller_offer_reference,
        "status": order.status,
        "assets": [asset(unit) for unit in order.assets.all()],
        "metadata": order.metadata,
    }


def order_details(order: SimOrder) -> dict[str, Any]:
    """getOrder's answer, and the body of an order webhook."""
    offer = order.offer
    body = offer.request
    details = {
        **order_result(order),
        "created_at": instant(order.created_at),
        "offer_created_at": instant(offer.created_at),
        "customer_info": body.get("customer") or {},
        "shipping_address": body.get("shipping_address") or NO_ADDRESS,
        "seller_info": seller_info(offer),
        "order_lines": [order_line(line) for line in offer.lines],
        "tracking_urls": order.tracking_urls,
    }
    if body.get("shipping"):
        details["shipping_info"] = body["shipping"]
    if order.canceled_at is not None:
        details["canceled_at"] = instant(order.canceled_at)
    return details


def order_line(line: dict[str, Any]) -> dict[str, Any]:
    rent = line["available_contract_terms"]["rent"]
    monthly = rent["monthly_amount"]
    result: dict[str, Any] = {
        "title": line["title"],
        "subtitle": line.get("subtitle", ""),
        "quantity": line["quantity"],
        "contract_type": "rent",
        "duration": rent["duration"],
        "monthly_price": {k: monthly[k] for k in ("currency", "net", "gross")},
        "seller_product_references": line["seller_product_references"],
        "selected_first_party_services": [],
    }
    if line.get("product_id"):
        result["product_id"] = line["product_id"]
    return result


def seller_info(offer: SimOffer) -> dict[str, Any]:
    currency = offer.lines[0]["price"]["currency"] if offer.lines else "EUR"
    return {
        "id": SELLER_ID,
        "name": "Simulated seller",
        "email": "seller@simulator.invalid",
        "currency": currency,
        "product_reference_source": (
            offer.lines[0]["seller_product_references"][0]["source"] if offer.lines else ""
        ),
        "address": {
            "line1": "Simulatorstr. 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country_code": "DE",
        },
        "capability_add_custom_products": False,
        "capability_anonymized_pricing": False,
        "capability_anonymous_ecom_offer_creation": False,
        "capability_bundles": False,
        "capability_dual_pricing": False,
        "capability_hide_buy_now": False,
        "capability_international_shipment": False,
    }


def order_summary(order: SimOrder) -> dict[str, Any]:
    """A row of ``GET /v1/orders/paginated``."""
    customer = order.offer.request.get("customer") or {}
    company = customer.get("company") or {}
    return {
        "id": order.topi_id,
        "offer_id": order.offer.topi_id,
        "seller_offer_reference": order.offer.seller_offer_reference,
        "status": order.status,
        "created_at": instant(order.created_at),
        "agent_name": "",
        "company_name": company.get("name", ""),
        "full_name": customer.get("full_name", ""),
    }


# -- catalog and shipping ------------------------------------------------------------------------


def shipping_method(method: SimShippingMethod) -> dict[str, Any]:
    return {
        "id": method.topi_id,
        "seller_shipping_method_reference": method.reference,
        "name": method.name,
        "is_in_store_pickup": method.is_in_store_pickup,
        "supported": True,
    }


def import_job(job: SimImportJob) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": job.topi_id,
        "filename": job.filename,
        "status": job.status,
        "object_path": f"https://storage.simulator.invalid/imports/{job.topi_id}.csv",
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "created_at": instant(job.created_at),
        "updated_at": instant(job.updated_at),
    }
    if job.error:
        result["error"] = job.error
    if job.status in ("ingested", "completed"):
        result["categorization"] = {
            "done": job.status == "completed",
            "total": job.succeeded,
            "supported": job.succeeded,
            "unsupported": 0,
            "to_be_reviewed": 0,
            "pending": 0 if job.status == "completed" else job.succeeded,
        }
    return result


def rental_terms(product: SimProduct) -> list[dict[str, Any]]:
    return [
        {
            "duration": months,
            "monthly_amount": pricing.monthly_amount(
                product.price_net, months, product.currency, product.tax_rate
            ),
        }
        for months in pricing.TERMS
    ]
