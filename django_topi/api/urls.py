"""API URLs, under ``django_topi:``: the checkout (``api/checkout/``, ``api/offers/<reference>/``),
the staff API (``api/staff/...``) and ``api/schema/``."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from django_topi.api import staff, views

staff_urlpatterns = [
    path("staff/orders/", staff.OrderListView.as_view(), name="api_staff_orders"),
    path("staff/orders/<str:topi_id>/", staff.OrderDetailView.as_view(), name="api_staff_order"),
    path("staff/offers/", staff.OfferListView.as_view(), name="api_staff_offers"),
    path("staff/offers/<str:topi_id>/", staff.OfferDetailView.as_view(), name="api_staff_offer"),
    # One endpoint per staff operation: ``staff/<model>s/<topi id>/<operation>/``.
    *(
        path(
            f"staff/{model}s/<str:topi_id>/{name}/",
            view.as_view(),
            name=f"api_staff_{model}_{name}",
        )
        for (model, name), view in staff.ACTION_VIEWS.items()
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
