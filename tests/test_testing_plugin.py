"""``django_topi.testing`` in a shop's own suite: a tiny separate project that only installs the
package runs its tests against the simulator in-process, and posts a signed webhook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SETTINGS = """
    SECRET_KEY = "tiny-shop"
    DEBUG = False
    USE_TZ = True
    ROOT_URLCONF = "tiny_urls"
    DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
    INSTALLED_APPS = [
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.messages", "rest_framework", "django_topi", "django_topi.simulator",
    ]
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                  "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                              "django.contrib.messages.context_processors.messages"]}}]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    TOPI = {"ENVIRONMENT": "simulator", "CART_ADAPTER": "tiny_cart.get_cart"}
    TOPI_SIMULATOR_ALLOW_PRODUCTION = True
"""
URLS = """
    from django.urls import include, path

    urlpatterns = [path("topi/", include("django_topi.urls"))]
"""
CART = """
    from decimal import Decimal

    from django_topi.cart import Address, Cart, CartLine, Customer

    def get_cart(request):
        return Cart(
            reference="TINY-1",
            lines=[CartLine(title="Laptop", quantity=1, unit_price_net=Decimal("999.00"),
                            currency="EUR", product_reference="laptop", tax_rate=Decimal("19"))],
            customer=Customer(email="a@tiny.example", full_name="A Tiny", company_name="Tiny Ltd"),
            shipping_address=Address(line1="Weg 1", city="Berlin", postal_code="10115",
                                     country_code="DE"),
        )
"""
TESTS = """
    import pytest

    from django_topi.models import Offer, Order
    from django_topi.testing import offer_payload, post_webhook

    pytestmark = pytest.mark.django_db

    def test_a_customer_rents_and_staff_fulfil(topi_simulator, client):
        topi_simulator.add_product("laptop", 99900)

        response = client.post("/topi/checkout/")
        assert response.status_code == 302
        assert "/topi-simulator/checkout/" in response["Location"]

        topi_simulator.accept()
        order = Order.objects.get()
        assert order.status == "created"

        topi_simulator.ship(topi_simulator.confirm(order))
        assert Order.objects.get().status == "completed"

    def test_a_signed_webhook_is_applied(client):
        response = post_webhook(client, offer_payload("accepted"))

        assert response.status_code == 200
        assert Offer.objects.get().status == "accepted"
"""


def test_a_shops_own_suite_uses_the_plugin(tmp_path: Path):
    files = {
        "tiny_settings.py": SETTINGS,
        "tiny_urls.py": URLS,
        "tiny_cart.py": CART,
        "test_tiny_shop.py": TESTS,
        "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = tiny_settings\n",
    }
    for name, content in files.items():
        (tmp_path / name).write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOPI_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
