"""Settings for the queue workers ``tests/test_webhook_queue.py`` starts as processes of their
own: the suite's settings on the test database it made, with django-tasks-rq on Redis."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import CACHES, DATABASES, INSTALLED_APPS, TOPI

INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TOPI_TEST_DB_NAME"]}}
QUEUE = os.environ["TOPI_TEST_QUEUE"]
TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [QUEUE]}}
CACHES = {
    **CACHES,
    "queue": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["TOPI_TEST_REDIS_URL"],
    },
}
RQ_QUEUES = {QUEUE: {"USE_REDIS_CACHE": "queue"}}
TOPI = {**TOPI, "WEBHOOK_PROCESSING": "task", "TASK_QUEUE": QUEUE}
