"""Settings of the example shop: a small Django shop that offers "Rent with topi".

It talks to the local topi simulator by default (served by this same process under
/topi-simulator/), so it runs with no credentials and no network. To try topi's sandbox instead,
set TOPI_ENVIRONMENT=sandbox, TOPI_CLIENT_ID, TOPI_CLIENT_SECRET and TOPI_WEBHOOK_SECRET in the
environment.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-development-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
#: Where `make demo` serves the shop (and so the simulator its checkout pages and webhooks use).
DEMO_ADDR = os.environ.get("DEMO_ADDR", "127.0.0.1:8000")
TOPI_ENVIRONMENT = os.environ.get("TOPI_ENVIRONMENT", "simulator")
SIMULATOR = TOPI_ENVIRONMENT == "simulator"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # The shop first: its templates (django_topi/base.html) put django-topi's pages in its layout.
    "shop",
    "django_topi",
    *(["django_topi.simulator"] if SIMULATOR else []),
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
        # Pages, webhooks and the simulator's delivery thread write at the same time: transactions
        # take the write lock when they begin (and wait for it), and readers never block writers.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "shop:my_orders"
LOGOUT_REDIRECT_URL = "shop:product_list"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_topi": {"handlers": ["console"], "level": "INFO"}},
}

TOPI = {
    "ENVIRONMENT": TOPI_ENVIRONMENT,
    "CLIENT_ID": os.environ.get("TOPI_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("TOPI_CLIENT_SECRET", ""),
    **({"API_BASE_URL": f"http://{DEMO_ADDR}/topi-simulator"} if SIMULATOR else {}),
    "PRODUCT_REFERENCE_SOURCE": "demo-shop",
    "CART_ADAPTER": "shop.cart.get_cart",
    "CART_URL": "shop:cart",
    "CATALOG_ADAPTER": "shop.topi.catalog_products",
    "PRODUCT_ADAPTER": "shop.topi.catalog_product",
    # The simulator signs its webhooks with this development-only secret.
    "WEBHOOK_SECRETS": [
        os.environ.get("TOPI_WEBHOOK_SECRET", "whsec_ZGVtby1zaG9wLWRldmVsb3BtZW50LW9ubHk=")
    ],
    "SHIPPING_METHODS": ["DHL Standard"],
}
