"""The quickstart going live: the environment variables of live.sh choose topi's sandbox (here
answered by `responses`, as the network is not needed), and webhooks must be signed."""

import json
import re
from decimal import Decimal

import pytest
import responses
from django.conf import settings
from django.core import mail
from django_topi.conf import topi_settings
from django_topi.models import Order
from django_topi.testing import order_payload, post_webhook

from commands import manage_lines, run
from shop.models import Product

pytestmark = pytest.mark.django_db


def test_the_environment_chooses_the_sandbox_without_the_simulator():
    assert topi_settings.ENVIRONMENT == "sandbox"
    assert topi_settings.CLIENT_ID == "your-client-id"
    assert "django_topi.simulator" not in settings.INSTALLED_APPS
    assert "sandbox" in topi_settings.endpoints.api_base_url


def test_the_going_live_commands_run_against_topi():
    Product.objects.create(sku="laptop-14", name="Laptop 14", net_price=Decimal("1000.00"),
                           gross_price=Decimal("1190.00"))  # fmt: skip
    api = topi_settings.endpoints.api_base_url.rstrip("/")
    imported = []

    def import_catalog(request):
        products = json.loads(request.body)["products"]
        imported.extend(p["title"] for p in products)
        summary = {"total_products": len(products), "total_products_imported": len(products),
                   "total_products_rejected": 0, "sample_products_rejected": []}  # fmt: skip
        return 200, {}, json.dumps({"id": "7b0b9f8e-2f0e-4d52-9a5c-1b1f6e0e9a11",
                                    "status": "completed", "summary": summary})  # fmt: skip

    with responses.RequestsMock() as topi:
        topi.post(topi_settings.endpoints.token_url,
                  json={"access_token": "t", "expires_in": 7200, "scope": "client"})  # fmt: skip
        topi.add_callback(responses.POST, f"{api}/v1/catalog/import", callback=import_catalog)
        outputs = {command[0]: run(command) for command in manage_lines("live.sh")}

    assert outputs["check"].startswith("System check identified no issues")
    assert imported == ["Laptop 14"]
    assert re.search(r"imported 1, rejected 0", outputs["topi_sync_catalog"])


def test_topis_webhooks_are_taken_only_signed_with_the_secret(
    client, django_capture_on_commit_callbacks
):
    forged = post_webhook(client, order_payload("created"), signed=False)
    assert forged.status_code in (400, 401)
    assert Order.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        signed = post_webhook(client, order_payload("created"))
    assert signed.status_code == 200
    order = Order.objects.get()
    assert [m.subject for m in mail.outbox] == [
        f"[Django] topi order {order.seller_offer_reference}"
    ]
