"""Task mode: the view stores the event and answers 202; a worker processes it.

Uses Django's tasks framework: ``django.tasks`` on Django 6, the ``django-tasks`` backport
(``pip install django-topi[tasks]``) on 5.2. The worker runs the same ``processing.process``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from django_topi.models import WebhookEvent

try:
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2
    try:
        from django_tasks import task  # type: ignore[no-redef,unused-ignore]
    except ImportError:
        task = None  # type: ignore[assignment,unused-ignore]


def run(event_id: int) -> str:
    """Process one stored webhook event; answers its new processing status."""
    from django_topi.webhooks.processing import process

    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    return process(event).status


if task is not None:

    @task()  # type: ignore[untyped-decorator,misc,unused-ignore]
    def process_webhook_event(event_id: int) -> str:
        """The worker's entry point (importable by this dotted path)."""
        return run(event_id)

    TASK: Any = process_webhook_event
else:
    TASK = None


def tasks_available() -> bool:
    return TASK is not None


def enqueue(event: WebhookEvent) -> None:
    if TASK is None:
        raise ImproperlyConfigured(
            "TOPI['WEBHOOK_PROCESSING'] is 'task' but no tasks framework is installed: use "
            "Django 6, or pip install 'django-topi[tasks]' on Django 5.2."
        )
    TASK.enqueue(event.pk)


__all__ = ["TASK", "enqueue", "run", "task", "tasks_available"]
