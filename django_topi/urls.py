"""django-topi's URLs: ``path("topi/", include("django_topi.urls"))``, namespace ``django_topi``."""

from django.urls import include, path

from django_topi.views import checkout, checkout_pending, return_exit, return_success
from django_topi.webhooks.views import WebhookView

app_name = "django_topi"

urlpatterns = [
    path("checkout/", checkout, name="checkout"),
    path("checkout/pending/", checkout_pending, name="checkout_pending"),
    path("return/success/", return_success, name="return_success"),
    path("return/exit/", return_exit, name="return_exit"),
    path("webhook/", WebhookView.as_view(), name="webhook"),
    path("api/", include("django_topi.api.urls")),
]
