"""pytest fixtures and helpers for a shop's own tests: topi in-process, and signed webhooks.

The plugin loads itself wherever django-topi is installed (a ``pytest11`` entry point), and adds:

* ``topi_simulator``: the shop's ``TopiClient`` talks to ``django_topi.simulator`` in-process,
  through a ``requests`` transport adapter onto its views (no sockets, no server), and the
  simulator's webhooks reach the shop through Django's test client, at once. The fixture is a
  ``TopiSimulator``: add catalog products, then accept, review, decline, expire or cancel what
  the shop created, and confirm or ship an order as staff would.
* ``sign_webhook``, ``post_webhook``, ``offer_payload`` and ``order_payload`` for tests that
  post topi's webhooks themselves.

The simulator must be installed in the test settings (``"django_topi.simulator"`` in
``INSTALLED_APPS``, and ``TOPI_SIMULATOR_ALLOW_PRODUCTION = True`` when they run with
``DEBUG = False``, as tests usually do); see the testing guide in the docs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from django_topi.ids import topi_instant

if TYPE_CHECKING:  # pragma: no cover
    from django.test import Client

    from django_topi.models import Order
    from django_topi.simulator.models import SimDelivery, SimOffer, SimOrder, SimProduct

#: Where the simulator answers in tests: the test client's host, so its pages work there too.
SIMULATOR_URL = "http://testserver/topi-simulator"


# -- payloads ------------------------------------------------------------------------------------

OFFER_ID = "9cebdcec-0a3c-4f5e-9d4b-3f1e2a7b6c01"
ORDER_ID = "8c9a3939-5b7d-4e21-9a0f-1c2d3e4f5a01"
_ADDRESS = {"line1": "Musterstr. 1", "postal_code": "10243", "city": "Berlin", "country_code": "DE"}
_CUSTOMER = {
    "email": "alice@unicorn.example",
    "full_name": "Alice Example",
    "phone_number": "+49301234567",
    "company": {"name": "Unicorn Corp", "vat_number": "DE123456789", "billing_address": _ADDRESS},
}
_LAPTOP = [{"source": "shop", "reference": "pro-laptop-14"}]
_SLEEVE = [{"source": "shop", "reference": "laptop-sleeve"}]
_OFFER: dict[str, Any] = {
    "id": OFFER_ID,
    "status": "created",
    "seller_offer_reference": "SO-100234",
    "sales_channel": "ecommerce",
    "checkout_redirect_url": f"https://dashboard.topi-sandbox.eu/offer/{OFFER_ID}?token=abcd",
    "seller_offer_redirect_url": f"https://dashboard.topi-sandbox.eu/seller/offer/{OFFER_ID}",
    "customer": _CUSTOMER,
    "shipping_address": {"recipient_name": "Felix Wolf", **_ADDRESS},
    "shipping": {
        "seller_shipping_reference": "DHL Standard",
        "price": {"currency": "EUR", "gross": 595, "net": 500},
    },
    "lines": [
        {
            "id": "1f6e3c1a-0000-4000-8000-000000000001",
            "title": "Pro Laptop 14",
            "quantity": 2,
            "price": {"currency": "EUR", "gross": 309162, "net": 259800},
            "seller_product_references": _LAPTOP,
            "origin": "manual",
            "pricing_category": "hardware",
        },
        {
            "id": "1f6e3c1a-0000-4000-8000-000000000002",
            "title": "Laptop Sleeve",
            "quantity": 1,
            "price": {"currency": "EUR", "gross": 3558, "net": 2990},
            "seller_product_references": _SLEEVE,
            "origin": "manual",
            "pricing_category": "accessory",
        },
    ],
    "metadata": {"shop_order_id": "100234"},
}
_ORDER: dict[str, Any] = {
    "id": ORDER_ID,
    "status": "created",
    "offer_id": OFFER_ID,
    "seller_offer_reference": "SO-100234",
    "customer_info": {
        "email": "alice@unicorn.example",
        "full_name": "Alice Example",
        "company": {"name": "Unicorn Corp", "vat_number": "DE123456789"},
    },
    "seller_info": {"id": "seller-1", "name": "Demo Shop GmbH", "currency": "EUR"},
    "shipping_address": {"recipient_name": "Felix Wolf", **_ADDRESS},
    "tracking_urls": [],
    "order_lines": [
        {
            "title": "Pro Laptop 14",
            "subtitle": "",
            "quantity": 2,
            "contract_type": "rent",
            "duration": 36,
            "monthly_price": {"currency": "EUR", "gross": 9520, "net": 8000},
            "seller_product_references": _LAPTOP,
            "selected_first_party_services": [],
        },
    ],
    "assets": [
        {
            "id": "a0000000-0000-4000-8000-000000000001",
            "product_id": "p-laptop",
            "title": "Pro Laptop 14",
            "status": "created",
            "seller_product_references": _LAPTOP,
        },
        {
            "id": "a0000000-0000-4000-8000-000000000002",
            "product_id": "p-laptop",
            "title": "Pro Laptop 14",
            "status": "created",
            "seller_product_references": _LAPTOP,
        },
        {
            "id": "a0000000-0000-4000-8000-000000000003",
            "product_id": "p-sleeve",
            "title": "Laptop Sleeve",
            "status": "created",
            "seller_product_references": _SLEEVE,
        },
    ],
    "metadata": {},
}


def offer_payload(
    status: str = "created", *, now: datetime | None = None, **changes: Any
) -> dict[str, Any]:
    """A full offer as topi's getOffer answers it (two laptops and a sleeve, SO-100234), made
    ten minutes before ``now`` and open for a day; ``changes`` replace top-level fields."""
    created = (now or datetime.now(timezone.utc)).replace(microsecond=0) - timedelta(minutes=10)
    instants = {
        "created_at": topi_instant(created),
        "expires_at": topi_instant(created + timedelta(days=1)),
    }
    return {**copy.deepcopy(_OFFER), **instants, "status": status, **changes}


def order_payload(
    status: str = "created", *, now: datetime | None = None, **changes: Any
) -> dict[str, Any]:
    """A full order as topi's getOrder answers it, for ``offer_payload()``'s offer."""
    offered = (now or datetime.now(timezone.utc)).replace(microsecond=0) - timedelta(minutes=10)
    instants = {
        "offer_created_at": topi_instant(offered),
        "created_at": topi_instant(offered + timedelta(minutes=8, seconds=27)),
    }
    return {**copy.deepcopy(_ORDER), **instants, "status": status, **changes}


# -- webhooks ------------------------------------------------------------------------------------


def sign_webhook(
    body: bytes,
    *,
    secret: str | None = None,
    msg_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` as topi sends them, in the form Django's test
    client takes (``HTTP_SVIX_ID`` …); ``secret`` defaults to the shop's first one."""
    from django_topi.conf import topi_settings
    from django_topi.webhooks.verification import signed_headers

    headers = signed_headers(
        secret or topi_settings.WEBHOOK_SECRETS[0], body, msg_id=msg_id, timestamp=timestamp
    )
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


