"""What one click does: find the offer for this cart, or the draft to send, or wait for another click."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from django_topi.cart import Cart
from django_topi.checkout.constants import MAX_LOOKS, SESSION_KEY
from django_topi.checkout.outcomes import (
    CheckoutFailed,
    CheckoutPending,
    CheckoutStarted,
    already_checked_out,
    unavailable,
)
from django_topi.checkout.topi import find_by_reference, send
from django_topi.client import (
    TopiAPIError,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.models import Offer, OfferLine, Origin
from django_topi.models.base import insert_unless_taken
from django_topi.states import OFFER_CLOSED, OfferStatus
from django_topi.sync import apply_offer_payload, record_draft

logger = logging.getLogger("django_topi.checkout")


@dataclass
class _ToSend:
    """A draft this click sends to topi, and the offer for this cart's earlier version (if
    any) that it replaces."""

    draft: Offer
    predecessor: Offer | None


def start_checkout(request: HttpRequest) -> CheckoutStarted:
    """Create (or find) the topi offer for the request's cart; raise ``CheckoutFailed`` if not
    (``CheckoutPending`` while another click for the same cart is talking to topi)."""
    cart = _checkable_cart(request)
    fingerprint = cart.fingerprint(sales_channel=topi_settings.SALES_CHANNEL)
    mine: set[int] = set()  # drafts this click has claimed, so a second look does not wait on them
    for _look in range(MAX_LOOKS):
        step = _next_step(request, cart, fingerprint, mine)
        if isinstance(step, CheckoutStarted):
            _remember(request, step.offer)
            return step
        if step is not None:
            _remember(request, step.draft)
            started = send(request, cart, step.draft, step.predecessor)
            if started is not None:
                _remember(request, started.offer)
                return started
    logger.error("checkout of %s: topi's answers kept changing; giving up", cart.reference)
    raise CheckoutFailed("unavailable", unavailable(), status=503)


def checkout_status(request: HttpRequest) -> CheckoutStarted | CheckoutFailed:
    """What became of this cart's checkout, for a client that was told to ask again. Sends
    nothing to topi: a ``CheckoutStarted`` once the offer for this very cart exists, else the
    reason (``CheckoutPending`` while another click is still at it)."""
    try:
        cart = _checkable_cart(request)
    except CheckoutFailed as failure:
        return failure
    fingerprint = cart.fingerprint(sales_channel=topi_settings.SALES_CHANNEL)
    offers = list(_open_offers(cart.reference))
    for offer in offers:
        if offer.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
            return already_checked_out(offer)
    for offer in offers:
        if _same_cart_and_open(offer, fingerprint):
            _remember(request, offer)
            return CheckoutStarted(offer, offer.checkout_redirect_url, reused=True)
    draft = next((offer for offer in offers if offer.status == OfferStatus.DRAFT), None)
    if draft is not None and _in_flight(draft):
        return CheckoutPending(draft)
    return CheckoutFailed(
        "not_started",
        _("Your topi checkout could not be prepared. Please try again."),
        offer=draft,
        status=409,
    )


def _same_cart_and_open(offer: Offer, fingerprint: str) -> bool:
    return (
        offer.status == OfferStatus.CREATED
        and offer.cart_fingerprint == fingerprint
        and (offer.expires_at is None or offer.expires_at > timezone.now())
    )


def _checkable_cart(request: HttpRequest) -> Cart:
    """The request's cart, if topi could take it; else ``CheckoutFailed`` says what is wrong."""
    cart = _cart(request)
    problems = cart.problems(topi_settings.SALES_CHANNEL)
    if problems:
        raise CheckoutFailed(
            "invalid_cart",
            _("This cart cannot be rented with topi yet: %(problems)s")
            % {"problems": " ".join(problems)},
        )
    return cart


def _cart(request: HttpRequest) -> Cart:
    adapter = topi_settings.import_adapter("CART_ADAPTER")
    if adapter is None:
        logger.error("TOPI['CART_ADAPTER'] is not set, so no cart can be checked out")
        raise CheckoutFailed("unavailable", unavailable(), status=503)
    cart = adapter(request)
    if cart is None or not getattr(cart, "lines", None):
        raise CheckoutFailed("empty_cart", _("Your cart is empty."), status=400)
    if not isinstance(cart, Cart):
        raise TypeError(
            f"TOPI['CART_ADAPTER'] must return a django_topi.cart.Cart, not {type(cart).__name__}"
        )
    return cart


def _open_offers(reference: str) -> QuerySet[Offer]:
    """This cart's offers that a customer could still check out, newest first."""
    return (
        Offer.objects.filter(
            environment=topi_settings.ENVIRONMENT, seller_offer_reference=reference
        )
        .exclude(status__in=OFFER_CLOSED)
        .order_by("-created_at", "-pk")
    )


def _next_step(
    request: HttpRequest, cart: Cart, fingerprint: str, mine: set[int]
) -> CheckoutStarted | _ToSend | None:
    """The offer to send the customer to, the draft to send to topi, or ``None``: look again."""
    offers = list(_open_offers(cart.reference))
    for offer in offers:
        if offer.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
            raise already_checked_out(offer)
        if offer.status == OfferStatus.CREATED and not _open_at_topi(offer):
            return None  # topi says it expired: look again
    for offer in offers:
        if offer.status == OfferStatus.CREATED and offer.cart_fingerprint == fingerprint:
            return CheckoutStarted(offer, offer.checkout_redirect_url, reused=True)
    # Any created offer left is for another version of this cart: the new one replaces it.
    predecessor = next((o for o in offers if o.status == OfferStatus.CREATED), None)
    draft = next((offer for offer in offers if offer.status == OfferStatus.DRAFT), None)
    if draft is None:
        draft = _new_draft(request, cart, fingerprint)
        mine.add(draft.pk)
        return _ToSend(draft, predecessor)
    if draft.pk in mine:
        _fill_draft(draft, cart, fingerprint, replace_lines=True)
        return _ToSend(draft, predecessor)
    taken = _take_over(request, cart, fingerprint, draft, mine)
    return None if taken is None else _ToSend(taken, predecessor)


