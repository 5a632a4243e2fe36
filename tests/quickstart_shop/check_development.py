"""The quickstart in development: the simulator, a customer renting, webhooks, the receivers."""

from decimal import Decimal

import pytest
from django.core import mail
from django_topi.conf import topi_settings
from django_topi.models import Offer, Order

from commands import manage_lines, run
from shop.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    Product.objects.create(sku="laptop-14", name="Laptop 14", net_price=Decimal("1000.00"),
                           gross_price=Decimal("1190.00"))  # fmt: skip
    Product.objects.create(sku="dock", name="Dock", net_price=Decimal("100.00"),
                           gross_price=Decimal("119.00"))  # fmt: skip


def test_the_settings_choose_the_simulator_and_pass_the_checks():
    assert topi_settings.ENVIRONMENT == "simulator"
    assert run(["check", "--fail-level", "WARNING"]).startswith("System check identified no issues")


def test_a_customer_rents_and_the_shop_hears_of_it(
    topi_simulator, products, client, django_capture_on_commit_callbacks
):
    served = []
    for command in manage_lines("try.sh"):
        if command[0] == "runserver":
            served.append(command)  # the test client serves the shop below
            continue
        output = run(command)
        if command[0] == "topi_sync_catalog":
            assert "imported 2, rejected 0" in output
    assert served == [["runserver"]]

    client.post("/cart/add/laptop-14/")
    client.post("/cart/add/laptop-14/")
    client.post("/cart/add/dock/")
    page = client.get("/cart/").content.decode()
    assert "2 \N{MULTIPLICATION SIGN} Laptop 14" in page
    assert "Rent with topi from" in page  # the rental price of each line
    assert 'class="topi-cart-rental-overview' in page
    assert 'action="/topi/checkout/"' in page  # the button

    response = client.post("/topi/checkout/")
    assert response.status_code == 302
    assert "/topi-simulator/checkout/" in response["Location"]
    offer = Offer.objects.get()
    assert [(line.title, line.quantity) for line in offer.lines.order_by("pk")] == [
        ("Laptop 14", 2),
        ("Dock", 1),
    ]

    with django_capture_on_commit_callbacks(execute=True):  # signals fire once committed
        topi_simulator.accept()  # the customer checks out; topi approves: webhooks arrive

    order = Order.objects.get()
    assert (Offer.objects.get().status, order.status) == ("accepted", "created")
    assert {
        (d.url.split("testserver")[1], d.last_status_code) for d in topi_simulator.deliveries()
    } == {("/topi/webhook/", 200)}
    assert [m.subject for m in mail.outbox] == [
        f"[Django] topi order {order.seller_offer_reference}"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        topi_simulator.cancel()
    assert Order.objects.get().status == "canceled"
    assert mail.outbox[-1].subject == f"[Django] topi order {order.seller_offer_reference} canceled"
