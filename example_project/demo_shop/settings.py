"""Settings of the example shop: a small Django shop that offers "Rent with topi".

It talks to the local topi simulator by default, so it runs with no credentials and no network.
To try topi's sandbox instead, set TOPI_ENVIRONMENT=sandbox, TOPI_CLIENT_ID and
TOPI_CLIENT_SECRET in the environment.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-development-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_topi",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"

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

WSGI_APPLICATION = "demo_shop.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_topi": {"handlers": ["console"], "level": "INFO"}},
}

TOPI = {
    "ENVIRONMENT": os.environ.get("TOPI_ENVIRONMENT", "simulator"),
    "CLIENT_ID": os.environ.get("TOPI_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("TOPI_CLIENT_SECRET", ""),
    "PRODUCT_REFERENCE_SOURCE": "demo-shop",
    "CART_ADAPTER": "shop.cart.get_cart",
    "CART_URL": "shop:cart",
    # The button asks topi whether the cart can be rented ("explain", the default); the demo
    # shows it unconditionally until the local simulator answers the catalog endpoints.
    "CHECKOUT_GATE": "off",
    # The simulator signs its webhooks with this development-only secret.
    "WEBHOOK_SECRETS": [
        os.environ.get("TOPI_WEBHOOK_SECRET", "whsec_ZGVtby1zaG9wLWRldmVsb3BtZW50LW9ubHk=")
    ],
    "SHIPPING_METHODS": ["DHL Standard"],
}
