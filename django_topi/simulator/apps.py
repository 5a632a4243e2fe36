"""The simulator's app: its own label and tables, and a refusal to run in production."""

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    name = "django_topi.simulator"
    label = "topi_simulator"
    verbose_name = _("topi simulator")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if not settings.DEBUG and not getattr(settings, "TOPI_SIMULATOR_ALLOW_PRODUCTION", False):
            raise ImproperlyConfigured(
                "django_topi.simulator imitates topi: it accepts any customer and approves any "
                "offer. It is in INSTALLED_APPS while DEBUG is off. Remove it from "
                "INSTALLED_APPS in production; a test or staging settings module that runs "
                "with DEBUG off on purpose sets TOPI_SIMULATOR_ALLOW_PRODUCTION = True."
            )
        from django_topi.simulator import delivery

        delivery.reset()
        self.serve_in_process()

    @staticmethod
    def serve_in_process() -> None:
        """Where this project's shop is set to the simulator, route its client here in-process."""
        from django_topi.client import mount
        from django_topi.conf import topi_settings
        from django_topi.simulator.conf import simulator_settings
        from django_topi.simulator.transport import SimulatorAdapter

        try:
            if topi_settings.ENVIRONMENT != "simulator" or not simulator_settings.IN_PROCESS:
                return
            base = topi_settings.endpoints.api_base_url.rstrip("/")
        except ImproperlyConfigured:
            return  # the system checks report it
        mount(f"{base}/", SimulatorAdapter(base))
