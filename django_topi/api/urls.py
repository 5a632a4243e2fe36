"""API URLs, under ``django_topi:`` (``api/checkout/``, ``api/offers/<reference>/``, ``api/schema/``)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from django_topi.api import views

urlpatterns = [
    path("checkout/", views.CheckoutAPIView.as_view(), name="api_checkout"),
    path("offers/<str:reference>/", views.OfferStatusAPIView.as_view(), name="api_offer"),
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf="django_topi.api.schema_urls"),
        name="api_schema",
    ),
]
