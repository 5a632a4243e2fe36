"""System checks: stable ids, a hint that tells the fix, and no database access."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import Tags
from django.core.checks import run_checks as run_all_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

GOOD = {
    "ENVIRONMENT": "sandbox",
    "CLIENT_ID": "id",
    "CLIENT_SECRET": "secret",
    "WEBHOOK_SECRETS": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
}


def run_checks():
    """django-topi's checks (tagged security and compatibility); model checks may need a DB."""
    return run_all_checks(tags=[Tags.security, Tags.compatibility])


def topi_messages(**overrides):
    """Run every check (no DB: these tests have no django_db mark) and keep django-topi's."""
    debug = overrides.pop("DEBUG", True)
    with override_settings(DEBUG=debug, TOPI={**GOOD, **overrides}, SILENCED_SYSTEM_CHECKS=[]):
        return {m.id: m for m in run_checks() if m.id and m.id.startswith("topi.")}


def test_a_good_development_configuration_passes():
    assert topi_messages() == {}


def test_a_good_production_configuration_passes():
    assert topi_messages(DEBUG=False, ENVIRONMENT="production") == {}


def test_missing_credentials():
    message = topi_messages(CLIENT_SECRET="")["topi.E002"]
    assert "TOPI['CLIENT_SECRET'] is not set" in message.msg
    assert "credentials your topi contact issued" in message.hint


def test_the_simulator_needs_no_credentials_and_no_webhook_secret():
    assert (
        topi_messages(ENVIRONMENT="simulator", CLIENT_ID="", CLIENT_SECRET="", WEBHOOK_SECRETS=[])
        == {}
    )


def test_unknown_environment():
    message = topi_messages(ENVIRONMENT="staging")["topi.E003"]
    assert "'staging'" in message.msg
    assert message.hint == "Set TOPI['ENVIRONMENT'] to one of: production, sandbox, simulator."


def test_invalid_value_and_unknown_key():
    messages = [m for m in run_checks_with(TIMEOUT="fast", CLIENTID="x") if m.id == "topi.E001"]
    assert sorted(m.msg.split(" ")[0] for m in messages) == ["TOPI['CLIENTID']", "TOPI['TIMEOUT']"]


def run_checks_with(**overrides):
    with override_settings(DEBUG=True, TOPI={**GOOD, **overrides}, SILENCED_SYSTEM_CHECKS=[]):
        return run_checks()


def test_production_while_debug():
    message = topi_messages(ENVIRONMENT="production")["topi.W001"]
    assert "production API while DEBUG is True" in message.msg


def test_production_url_override_while_debug():
    assert "topi.W001" in topi_messages(API_BASE_URL="https://seller-api.topi.eu")


@pytest.mark.parametrize("environment", ["sandbox", "simulator"])
def test_test_environment_while_not_debug(environment):
    message = topi_messages(DEBUG=False, ENVIRONMENT=environment)["topi.W002"]
    assert f"uses the {environment} environment while DEBUG is False" in message.msg


def test_signature_verification_without_secrets():
    message = topi_messages(WEBHOOK_SECRETS=[])["topi.E006"]
    assert "every webhook will be rejected" in message.msg


def test_refetch_verification_needs_no_secrets():
    assert topi_messages(WEBHOOK_SECRETS=[], WEBHOOK_VERIFICATION="refetch") == {}


def test_verification_switched_off_outside_debug():
    messages = topi_messages(DEBUG=False, ENVIRONMENT="production", WEBHOOK_VERIFICATION="none")
    assert "anyone can forge" in messages["topi.E007"].msg


def test_verification_switched_off_is_allowed_while_debug():
    assert topi_messages(WEBHOOK_VERIFICATION="none") == {}


def test_long_timestamp_tolerance_outside_debug():
    messages = topi_messages(
        DEBUG=False, ENVIRONMENT="production", WEBHOOK_TIMESTAMP_TOLERANCE=3600
    )
    assert "replayed for that long" in messages["topi.W003"].msg


@pytest.mark.parametrize(
    ("key", "check_id"),
    [
        ("CART_ADAPTER", "topi.E004"),
        ("CATALOG_ADAPTER", "topi.E005"),
        ("PRODUCT_ADAPTER", "topi.E009"),
    ],
)
def test_adapter_not_importable(key, check_id):
    message = topi_messages(**{key: "myshop.nowhere.get_cart"})[check_id]
    assert "cannot be imported" in message.msg
    assert message.hint.startswith(f"Point TOPI[{key!r}] at an importable function")


