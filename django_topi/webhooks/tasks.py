"""Task mode: the view stores the event and answers 202; a worker processes it.

Uses Django's tasks framework: ``django.tasks`` on Django 6, the ``django-tasks`` backport
(``pip install django-topi[tasks]``) on 5.2, with any backend the shop configures in ``TASKS``
(e.g. django-tasks-rq on Redis). The worker runs the same ``processing.process``. Every task of
django-topi goes to the queue ``TOPI['TASK_QUEUE']``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from django_topi.conf import topi_settings
from django_topi.models import WebhookEvent

try:
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2
    try:
        from django_tasks import task  # type: ignore[no-redef,unused-ignore]
    except ImportError:
        task = None  # type: ignore[assignment,unused-ignore]

NO_FRAMEWORK = (
    "TOPI['WEBHOOK_PROCESSING'] is 'task' but no tasks framework is installed: use Django 6, "
    "or pip install 'django-topi[tasks]' on Django 5.2."
)
#: Why a task could not be made, by its dotted path: the configured backend refused it.
REFUSED: dict[str, str] = {}


def topi_task(function: Callable[..., Any]) -> Any:
    """``function`` as a task on ``TOPI['TASK_QUEUE']``; ``None`` without a tasks framework, or
    when the configured backend refuses the task (a queue it does not serve, a backend it
    cannot import). That is recorded in ``REFUSED`` for the system check to report: a ``TASKS``
    setting that does not fit must not stop the app, its URLs and its admin from loading."""
    if task is None:
        return None
    try:
        return task(queue_name=topi_settings.TASK_QUEUE)(function)
    except Exception as exc:  # InvalidTaskError, InvalidTaskBackendError, ImproperlyConfigured
        REFUSED[f"{function.__module__}.{function.__name__}"] = f"{type(exc).__name__}: {exc}"
        return None


def run(event_id: int) -> str:
    """Process one stored webhook event; answers its new processing status."""
    from django_topi.webhooks.processing import process

    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    return process(event).status


def process_webhook_event(event_id: int) -> str:
    """The worker's entry point (importable by this dotted path)."""
    return run(event_id)


process_webhook_event = topi_task(process_webhook_event)  # type: ignore[no-redef,unused-ignore]
TASK: Any = process_webhook_event


def tasks_available() -> bool:
    return TASK is not None


def enqueue(event_id: int) -> None:
    """Hand the stored event ``event_id`` to a worker, on ``TOPI['TASK_QUEUE']``."""
    if TASK is None:
        raise ImproperlyConfigured(REFUSED.get(f"{__name__}.process_webhook_event", NO_FRAMEWORK))
    queue = topi_settings.TASK_QUEUE
    (TASK if queue == TASK.queue_name else TASK.using(queue_name=queue)).enqueue(event_id)


__all__ = ["REFUSED", "TASK", "enqueue", "run", "task", "tasks_available", "topi_task"]
