"""The simulator's pages: topi's Hosted Checkout, a control page for what topi and its risk
review would decide, and the list of webhook deliveries. No JavaScript anywhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from django_topi.money import format_price
from django_topi.simulator import delivery, lifecycle, pricing
from django_topi.simulator.errors import ApiError
from django_topi.simulator.models import SimDelivery, SimOffer, SimOrder


def _redirect_with(url: str, **params: str) -> HttpResponse:
    """topi's redirect: the shop's URL with topi's query parameters added."""
    joiner = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{joiner}{urlencode(params)}")


def _totals(offer: SimOffer) -> dict[str, Any]:
    currency = offer.lines[0]["price"]["currency"] if offer.lines else "EUR"
    monthly = sum(
        int(line["available_contract_terms"]["rent"]["monthly_amount"]["gross"])
        for line in offer.lines
    )
    gross = sum(int(line["price"]["gross"]) for line in offer.lines)
    shipping = offer.request.get("shipping")
    if shipping:
        gross += int(shipping["price"]["gross"])
    return {
        "shipping": shipping
        and {
            "name": shipping["seller_shipping_reference"],
            "price": format_price(shipping["price"]["gross"], currency),
        },
        "currency": currency,
        "monthly": format_price(monthly, currency),
        "purchase": format_price(gross, currency),
        "months": pricing.TERMS[-1],
    }


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, topi_id: str) -> HttpResponse:
    """The Hosted Checkout: the customer rents, is sent to review, is declined, or leaves."""
    offer = get_object_or_404(SimOffer, topi_id=topi_id)
    if request.GET.get("token") != offer.token:
        raise Http404("unknown checkout")
    body = offer.request
    if request.method == "POST" and offer.status != "created":
        return redirect(request.get_full_path())  # closed meanwhile: show what it is now
    if request.method == "POST":
        choice = request.POST.get("choice")
        ids = {"offer_id": offer.topi_id, "seller_offer_reference": offer.seller_offer_reference}
        success, leave = body.get("success_redirect"), body.get("exit_redirect")
        if choice == "accept":
            order = lifecycle.accept(offer)
            ids["order_id"] = order.topi_id
        elif choice == "review":
            lifecycle.begin_review(offer)
        elif choice == "decline":
            lifecycle.decline(offer)
        elif choice == "abandon":
            if leave:
                return _redirect_with(leave, **ids)
        else:
            return redirect(request.get_full_path())
        if choice != "abandon" and success:
            return _redirect_with(success, **ids)
        return redirect(request.get_full_path())
    lines = [
        {
            "title": line["title"],
            "quantity": line["quantity"],
            "purchase": format_price(line["price"]["gross"], line["price"]["currency"]),
            "monthly": format_price(
                line["available_contract_terms"]["rent"]["monthly_amount"]["gross"],
                line["price"]["currency"],
            ),
        }
        for line in offer.lines
    ]
    return render(
        request,
        "topi_simulator/checkout.html",
        {
            "offer": offer,
            "lines": lines,
            "totals": _totals(offer),
            "company": (body.get("customer") or {}).get("company", {}).get("name", ""),
        },
    )


@require_http_methods(["GET", "POST"])
def control(request: HttpRequest) -> HttpResponse:
    """What topi decides: approve or decline a review, expire an offer, cancel an order."""
    if request.method == "POST":
        _act(request, request.POST.get("action", ""), request.POST.get("topi_id", ""))
        return redirect(request.get_full_path())
    return render(
        request,
        "topi_simulator/control.html",
        {
            "offers": SimOffer.objects.all()[:50],
            "orders": SimOrder.objects.select_related("offer").prefetch_related("assets")[:50],
            "open_orders": lifecycle.OPEN_ORDERS,
            "pending_deliveries": SimDelivery.objects.exclude(
                status=SimDelivery.Status.DELIVERED
            ).count(),
        },
    )


def _act(request: HttpRequest, action: str, topi_id: str) -> None:
    offer_actions = {
        "approve": lifecycle.accept,
        "decline": lifecycle.decline,
        "expire": lifecycle.expire,
    }
    order_actions = {"cancel": lifecycle.cancel}
    try:
        if action in offer_actions:
            offer_actions[action](get_object_or_404(SimOffer, topi_id=topi_id))
        elif action in order_actions:
            order_actions[action](get_object_or_404(SimOrder, topi_id=topi_id))
        else:
            raise Http404("unknown action")
    except ApiError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done: %(action)s %(id)s.") % {"action": action, "id": topi_id})


@require_http_methods(["GET", "POST"])
def deliveries(request: HttpRequest) -> HttpResponse:
    """Every webhook sent to the shop, with the shop's answers; a failed one can be sent again."""
    if request.method == "POST":
        item = get_object_or_404(SimDelivery, pk=request.POST.get("delivery"))
        item.status = SimDelivery.Status.PENDING
        delivery.deliver(item)
        return redirect(request.get_full_path())
    return render(
        request, "topi_simulator/deliveries.html", {"deliveries": SimDelivery.objects.all()[:100]}
    )
