from django.conf import settings
from django.urls import include, path

urlpatterns = [
    path("", include("shop.urls")),  # the shop's own pages
    path("topi/", include("django_topi.urls")),
]

if "django_topi.simulator" in settings.INSTALLED_APPS:
    urlpatterns += [path("topi-simulator/", include("django_topi.simulator.urls"))]
