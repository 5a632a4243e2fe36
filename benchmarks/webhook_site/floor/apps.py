from django.apps import AppConfig


class FloorConfig(AppConfig):
    name = "webhook_site.floor"
    label = "bench_floor"
    default_auto_field = "django.db.models.BigAutoField"
