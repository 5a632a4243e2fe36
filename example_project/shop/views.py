"""The example shop's pages: products, the cart, and the customer's orders."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from django_topi.conf import topi_settings
from django_topi.models import Offer, Order, StatusChange
from django_topi.states import OfferStatus, OrderStatus
from shop import cart as session_cart
from shop.models import Product

CENT = Decimal("0.01")


def product_list(request: HttpRequest) -> HttpResponse:
    session_cart.start_over_if_checked_out(request)
    return render(
        request,
        "shop/product_list.html",
        {
            "products": Product.objects.filter(is_active=True),
            "topi_environment": topi_settings.ENVIRONMENT,
        },
    )


def product_detail(request: HttpRequest, sku: str) -> HttpResponse:
    product = get_object_or_404(Product, sku=sku, is_active=True)
    return render(request, "shop/product_detail.html", {"product": product})


def _quantity(value: str | None, default: int = 1) -> int:
    try:
        return max(0, min(int(value or default), session_cart.MAX_QUANTITY))
    except ValueError:
        return default


@require_POST
def add_to_cart(request: HttpRequest, sku: str) -> HttpResponse:
    product = get_object_or_404(Product, sku=sku, is_active=True)
    session_cart.start_over_if_checked_out(request)
    quantity = _quantity(request.POST.get("quantity"))
    if quantity:
        session_cart.add(request, product.sku, quantity)
        messages.success(request, _("%(product)s is in your cart.") % {"product": product.title})
    return redirect("shop:cart")


@require_POST
def update_cart(request: HttpRequest) -> HttpResponse:
    for sku in session_cart.quantities(request):
        field = f"quantity-{sku}"
        if field in request.POST:
            session_cart.set_quantity(request, sku, _quantity(request.POST[field], default=0))
    messages.success(request, _("Your cart is updated."))
    return redirect("shop:cart")


@require_POST
def remove_from_cart(request: HttpRequest, sku: str) -> HttpResponse:
    session_cart.set_quantity(request, sku, 0)
    return redirect("shop:cart")


@require_POST
def empty_cart(request: HttpRequest) -> HttpResponse:
    session_cart.clear(request)
    return redirect("shop:cart")


def cart(request: HttpRequest) -> HttpResponse:
    if session_cart.start_over_if_checked_out(request):
        messages.info(request, _("Your last cart went to topi; this one is new."))
    chosen = session_cart.lines(request)
    shipping = session_cart.SHIPPING
    shipping_gross = (shipping.price_net * (1 + shipping.tax_rate / 100)).quantize(CENT)
    return render(
        request,
        "shop/cart.html",
        {
            "lines": [
                (product, quantity, product.gross_price * quantity) for product, quantity in chosen
            ],
            "shipping": shipping,
            "shipping_gross": shipping_gross,
            "total_gross": shipping_gross
            + sum(product.gross_price * quantity for product, quantity in chosen),
        },
    )


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    """The signed-in customer's rentals: each offer, its order, and every step of both."""
    timeline = StatusChange.objects.order_by("created_at", "pk")
    offers = (
        Offer.objects.filter(owner=request.user)
        .exclude(status=OfferStatus.DRAFT)
        .prefetch_related(
            "lines",
            Prefetch("status_changes", queryset=timeline),
            Prefetch(
                "orders",
                queryset=Order.objects.prefetch_related(
                    Prefetch("status_changes", queryset=timeline), "assets"
                ),
            ),
        )
        .order_by("-created_at")
    )
    rentals = [{"offer": offer, "timeline": _timeline(offer)} for offer in offers]
    return render(request, "shop/my_orders.html", {"rentals": rentals})


def _timeline(offer: Offer) -> list[dict[str, object]]:
    """Every step of the offer and its orders, oldest first, in words the customer reads."""
    steps = [
        {"at": step.created_at, "what": _("Offer"), "status": OfferStatus(step.target).label}
        for step in offer.status_changes.all()
        if step.source != step.target
    ]
    for order in offer.orders.all():
        steps += [
            {"at": step.created_at, "what": _("Order"), "status": OrderStatus(step.target).label}
            for step in order.status_changes.all()
            if step.source != step.target
        ]
    return sorted(steps, key=lambda step: step["at"])
