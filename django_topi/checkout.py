"""Starting a topi checkout from the shop's cart, safely against double clicks and timeouts.

``start_checkout(request)`` asks ``TOPI["CART_ADAPTER"]`` for the cart (prices never come from
the browser), keeps a ``draft`` offer with its lines, calls createOffer, hands topi's answer to
``django_topi.sync`` and returns the URL to send the customer to, exactly as topi gave it.

Only one checkout per cart reference is in flight at a time: a second click finds the first
offer and is sent to it. A timeout is resolved by asking topi for the offer by reference before
anything is sent again, because topi refuses a second active offer with the same reference.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from django_topi.cart import Cart
from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiNotFound,
    TopiUnavailable,
    TopiUnprocessable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.models import Offer, OfferLine, Origin
from django_topi.states import OfferStatus
from django_topi.sync import apply_offer_payload, record_draft

logger = logging.getLogger("django_topi.checkout")

SESSION_KEY = "django_topi_offers"
#: How long a second click waits for the first one's createOffer before giving up.
IN_FLIGHT_POLL_SECONDS = 0.25


class CheckoutFailed(Exception):
    """The checkout could not start. ``message`` is for the customer, ``code`` for programs."""

    def __init__(self, code: str, message: str, offer: Offer | None = None, status: int = 422):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offer = offer
        self.status = status


@dataclass
class CheckoutStarted:
    offer: Offer
    checkout_url: str
    reused: bool = False


def start_checkout(request: HttpRequest) -> CheckoutStarted:
    """Create (or find) the topi offer for the request's cart; raise ``CheckoutFailed`` if not."""
    cart = _cart(request)
    channel = topi_settings.SALES_CHANNEL
    problems = cart.problems(channel)
    if problems:
        raise CheckoutFailed(
            "invalid_cart",
            _("This cart cannot be rented with topi yet: %(problems)s")
            % {"problems": " ".join(problems)},
        )
    existing = _existing_offer(request, cart)
    if isinstance(existing, CheckoutStarted):
        return existing
    previous_failure = existing.failure_code if existing is not None else ""
    offer = _draft(request, cart, existing)
    if isinstance(offer, CheckoutStarted):
        return offer
    if previous_failure == "timeout" and (found := _find_by_reference(offer)) is not None:
        return found
    return _create_at_topi(request, cart, offer)


def _cart(request: HttpRequest) -> Cart:
    adapter = topi_settings.import_adapter("CART_ADAPTER")
    if adapter is None:
        logger.error("TOPI['CART_ADAPTER'] is not set, so no cart can be checked out")
        raise CheckoutFailed("unavailable", _unavailable(), status=503)
    cart = adapter(request)
    if cart is None or not getattr(cart, "lines", None):
        raise CheckoutFailed("empty_cart", _("Your cart is empty."), status=400)
    if not isinstance(cart, Cart):
        raise TypeError(
            f"TOPI['CART_ADAPTER'] must return a django_topi.cart.Cart, not {type(cart).__name__}"
        )
    return cart


def _unavailable() -> str:
    return _("topi is not available right now. Please try again in a few minutes.")


def _existing_offer(request: HttpRequest, cart: Cart) -> CheckoutStarted | Offer | None:
    """An open offer for this cart: reuse it, wait for it, or refuse; ``None`` if there is none."""
    environment = topi_settings.ENVIRONMENT
    deadline = time.monotonic() + sum(topi_settings.TIMEOUT) + 2
    while True:
        offer = (
            Offer.objects.filter(environment=environment, seller_offer_reference=cart.reference)
            .exclude(status__in=[OfferStatus.VOIDED, OfferStatus.EXPIRED, OfferStatus.DECLINED])
            .order_by("-created_at", "-pk")
            .first()
        )
        if offer is None:
            return None
        if offer.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
            raise CheckoutFailed(
                "already_checked_out",
                _("This cart has already been checked out with topi."),
                offer=offer,
                status=409,
            )
        if offer.status == OfferStatus.CREATED:
            reusable = _reusable(offer)
            if reusable is not None:
                _remember(request, offer)
                return reusable
            continue  # topi says it expired meanwhile: look again
        if offer.failure_code or time.monotonic() > deadline:
            return offer  # a draft that failed (or whose worker died): retry with it
        time.sleep(IN_FLIGHT_POLL_SECONDS)  # another click is talking to topi right now


