from django.urls import path

from shop import views

app_name = "shop"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/<slug:sku>/", views.add_to_cart, name="add_to_cart"),
    path("cart/empty/", views.empty_cart, name="empty_cart"),
]