def _open_at_topi(offer: Offer) -> bool:
    """Whether a created offer is still open: yes until its ``expires_at``; after that, topi
    is asked (and the answer synced), since its expiry webhook may not have come yet."""
    if offer.expires_at is None or offer.expires_at > timezone.now():
        return True
    try:
        result = apply_offer_payload(get_client().get_offer(str(offer.topi_id)), Origin.LOCAL)
    except TopiAPIError as exc:
        raise CheckoutFailed("unavailable", unavailable(), offer=offer, status=503) from exc
    return bool(result.instance.status == OfferStatus.CREATED)


def _in_flight_window() -> timedelta:
    """How long a draft may be with topi before its click is presumed dead."""
    return timedelta(seconds=sum(topi_settings.TIMEOUT) + 5)


def _in_flight(draft: Offer) -> bool:
    """Another click is sending this draft to topi right now."""
    return not draft.failure_code and draft.updated_at > timezone.now() - _in_flight_window()


def _new_draft(request: HttpRequest, cart: Cart, fingerprint: str) -> Offer:
    """A new draft for this cart; ``CheckoutPending`` if another click made one a moment ago."""
    user = request.user if request.user.is_authenticated else None
    offer = Offer(
        seller_offer_reference=cart.reference, environment=topi_settings.ENVIRONMENT, owner=user
    )
    # The draft, its lines and its first timeline row are written together or not at all.
    # Another click's draft is no database error (the INSERT skips it), so no savepoint is
    # needed inside a caller's transaction (``ATOMIC_REQUESTS``).
    with transaction.atomic(savepoint=False):
        inserted = _fill_draft(offer, cart, fingerprint)
        if inserted:
            record_draft(offer, Origin.LOCAL, user)
    if not inserted:
        other = _open_offers(cart.reference).filter(status=OfferStatus.DRAFT).first()
        if other is None:  # SQLite's INSERT OR IGNORE skips any constraint, not only the draft's
            raise IntegrityError(f"the draft offer for {cart.reference} could not be inserted")
        raise CheckoutPending(other)
    return offer


def _take_over(
    request: HttpRequest, cart: Cart, fingerprint: str, draft: Offer, mine: set[int]
) -> Offer | None:
    """A draft whose click failed, or died, becomes this click's. If its last attempt may have
    reached topi, topi is asked first, before the draft takes this cart; whatever topi says
    then (another offer synced) means: look again."""
    with transaction.atomic():
        locked = Offer.objects.select_for_update().filter(pk=draft.pk).first()
        if locked is None or locked.status != OfferStatus.DRAFT:
            return None  # it moved on meanwhile: look again
        if _in_flight(locked):
            raise CheckoutPending(locked)
        uncertain = locked.failure_code in ("", "timeout")  # died, or timed out, at topi
        Offer.objects.filter(pk=locked.pk).update(
            failure_code="", failure_reason="", updated_at=timezone.now()
        )
        locked.failure_code = locked.failure_reason = ""
        mine.add(locked.pk)
    if uncertain:
        found = find_by_reference(locked)
        if found is not None:
            if found.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
                raise already_checked_out(found)
            # topi had made the draft's offer (for the draft's earlier cart), or knows another
            # offer for this reference: look again, with what topi said.
            return None
    _fill_draft(locked, cart, fingerprint, replace_lines=True)
    return locked


def _fill_draft(offer: Offer, cart: Cart, fingerprint: str, replace_lines: bool = False) -> bool:
    """Keep what the shop sends: the lines, the totals the amount check compares with, and the
    fingerprint that tells this cart from another. A new draft is inserted with them, unless
    another click's draft for the cart holds its place (``False``: nothing was written)."""
    offer.currency, offer.expected_amount_net, offer.expected_amount_gross = cart.totals()
    offer.expected_currency = offer.currency
    offer.sales_channel = topi_settings.SALES_CHANNEL
    offer.cart_fingerprint = fingerprint
    offer.failure_code = offer.failure_reason = ""
    if offer.pk is None:
        if not insert_unless_taken(offer):
            return False
    else:
        offer.save(
            update_fields=[
                "currency",
                "expected_currency",
                "expected_amount_net",
                "expected_amount_gross",
                "sales_channel",
                "cart_fingerprint",
                "failure_code",
                "failure_reason",
                "updated_at",
            ]
        )
    if replace_lines:
        offer.lines.all().delete()
    _add_lines(offer, cart)
    return True


def _add_lines(offer: Offer, cart: Cart) -> None:
    OfferLine.objects.bulk_create(
        OfferLine(
            offer=offer,
            position=position,
            title=line.title[:500],
            subtitle=(line.subtitle or "")[:500],
            quantity=line.quantity,
            product_source=line.reference.source,
            product_reference=line.reference.reference,
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


def owns(request: HttpRequest, offer: Offer) -> bool:
    """Whether this request's session or user started the offer."""
    user: Any = getattr(request, "user", None)
    if offer.owner_id is not None and user is not None and user.is_authenticated:
        return bool(offer.owner_id == user.pk)
    session = getattr(request, "session", None)
    return session is not None and offer.pk in session.get(SESSION_KEY, [])
