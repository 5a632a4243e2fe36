"""App configuration: registers the system checks and django-topi's own signal receivers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopiConfig(AppConfig):
    name = "django_topi"
    verbose_name = _("topi")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_topi import checks, notifications  # noqa: F401  (register themselves)
