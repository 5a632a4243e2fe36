from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("topi/", include("django_topi.urls")),
    path("", include("shop.urls")),
]
if "django_topi.simulator" in settings.INSTALLED_APPS:
    # The local topi: its API, Hosted Checkout, control page and webhook deliveries.
    urlpatterns.insert(0, path("topi-simulator/", include("django_topi.simulator.urls")))
