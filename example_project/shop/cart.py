"""The example shop's cart, kept in the session, and the adapter that hands it to django-topi."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest

from django_topi.cart import Address, Cart, CartLine, Customer, Shipping
from shop.models import Product

SESSION_KEY = "cart"

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


def add(request: HttpRequest, sku: str, quantity: int = 1) -> None:
    cart = quantities(request)
    cart[sku] = min(cart.get(sku, 0) + quantity, 10000)
    request.session[SESSION_KEY] = cart


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.pop("cart_reference", None)


def reference(request: HttpRequest) -> str:
    """One reference per cart: kept until the cart is emptied, so retries reuse the offer."""
    if "cart_reference" not in request.session:
        if not request.session.session_key:
            request.session.save()
        request.session["cart_reference"] = f"DEMO-{request.session.session_key[:10]}"
    return str(request.session["cart_reference"])


def get_cart(request: HttpRequest) -> Cart | None:
    """TOPI["CART_ADAPTER"]: the session's cart with prices from the database."""
    wanted = quantities(request)
    products = Product.objects.filter(sku__in=wanted, is_active=True)
    lines = [
        CartLine(
            title=product.title,
            quantity=wanted[product.sku],
            unit_price=product.net_price,
            currency="EUR",
            product_reference=product.sku,
            tax_rate=product.tax_rate,
        )
        for product in products
    ]
    if not lines:
        return None
    return Cart(
        reference=reference(request),
        lines=lines,
        customer=DEMO_CUSTOMER,
        shipping_address=DEMO_ADDRESS,
        shipping=Shipping(reference="DHL Standard", net_price=Decimal("4.90"), currency="EUR",
                          tax_rate=Decimal("19")),
    )  # fmt: skip
