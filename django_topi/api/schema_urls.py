"""The URLs the API schema describes: django-topi's endpoints, mounted where shops mount them."""

from django.urls import include, path

from django_topi.api import views
from django_topi.api.urls import staff_urlpatterns

urlpatterns = [
    path("topi/api/checkout/", views.CheckoutAPIView.as_view()),
    path("topi/api/offers/<str:reference>/", views.OfferStatusAPIView.as_view()),
    path("topi/api/", include(staff_urlpatterns)),
]
