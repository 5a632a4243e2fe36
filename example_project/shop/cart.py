"""The example shop's cart, kept in the session, and the adapter that hands it to django-topi."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from django_topi.cart import Address, Cart, CartLine, Customer, Shipping
from django_topi.models import Offer
from django_topi.states import OfferStatus
from shop.models import Product

SESSION_KEY = "cart"
REFERENCE_KEY = "cart_reference"
MAX_QUANTITY = 99
SHIPPING = Shipping(
    reference="DHL Standard", price_net=Decimal("4.90"), currency="EUR", tax_rate=Decimal("19")
)
#: A real shop asks for these at checkout; the demo uses one sample business customer.
DEMO_CUSTOMER = Customer(
    email="buyer@unicorn.example",
    full_name="Alex Example",
    company_name="Unicorn Corp GmbH",
    vat_number="DE123456789",
    billing_address=Address(
        line1="Musterstr. 1", city="Berlin", postal_code="10243", country_code="DE"
    ),
)
DEMO_ADDRESS = Address(
    line1="Musterstr. 1", city="Berlin", postal_code="10243", country_code="DE",
    recipient_name="Alex Example",
)  # fmt: skip


def quantities(request: HttpRequest) -> dict[str, int]:
    return dict(request.session.get(SESSION_KEY, {}))


def count(request: HttpRequest) -> int:
    return sum(quantities(request).values())


def add(request: HttpRequest, sku: str, quantity: int = 1) -> None:
    cart = quantities(request)
    set_quantity(request, sku, cart.get(sku, 0) + quantity)


def set_quantity(request: HttpRequest, sku: str, quantity: int) -> None:
    """``quantity`` units of ``sku`` (0 removes it)."""
    cart = quantities(request)
    if quantity <= 0:
        cart.pop(sku, None)
    else:
        cart[sku] = min(quantity, MAX_QUANTITY)
    request.session[SESSION_KEY] = cart


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop(REFERENCE_KEY, None)


def reference(request: HttpRequest) -> str:
    """One reference per cart: kept until the cart is checked out or emptied, so retries reuse
    the offer."""
    if REFERENCE_KEY not in request.session:
        request.session[REFERENCE_KEY] = f"DEMO-{uuid.uuid4().hex[:10].upper()}"
    return str(request.session[REFERENCE_KEY])


def start_over_if_checked_out(request: HttpRequest) -> bool:
    """A cart whose offer the customer checked out at topi is done: the next one starts empty."""
    current = request.session.get(REFERENCE_KEY)
    if not current:
        return False
    done = Offer.objects.filter(
        seller_offer_reference=current,
        status__in=[OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED, OfferStatus.DECLINED],
    ).exists()
    if done:
        clear(request)
    return done


def lines(request: HttpRequest) -> list[tuple[Product, int]]:
    wanted = quantities(request)
    products = Product.objects.filter(sku__in=wanted, is_active=True).order_by("title")
    return [(product, wanted[product.sku]) for product in products]


def get_cart(request: HttpRequest) -> Cart | None:
    """TOPI["CART_ADAPTER"]: the session's cart, with prices from the database."""
    chosen = lines(request)
    if not chosen:
        return None
    user = getattr(request, "user", AnonymousUser())
    customer = DEMO_CUSTOMER
    if user.is_authenticated and user.email:
        customer = Customer(
            email=user.email,
            full_name=user.get_full_name() or DEMO_CUSTOMER.full_name,
            company_name=DEMO_CUSTOMER.company_name,
            vat_number=DEMO_CUSTOMER.vat_number,
            billing_address=DEMO_CUSTOMER.billing_address,
        )
    return Cart(
        reference=reference(request),
        lines=[
            CartLine(
                title=product.title,
                quantity=quantity,
                unit_price_net=product.net_price,
                currency="EUR",
                product_reference=product.sku,
                tax_rate=product.tax_rate,
            )
            for product, quantity in chosen
        ],
        customer=customer,
        shipping_address=DEMO_ADDRESS,
        shipping=SHIPPING,
    )
