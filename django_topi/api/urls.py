"""API URLs, under ``django_topi:``: the checkout (``api/checkout/``, ``api/offers/<reference>/``),
the staff API (``api/staff/...``) and ``api/schema/``."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from django_topi.api import staff, views

staff_urlpatterns = [
    path("staff/orders/", staff.OrderListView.as_view(), name="api_staff_orders"),
    path("staff/orders/<str:topi_id>/", staff.OrderDetailView.as_view(), name="api_staff_order"),
    path(
        "staff/orders/<str:topi_id>/acknowledge/",
        staff.AcknowledgeOrderView.as_view(),
        name="api_staff_order_acknowledge",
    ),
    path(
        "staff/orders/<str:topi_id>/confirm/",
        staff.ConfirmOrderView.as_view(),
        name="api_staff_order_confirm",
    ),
    path(
        "staff/orders/<str:topi_id>/reject/",
        staff.RejectOrderView.as_view(),
        name="api_staff_order_reject",
    ),
    path(
        "staff/orders/<str:topi_id>/ship/",
        staff.ShipOrderView.as_view(),
        name="api_staff_order_ship",
    ),
    path(
        "staff/orders/<str:topi_id>/resync/",
        staff.ResyncOrderView.as_view(),
        name="api_staff_order_resync",
    ),
    path("staff/offers/", staff.OfferListView.as_view(), name="api_staff_offers"),
    path("staff/offers/<str:topi_id>/", staff.OfferDetailView.as_view(), name="api_staff_offer"),
    path(
        "staff/offers/<str:topi_id>/void/",
        staff.VoidOfferView.as_view(),
        name="api_staff_offer_void",
    ),
    path(
        "staff/offers/<str:topi_id>/resync/",
        staff.ResyncOfferView.as_view(),
        name="api_staff_offer_resync",
    ),
]

urlpatterns = [
    path("checkout/", views.CheckoutAPIView.as_view(), name="api_checkout"),
    path("offers/<str:reference>/", views.OfferStatusAPIView.as_view(), name="api_offer"),
    *staff_urlpatterns,
    path(
        "schema/",
        SpectacularAPIView.as_view(urlconf="django_topi.api.schema_urls"),
        name="api_schema",
    ),
]