def _reusable(offer: Offer) -> CheckoutStarted | None:
    """A created offer's checkout, unless it has expired (then topi is asked and synced)."""
    if offer.expires_at is None or offer.expires_at > timezone.now():
        return CheckoutStarted(offer, offer.checkout_redirect_url, reused=True)
    try:
        result = apply_offer_payload(get_client().get_offer(str(offer.topi_id)), Origin.LOCAL)
    except TopiAPIError as exc:
        raise CheckoutFailed("unavailable", _unavailable(), offer=offer, status=503) from exc
    if result.instance.status == OfferStatus.CREATED:
        return CheckoutStarted(offer, offer.checkout_redirect_url, reused=True)
    return None


def _draft(request: HttpRequest, cart: Cart, existing: Offer | None) -> Offer | CheckoutStarted:
    """The draft for this attempt: a new one, or the failed one refreshed from the cart."""
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            if existing is None:
                offer = Offer.objects.create(
                    seller_offer_reference=cart.reference,
                    environment=topi_settings.ENVIRONMENT,
                    owner=user,
                )
                record_draft(offer, Origin.LOCAL, user)
            else:
                offer = existing
                offer.lines.all().delete()
            _fill_draft(offer, cart)
    except IntegrityError:
        # Another click created the draft a moment ago: wait for it like any in-flight checkout.
        again = _existing_offer(request, cart)
        if again is None:
            raise
        return again
    _remember(request, offer)
    return offer


def _fill_draft(offer: Offer, cart: Cart) -> None:
    """Keep what the shop sends: the lines, and the totals the amount check compares with."""
    offer.currency, offer.expected_amount_net, offer.expected_amount_gross = cart.totals()
    offer.expected_currency = offer.currency
    offer.sales_channel = topi_settings.SALES_CHANNEL
    offer.failure_code = offer.failure_reason = ""
    offer.save(
        update_fields=[
            "currency",
            "expected_currency",
            "expected_amount_net",
            "expected_amount_gross",
            "sales_channel",
            "failure_code",
            "failure_reason",
            "updated_at",
        ]
    )
    OfferLine.objects.bulk_create(
        OfferLine(
            offer=offer,
            position=position,
            title=line.title[:500],
            subtitle=(line.subtitle or "")[:500],
            quantity=line.quantity,
            product_source=line.product_source or topi_settings.PRODUCT_REFERENCE_SOURCE,
            product_reference=line.product_reference,
            currency=line.currency,
            price_net=price["net"],
            price_gross=price.get("gross"),
        )
        for position, line in enumerate(cart.lines)
        if (price := line.price())
    )


def _remember(request: HttpRequest, offer: Offer) -> None:
    """Mark the offer as this session's, so return pages show it only to its customer."""
    session = getattr(request, "session", None)
    if session is None:
        return
    owned = [pk for pk in session.get(SESSION_KEY, []) if pk != offer.pk][-19:]
    session[SESSION_KEY] = [*owned, offer.pk]


