from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from django_topi.conf import topi_settings
from shop.models import Product


def product_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "shop/product_list.html",
        {
            "products": Product.objects.filter(is_active=True),
            "topi_environment": topi_settings.ENVIRONMENT,
        },
    )
