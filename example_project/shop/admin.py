from django.contrib import admin

from shop.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "sku", "manufacturer", "net_price", "is_active"]
    search_fields = ["title", "sku"]
