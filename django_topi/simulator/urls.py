"""The simulator's URLs: mount them where the client expects topi (``path("topi-simulator/",
include("django_topi.simulator.urls"))``, which ``ENVIRONMENT="simulator"`` points at)."""

from django.urls import path

from django_topi.simulator import api, auth, catalog, pages

app_name = "topi_simulator"

urlpatterns = [
    path("oauth2/token", auth.token, name="token"),
    path("v1/offers", api.offers),
    path("v1/offers/validate", api.offers_validate),
    path("v1/offers/paginated", api.offers_paginated),
    path("v1/offers/ref/<str:reference>", api.offer_reference),
    path("v1/offers/<str:topi_id>", api.offer),
    path("v1/offers/<str:topi_id>/void", api.offer_void),
    path("v1/orders/paginated", api.orders_paginated),
    path("v1/orders/<str:topi_id>", api.order),
    path("v1/orders/<str:topi_id>/acknowledge", api.order_acknowledge),
    path("v1/orders/<str:topi_id>/accept", api.order_accept),
    path("v1/orders/<str:topi_id>/reject", api.order_reject),
    path("v1/shipment", api.shipment),
    path("v1/shipping-method", api.shipping_methods),
    path("v1/shipping-method/method", api.shipping_method_create),
    path("v1/catalog/import", api.catalog_import),
    path("v1/catalog/imports", api.catalog_imports),
    path("v1/catalog/imports/<str:topi_id>", api.catalog_import_job),
    path("v1/catalog/check-supported", api.catalog_check_supported),
    path("v1/catalog/carts/rental-overview", api.catalog_rental_overview),
    path("v1/catalog/list-recommended-rental-prices", api.catalog_recommended_prices),
    path("uploads/<str:topi_id>/", catalog.upload, name="upload"),
    path("checkout/<str:topi_id>/", pages.checkout, name="checkout"),
    path("control/", pages.control, name="control"),
    path("deliveries/", pages.deliveries, name="deliveries"),
]
