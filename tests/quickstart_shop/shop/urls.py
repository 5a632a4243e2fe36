from django.urls import path

from shop import views

urlpatterns = [
    path("cart/", views.cart, name="cart"),
    path("cart/add/<slug:sku>/", views.add_to_cart, name="add_to_cart"),
]
