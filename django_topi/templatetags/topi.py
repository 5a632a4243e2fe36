"""Template tags: ``{% load topi %}`` then the button, rental prices, and the cart's rental total.

``{% topi_button %}``, ``{% topi_prefetch_rental_prices products %}``,
``{% topi_rental_price product %}`` and ``{% topi_cart_rental_overview %}``. None of them breaks
a page when topi fails: prices are left out and the button stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from django_topi.cart import Cart
from django_topi.conf import CHECKOUT_GATE_MODES, topi_settings
from django_topi.pricing import cart_rental_overview, prefetch_rental_prices, rental_price

register = template.Library()


def _render(context: template.Context, template_name: str, values: dict[str, Any]) -> SafeString:
    """Render ``template_name`` as an inclusion tag would: a new context, the CSRF token kept."""
    assert context.template is not None
    new_context = context.new(values)
    csrf_token = context.get("csrf_token")
    if csrf_token is not None:
        new_context["csrf_token"] = csrf_token
    html: SafeString = context.template.engine.get_template(template_name).render(new_context)
    return html


def _memo_holder(context: template.Context) -> Any:
    """Where this page's lookups are remembered: the request, else the render's context."""
    request = context.get("request")
    return request if request is not None else context


def _shop_cart(context: template.Context) -> Cart | None:
    """The cart ``TOPI["CART_ADAPTER"]`` gives for this request, asked once per request."""
    request = context.get("request")
    adapter = topi_settings.import_adapter("CART_ADAPTER")
    if request is None or adapter is None:
        return None
    if not hasattr(request, "_topi_cart"):
        cart = adapter(request)
        request._topi_cart = cart if isinstance(cart, Cart) else None
    found: Cart | None = request._topi_cart
    return found


def _checkout_refused(context: template.Context, cart: Cart | None) -> str | None:
    """Why topi says the cart cannot be checked out; ``None`` when it can, or did not answer
    (then the button stays: the checkout itself explains any failure)."""
    shop_cart = cart if cart is not None else _shop_cart(context)
    if shop_cart is None:
        return None
    overview = cart_rental_overview(shop_cart, _memo_holder(context))
    if overview is None or overview.can_checkout:
        return None
    return overview.reason(shop_cart)


@register.simple_tag(takes_context=True)
def topi_button(
    context: template.Context,
    label: str | None = None,
    css_class: str = "topi-button",
    next: str | None = None,
    cart: Cart | None = None,
    gate: str | None = None,
) -> str:
    """The "Rent with topi" form: POSTs to ``django_topi:checkout`` and works without JavaScript.

    ``label``, ``css_class`` and ``next`` (where to return if the checkout cannot start) are
    optional; override ``django_topi/button.html`` to change the markup. When topi says the cart
    (``cart``, else ``TOPI["CART_ADAPTER"]``'s) cannot be checked out, ``gate`` (default
    ``TOPI["CHECKOUT_GATE"]``) decides: ``"explain"`` renders ``django_topi/button_unavailable.html``
    with a short ``reason``, ``"hide"`` renders nothing, ``"off"`` asks topi nothing.
    """
    mode = gate or topi_settings.CHECKOUT_GATE
    if mode not in CHECKOUT_GATE_MODES:
        raise template.TemplateSyntaxError(
            f"topi_button gate={mode!r}: use one of {', '.join(CHECKOUT_GATE_MODES)}"
        )
    reason = _checkout_refused(context, cart) if mode != "off" else None
    if reason is not None:
        if mode == "hide":
            return ""
        return _render(
            context,
            "django_topi/button_unavailable.html",
            {"reason": reason, "css_class": css_class},
        )
    request = context.get("request")
    return _render(
        context,
        "django_topi/button.html",
        {
            "action": reverse("django_topi:checkout"),
            "label": label or _("Rent with topi"),
            "css_class": css_class,
            "next": next if next is not None else (request.get_full_path() if request else ""),
            "csrf_token": context.get("csrf_token"),
        },
    )


@register.simple_tag(takes_context=True)
def topi_prefetch_rental_prices(context: template.Context, products: Iterable[object]) -> str:
    """Fetch the rental prices of all ``products`` in one call, for the ``topi_rental_price`` tags
    that follow on this page (they then make none). Renders nothing."""
    prefetch_rental_prices(products, _memo_holder(context))
    return ""


@register.simple_tag(takes_context=True)
def topi_rental_price(
    context: template.Context, product: object, css_class: str = "topi-rental-price"
) -> str:
    """ "Rent with topi from €23.45/month" for ``product``; nothing when topi offers no rental
    for it or cannot be asked. Override ``django_topi/rental_price.html`` for other markup."""
    price = rental_price(product, _memo_holder(context))
    if price is None:
        return ""
    return _render(
        context, "django_topi/rental_price.html", {"price": price, "css_class": css_class}
    )


@register.simple_tag(takes_context=True)
def topi_cart_rental_overview(
    context: template.Context,
    cart: Cart | None = None,
    css_class: str = "topi-cart-rental-overview",
) -> str:
    """The cart's monthly rental total ("Rent with topi from €123.45/month"); nothing when the
    cart cannot be rented or topi cannot be asked. ``cart`` defaults to ``TOPI["CART_ADAPTER"]``'s."""
    shop_cart = cart if cart is not None else _shop_cart(context)
    overview = cart_rental_overview(shop_cart, _memo_holder(context)) if shop_cart else None
    if overview is None or not overview.text:
        return ""
    return _render(
        context,
        "django_topi/cart_rental_overview.html",
        {"overview": overview, "css_class": css_class},
    )
