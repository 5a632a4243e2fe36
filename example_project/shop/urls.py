from django.urls import path

from shop import views

app_name = "shop"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("products/<slug:sku>/", views.product_detail, name="product_detail"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/<slug:sku>/", views.add_to_cart, name="add_to_cart"),
    path("cart/update/", views.update_cart, name="update_cart"),
    path("cart/remove/<slug:sku>/", views.remove_from_cart, name="remove_from_cart"),
    path("cart/empty/", views.empty_cart, name="empty_cart"),
    path("orders/", views.my_orders, name="my_orders"),
]
