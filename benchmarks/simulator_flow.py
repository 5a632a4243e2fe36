"""The whole rent-and-fulfil flow through the simulator, in-process, as a shop's test runs it.

One flow: the customer clicks "Rent with topi" (createOffer), topi accepts (offer.accepted and
order.created webhooks, signed and verified), staff acknowledge, confirm and ship (shipment,
order.completed webhook). Target: under 0.5 s of test time per flow. Printed beside it, in the
same run, a baseline: one plain test-client request for the shop's cart page, so the ratio says
how many page views one whole flow costs on this machine, whatever its speed today.

    .venv/bin/python benchmarks/simulator_flow.py [flows]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

import fake_topi  # noqa: F401  (sets up Django on the test settings)
from django.db import connection
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
from django.urls import reverse

from django_topi import fulfilment
from django_topi.client import mount
from django_topi.models import Order
from django_topi.simulator import delivery
from django_topi.simulator.transport import SimulatorAdapter
from django_topi.testing import SIMULATOR_URL, TopiSimulator, deliver_through_test_client
from tests import adapters
from tests.checkout_helpers import demo_cart

TARGET_SECONDS = 0.5


def one_flow(simulator: TopiSimulator, web: Client, n: int) -> None:
    adapters.CURRENT_CART = demo_cart(reference=f"SO-BENCH-{n}")
    response = web.post("/topi/checkout/", {"next": "/cart/"})
    assert response.status_code == 302, response.content
    simulator.accept(simulator.offer(f"SO-BENCH-{n}"))
    order = Order.objects.get(seller_offer_reference=f"SO-BENCH-{n}")
    order = fulfilment.acknowledge(order).instance
    order = simulator.confirm(order)
    order = simulator.ship(order)
    assert order.status == "completed", order.status


def timed(work: Callable[[], None], rounds: int) -> list[float]:
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    flows = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from django.conf import settings

    topi = {**settings.TOPI, "ENVIRONMENT": "simulator", "API_BASE_URL": SIMULATOR_URL,
            "TOKEN_URL": f"{SIMULATOR_URL}/oauth2/token"}  # fmt: skip
    with (
        override_settings(
            TOPI=topi,
            TOPI_SIMULATOR={
                "DELIVERY": "sync",
                "WEBHOOK_URL": f"http://testserver{reverse('django_topi:webhook')}",
            },
        ),
        delivery.use_transport(deliver_through_test_client),
    ):
        mount(f"{SIMULATOR_URL}/", SimulatorAdapter(SIMULATOR_URL))
        simulator = TopiSimulator()
        simulator.add_product("pro-laptop-14", 129900)
        simulator.add_product("laptop-sleeve", 2990)
        simulator.add_shipping_method("DHL Standard")
        web = Client()
        counter = iter(range(1_000_000))
        one_flow(simulator, web, next(counter))  # warm-up: imports, first token
        flow = timed(lambda: one_flow(simulator, web, next(counter)), flows)
        adapters.CURRENT_CART = demo_cart()
        page = timed(lambda: web.get("/cart/"), flows)

    median, p90 = statistics.median(flow), statistics.quantiles(flow, n=10)[-1]
    baseline = statistics.median(page)
    print(f"flows: {flows} (SQLite in memory, one process, webhooks through the test client)")
    print(f"one whole flow: median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms "
          f"(target {TARGET_SECONDS * 1000:.0f} ms: {'met' if p90 < TARGET_SECONDS else 'MISSED'})")  # fmt: skip
    print(f"baseline, one cart page view: median {baseline * 1000:.2f} ms")
    print(f"ratio: one flow costs {median / baseline:.0f} cart page views")


if __name__ == "__main__":
    main()
