"""django-topi's URLs at ``topi/`` (the webhook is ``django_topi:webhook``) and the floor."""

from django.urls import include, path

from webhook_site.floor.views import floor_webhook

urlpatterns = [
    path("topi/", include("django_topi.urls")),
    path("floor/webhook/", floor_webhook, name="floor_webhook"),
]
