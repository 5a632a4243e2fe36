"""The URLs the API schema describes: django-topi's endpoints, mounted where shops mount them."""

from django.urls import path

from django_topi.api import views

urlpatterns = [
    path("topi/api/checkout/", views.CheckoutAPIView.as_view()),
    path("topi/api/offers/<str:reference>/", views.OfferStatusAPIView.as_view()),
]