def post_webhook(
    client: Client, payload: Any, *, secret: str | None = None, signed: bool = True, **headers: Any
) -> Any:
    """POST ``payload`` (a dict, or raw bytes) to the shop's topi webhook URL, signed; answers
    the test client's response."""
    from django.urls import reverse

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signature = sign_webhook(body, secret=secret) if signed else {}
    return client.generic(
        "POST",
        reverse("django_topi:webhook"),
        body,
        content_type="application/json",
        **{**signature, **headers},
    )


# -- the simulator, in-process -------------------------------------------------------------------


def deliver_through_test_client(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """Deliver a simulator webhook through Django's test client (the shop's own URLconf)."""
    from django.test import Client

    parts = urlsplit(url)
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in headers.items()
        if name.lower() != "content-type"
    }
    path = f"{parts.path}?{parts.query}" if parts.query else parts.path
    response = Client().generic("POST", path, body, content_type="application/json", **extra)  # type: ignore[arg-type]
    return response.status_code, response.content.decode("utf-8", errors="replace")


class TopiSimulator:
    """The simulated topi of one test: its catalog, and what its customers and review decide."""

    base_url = SIMULATOR_URL

    # -- catalog and shipping --

    def add_product(
        self,
        reference: str,
        price_net: int | None = None,
        *,
        source: str | None = None,
        title: str | None = None,
        tax_rate: int = 1900,
        currency: str = "EUR",
        net_price: int | None = None,
    ) -> SimProduct:
        """Put a product in topi's catalog (prices in minor units): it becomes rentable.
        ``net_price`` is the deprecated name of ``price_net``."""
        from django_topi.conf import topi_settings
        from django_topi.conventions import deprecated
        from django_topi.money import gross_from_net
        from django_topi.simulator.models import SimProduct

        if net_price is not None:
            deprecated("add_product(net_price=...)", "add_product(price_net=...)")
            price_net = net_price if price_net is None else price_net
        if price_net is None:
            raise TypeError("add_product() needs price_net (minor units)")
        product, _ = SimProduct.objects.update_or_create(
            source=source or topi_settings.PRODUCT_REFERENCE_SOURCE,
            reference=reference,
            defaults={
                "title": title or reference,
                "price_net": price_net,
                "price_gross": gross_from_net(price_net, tax_rate),
                "tax_rate": tax_rate,
                "currency": currency,
                "is_active": True,
            },
        )
        return product

    def add_shipping_method(self, reference: str) -> None:
        from django_topi.simulator.models import SimShippingMethod

        SimShippingMethod.objects.get_or_create(reference=reference, defaults={"name": reference})

    # -- what the simulated topi holds --

    def offer(self, reference: str | None = None) -> SimOffer:
        """The newest offer (for ``reference``, if given)."""
        from django_topi.simulator.models import SimOffer

        offers = SimOffer.objects.all()
        if reference is not None:
            offers = offers.filter(seller_offer_reference=reference)
        found = offers.first()
        if found is None:
            raise LookupError(
                f"the simulator has no offer{' for ' + reference if reference else ''}"
            )
        return found

    def order(self, reference: str | None = None) -> SimOrder:
        from django_topi.simulator.models import SimOrder

        offer = self.offer(reference)
        order = SimOrder.objects.filter(offer=offer).first()
        if order is None:
            raise LookupError(
                f"offer {offer.seller_offer_reference} has no order (accept it first)"
            )
        return order

    def deliveries(self, event: str | None = None) -> list[SimDelivery]:
        """The webhooks sent to the shop, oldest first (of one ``event``, like "order.created")."""
        from django_topi.simulator.models import SimDelivery

        rows = SimDelivery.objects.order_by("pk")
        return list(rows.filter(event=event) if event else rows)

    # -- what the customer and topi decide (each sends topi's webhooks to the shop) --

    def accept(self, offer: SimOffer | None = None) -> SimOrder:
        """The customer checks out and topi approves at once: an order is made."""
        from django_topi.simulator import lifecycle

        return lifecycle.accept(self._fresh(offer))

    def send_to_review(self, offer: SimOffer | None = None) -> SimOffer:
        from django_topi.simulator import lifecycle

        return lifecycle.begin_review(self._fresh(offer))

    def approve(self, offer: SimOffer | None = None) -> SimOrder:
        """topi's risk review approves an offer in review."""
        return self.accept(offer)

    def decline(self, offer: SimOffer | None = None) -> SimOffer:
        from django_topi.simulator import lifecycle

        return lifecycle.decline(self._fresh(offer))

    def expire(self, offer: SimOffer | None = None) -> SimOffer:
        from django_topi.simulator import lifecycle

        return lifecycle.expire(self._fresh(offer))

    def cancel(self, order: SimOrder | None = None) -> SimOrder:
        from django_topi.simulator import lifecycle

        return lifecycle.cancel(order or self.order())

    def _fresh(self, offer: SimOffer | None) -> SimOffer:
        if offer is None:
            return self.offer()
        offer.refresh_from_db()
        return offer

    # -- what the shop's staff do (through django-topi, as the admin would) --

    def confirm(self, order: Order) -> Order:
        """Confirm the shop's order at topi (topi's acceptOrder), as staff would."""
        from django_topi import fulfilment

        return fulfilment.confirm(order).instance

    def ship(self, order: Order, serial_prefix: str = "SN") -> Order:
        """Ship every unit of the shop's order that is left, each with a serial number."""
        from django_topi import fulfilment

        units = fulfilment.shippable_units(order)
        items = [
            fulfilment.ShipmentItem(unit.asset.topi_id, f"{serial_prefix}-{unit.asset.pk}")
            for unit in units
        ]
        return fulfilment.ship(order, items).instance