def test_importable_adapters_pass():
    assert (
        topi_messages(
            CART_ADAPTER="tests.adapters.get_cart",
            CATALOG_ADAPTER="tests.adapters.catalog_products",
        )
        == {}
    )


@pytest.mark.django_db
def test_manage_py_check_fails_on_an_error():
    with (
        override_settings(TOPI={**GOOD, "CLIENT_ID": ""}, SILENCED_SYSTEM_CHECKS=[]),
        pytest.raises(SystemCheckError, match=r"topi\.E002"),
    ):
        call_command("check")


def test_secrets_never_appear_in_check_messages():
    messages = run_checks_with(
        CLIENT_ID="", CLIENT_SECRET=1234567890, WEBHOOK_SECRETS=["whsec_leak%%%"]
    )
    text = " ".join(f"{m.msg} {m.hint}" for m in messages)
    assert "must be a string, not int" in text
    assert "1234567890" not in text
    assert "leak%%%" not in text


def test_task_mode_without_a_tasks_framework(monkeypatch):
    from django_topi.webhooks import tasks

    monkeypatch.setattr(tasks, "TASK", None)
    message = topi_messages(WEBHOOK_PROCESSING="task")["topi.E008"]
    assert "no tasks framework is installed" in message.msg
    assert "django-topi[tasks]" in message.hint


def test_a_task_backend_that_refuses_the_queue_is_named_and_the_app_still_loads():
    """A backend serving only other queues refuses django-topi's tasks when they are made, at
    import: that must not break loading the app (its URLs import the webhook task), and the
    check says what to change."""
    import importlib

    from django.urls import reverse

    from django_topi import tasks as topi_tasks
    from django_topi.webhooks import tasks

    refusing = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend",
                            "QUEUES": ["emails"]}}  # fmt: skip
    try:
        with override_settings(TASKS=refusing):
            importlib.reload(tasks)
            importlib.reload(topi_tasks)
            message = topi_messages(WEBHOOK_PROCESSING="task")["topi.E008"]
            assert tasks.TASK is None
            assert topi_tasks.reconcile_task is None
            assert reverse("django_topi:webhook")
            with override_settings(TOPI={**GOOD, "TASK_QUEUE": "emails"}):
                importlib.reload(tasks)
                assert tasks.TASK.queue_name == "emails"
    finally:
        importlib.reload(tasks)
        importlib.reload(topi_tasks)

    assert "the task backend refused django-topi's tasks" in message.msg
    assert "django_topi.webhooks.tasks.process_webhook_event: InvalidTaskError: Queue " in (
        message.msg
    )
    assert "'default' is not valid for backend" in message.msg
    assert "TOPI['TASK_QUEUE']" in message.hint
    assert tasks.TASK is not None


def test_task_mode_with_a_tasks_framework_passes():
    assert topi_messages(WEBHOOK_PROCESSING="task") == {}


def test_the_simulator_environment_without_a_simulator_is_named():
    apps = [app for app in settings.INSTALLED_APPS if app != "django_topi.simulator"]
    with override_settings(INSTALLED_APPS=apps):
        message = topi_messages(ENVIRONMENT="simulator")["topi.W004"]

    assert "django_topi.simulator is not installed" in message.msg
    assert "Add 'django_topi.simulator' to INSTALLED_APPS" in message.hint


def test_a_simulator_elsewhere_needs_no_local_one():
    apps = [app for app in settings.INSTALLED_APPS if app != "django_topi.simulator"]
    with override_settings(INSTALLED_APPS=apps):
        assert "topi.W004" not in topi_messages(
            ENVIRONMENT="simulator", API_BASE_URL="http://sim.example/topi-simulator"
        )


def test_a_simulator_listed_by_its_app_config_counts_as_installed():
    apps = [
        "django_topi.simulator.apps.SimulatorConfig" if app == "django_topi.simulator" else app
        for app in settings.INSTALLED_APPS
    ]
    with override_settings(INSTALLED_APPS=apps):
        assert "topi.W004" not in topi_messages(ENVIRONMENT="simulator")
