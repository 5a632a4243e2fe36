"""Settings for ``benchmarks/webhooks.py`` only: PostgreSQL on the private cluster it starts.

``benchmarks/webhooks.py`` sets ``TOPI_BENCH_PG_PORT`` (and ``TOPI_BENCH_COUNT_QUERIES=1`` for
its SQL-counting pass, ``TOPI_BENCH_REDIS_URL`` for task mode on the private Redis it starts);
nothing here is meant for a real deployment.
"""

from __future__ import annotations

import os

SECRET_KEY = "webhook-benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
ROOT_URLCONF = "webhook_site.urls"
WSGI_APPLICATION = "webhook_site.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#: The secret the benchmark signs its deliveries with (a base64 ``whsec_…`` value).
WEBHOOK_SECRET = "whsec_YmVuY2htYXJrLW9ubHktd2ViaG9vay1zZWNyZXQ="

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "django_topi",
    "webhook_site.floor",
]

# A shop's usual stack; both endpoints go through it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
if os.environ.get("TOPI_BENCH_COUNT_QUERIES") == "1":
    # Outermost, so it sees every statement of the request.
    MIDDLEWARE.insert(0, "webhook_site.queries.CountQueries")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("TOPI_BENCH_PG_DATABASE", "topi_bench"),
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": os.environ.get("TOPI_BENCH_PG_PORT", "5432"),
        "CONN_MAX_AGE": 60,
    }
}

CACHES: dict[str, dict[str, str]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

TOPI = {
    "ENVIRONMENT": "sandbox",
    "CLIENT_ID": "benchmark-client",
    "CLIENT_SECRET": "benchmark-secret",
    "WEBHOOK_SECRETS": [WEBHOOK_SECRET],
    "WEBHOOK_VERIFICATION": "signature",
}


#: Task mode, as a shop that outgrows one server sets it up: the receiver stores and enqueues on
#: Redis (django-tasks-rq); ``manage.py rqworker`` processes apply the events.
TASK_QUEUE = "topi-webhooks"
if os.environ.get("TOPI_BENCH_REDIS_URL"):
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [TASK_QUEUE]}}
    # django-rq takes the connection of a django-redis cache, one per process: given a URL, it
    # would open a new connection for every job it enqueues.
    CACHES["queue"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ["TOPI_BENCH_REDIS_URL"],
    }
    RQ_QUEUES = {TASK_QUEUE: {"USE_REDIS_CACHE": "queue"}}
    TOPI["TASK_QUEUE"] = TASK_QUEUE
if os.environ.get("TOPI_BENCH_PROCESSING") == "task":
    TOPI["WEBHOOK_PROCESSING"] = "task"

# The sandbox with DEBUG = False is this benchmark's point, not a mistake.
SILENCED_SYSTEM_CHECKS = ["topi.W002"]

# Warnings and errors to stderr (gunicorn's log file in the benchmark's temp dir).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