@pytest.fixture
def topi_simulator(settings: Any, db: Any) -> Iterator[TopiSimulator]:
    """topi in-process: the shop's client talks to the simulator, whose webhooks reach the shop
    at once through the test client."""
    from django.apps import apps
    from django.urls import reverse

    from django_topi.client import mount, unmount
    from django_topi.simulator import delivery
    from django_topi.simulator.transport import SimulatorAdapter

    if not apps.is_installed("django_topi.simulator"):
        pytest.fail(
            "topi_simulator needs 'django_topi.simulator' in INSTALLED_APPS of the test settings "
            "(and TOPI_SIMULATOR_ALLOW_PRODUCTION = True while they run with DEBUG = False)"
        )
    settings.TOPI = {
        **(settings.TOPI or {}),
        "ENVIRONMENT": "simulator",
        "API_BASE_URL": SIMULATOR_URL,
        "TOKEN_URL": f"{SIMULATOR_URL}/oauth2/token",
    }
    settings.TOPI_SIMULATOR = {
        **(getattr(settings, "TOPI_SIMULATOR", None) or {}),
        "DELIVERY": "sync",
        "WEBHOOK_URL": f"http://testserver{reverse('django_topi:webhook')}",
    }
    mount(f"{SIMULATOR_URL}/", SimulatorAdapter(SIMULATOR_URL))
    try:
        with delivery.use_transport(deliver_through_test_client):
            yield TopiSimulator()
    finally:
        unmount(f"{SIMULATOR_URL}/")
