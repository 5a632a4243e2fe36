from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from django_topi.conf import topi_settings
from shop import cart as session_cart
from shop.models import Product


def product_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "shop/product_list.html",
        {
            "products": Product.objects.filter(is_active=True),
            "topi_environment": topi_settings.ENVIRONMENT,
            "cart_count": sum(session_cart.quantities(request).values()),
        },
    )


@require_POST
def add_to_cart(request: HttpRequest, sku: str) -> HttpResponse:
    product = get_object_or_404(Product, sku=sku, is_active=True)
    session_cart.add(request, product.sku)
    return redirect("shop:cart")


@require_POST
def empty_cart(request: HttpRequest) -> HttpResponse:
    session_cart.clear(request)
    return redirect("shop:cart")


def cart(request: HttpRequest) -> HttpResponse:
    return render(request, "shop/cart.html", {"cart": session_cart.get_cart(request)})