def _create_at_topi(request: HttpRequest, cart: Cart, offer: Offer) -> CheckoutStarted:
    if offer.status != OfferStatus.DRAFT:
        return CheckoutStarted(offer, offer.checkout_redirect_url, reused=True)
    payload = cart.to_offer_payload(
        sales_channel=topi_settings.SALES_CHANNEL,
        expires_at=timezone.now() + topi_settings.OFFER_TTL,
        success_redirect=request.build_absolute_uri(reverse("django_topi:return_success")),
        exit_redirect=request.build_absolute_uri(reverse("django_topi:return_exit")),
    )
    try:
        answer = get_client().create_offer(payload)
    except TopiUnprocessable as exc:
        already_active = exc.name == "Unprocessable" and "active offer" in exc.message
        if already_active and (found := _find_by_reference(offer)) is not None:
            return found
        raise _failed(offer, *_unprocessable(exc, cart)) from exc
    except TopiUnavailable as exc:
        code = "timeout" if exc.timeout else "unavailable"
        raise _failed(offer, code, _unavailable(), str(exc), status=503) from exc
    except TopiAuthError as exc:
        logger.error("topi refused django-topi's credentials: %s", exc)
        raise _failed(offer, "unavailable", _unavailable(), str(exc), status=503) from exc
    except TopiAPIError as exc:
        logger.error("topi refused an offer for %s: %s", cart.reference, exc)
        raise _failed(
            offer,
            "rejected",
            _("topi could not take this cart. Please try again or contact us."),
            str(exc),
        ) from exc
    result = apply_offer_payload(answer, Origin.LOCAL)
    return CheckoutStarted(result.instance, str(answer.get("checkout_redirect_url") or ""))


def _find_by_reference(offer: Offer) -> CheckoutStarted | None:
    """Ask topi whether an earlier attempt did create the offer, and take it if so."""
    try:
        answer = get_client().get_offer_by_reference(offer.seller_offer_reference)
    except TopiNotFound:
        return None
    except TopiAPIError as exc:
        raise _failed(offer, "unavailable", _unavailable(), str(exc), status=503) from exc
    result = apply_offer_payload(answer, Origin.LOCAL)
    found = result.instance
    if found.status == OfferStatus.CREATED:
        return CheckoutStarted(found, found.checkout_redirect_url, reused=True)
    if found.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
        raise CheckoutFailed(
            "already_checked_out",
            _("This cart has already been checked out with topi."),
            offer=found,
            status=409,
        )
    return None


def _unprocessable(exc: TopiUnprocessable, cart: Cart) -> tuple[str, str, str]:
    if exc.name == "UnsupportedProducts":
        unsupported = {str(ref.get("reference")) for ref in exc.references if isinstance(ref, dict)}
        titles = [line.title for line in cart.lines if line.product_reference in unsupported]
        names = ", ".join(titles or sorted(unsupported)) or _("some products")
        return (
            "unsupported_products",
            _(
                "These products cannot be rented with topi: %(products)s. Please remove them "
                "from your cart or choose another way to pay."
            )
            % {"products": names},
            str(exc),
        )
    if exc.name == "UnsupportedShipping":
        return (
            "unsupported_shipping",
            _("This shipping method is not available with topi. Please choose another one."),
            str(exc),
        )
    if exc.name == "CurrenciesMismatch" or "urrenc" in exc.message:
        return ("currency", _("topi cannot take this cart's currency."), str(exc))
    return (
        "rejected",
        _("topi could not take this cart. Please try again or contact us."),
        str(exc),
    )


def _failed(
    offer: Offer, code: str, message: str, reason: str, status: int = 422
) -> CheckoutFailed:
    """Keep why the draft failed (for staff and for the next attempt) and build the error."""
    Offer.objects.filter(pk=offer.pk).update(failure_code=code, failure_reason=reason[:2000])
    offer.failure_code, offer.failure_reason = code, reason[:2000]
    logger.info("checkout of %s failed: %s (%s)", offer.seller_offer_reference, code, reason)
    return CheckoutFailed(code, message, offer=offer, status=status)


def owns(request: HttpRequest, offer: Offer) -> bool:
    """Whether this request's session or user started the offer."""
    user: Any = getattr(request, "user", None)
    if offer.owner_id is not None and user is not None and user.is_authenticated:
        return bool(offer.owner_id == user.pk)
    session = getattr(request, "session", None)
    return session is not None and offer.pk in session.get(SESSION_KEY, [])
