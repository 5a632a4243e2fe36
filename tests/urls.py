from django.contrib import admin
from django.urls import include, path

from tests.shop_views import cart_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("topi/", include("django_topi.urls")),
    path("topi-simulator/", include("django_topi.simulator.urls")),
    path("cart/", cart_page),
]
