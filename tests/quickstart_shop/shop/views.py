from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shop.models import Basket, Product


def cart(request):
    return render(request, "shop/cart.html", {"basket": Basket.for_request(request)})


@require_POST
def add_to_cart(request, sku):
    Basket.for_request(request).add(get_object_or_404(Product, sku=sku).sku)
    return redirect("cart")
