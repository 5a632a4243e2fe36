"""Starting a topi checkout from the shop's cart, safely against double clicks, changed carts and
timeouts.

``start_checkout(request)`` asks ``TOPI["CART_ADAPTER"]`` for the cart (prices never come from
the browser), keeps a ``draft`` offer with its lines and the cart's fingerprint, calls topi,
hands topi's answer to ``django_topi.sync`` and returns the URL to send the customer to, exactly
as topi gave it. topi calls an offer "a frozen copy of your shop's cart", so:

* the same cart again (a double click, a retry) is sent to the offer already made for it;
* a changed cart never reaches the old offer: the old one is replaced through topi's edit
  (``PUT /v1/offers/{id}``, which voids it and creates its successor), or, if topi refuses the
  edit, voided and followed by a new one;
* while another click is talking to topi about the same cart, a click is answered at once with
  ``CheckoutPending`` (ask again in a moment) instead of waiting in a web worker;
* after a timeout, topi is asked for the offer by reference before anything is sent again,
  because topi may have made it, and refuses a second active offer for one reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from django_topi.cart import Cart
from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiError,
    TopiNotFound,
    TopiUnavailable,
    TopiUnprocessable,
    get_client,
)
from django_topi.conf import topi_settings
from django_topi.models import Offer, OfferLine, Origin
from django_topi.states import OFFER_CLOSED, OfferStatus
from django_topi.sync import PayloadError, apply_offer_payload, record_draft

logger = logging.getLogger("django_topi.checkout")

SESSION_KEY = "django_topi_offers"
#: How soon a client should ask again while another click is talking to topi.
PENDING_RETRY_SECONDS = 2
#: How often one click looks again when topi's answers change what it knew (an offer expired,
#: an unknown offer turned out to be for another cart). Each look is bounded; so are the looks.
MAX_LOOKS = 4
#: topi's name for an edit refused because the customer already checked the offer out.
ALREADY_CHECKED_OUT = "AlreadyCheckedOut"


class CheckoutFailed(Exception):
    """The checkout could not start. ``message`` is for the customer, ``code`` for programs."""

    def __init__(self, code: str, message: str, offer: Offer | None = None, status: int = 422):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offer = offer
        self.status = status


class CheckoutPending(CheckoutFailed):
    """Another click is talking to topi about this cart: ask again in ``retry_after`` seconds."""

    def __init__(self, offer: Offer) -> None:
        super().__init__(
            "pending",
            _("Your topi checkout is being prepared. One moment, please."),
            offer=offer,
            status=202,
        )
        self.retry_after = PENDING_RETRY_SECONDS


@dataclass
class CheckoutStarted:
    offer: Offer
    checkout_url: str
    reused: bool = False


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
            started = _send(request, cart, step.draft, step.predecessor)
            if started is not None:
                _remember(request, started.offer)
                return started
    logger.error("checkout of %s: topi's answers kept changing; giving up", cart.reference)
    raise CheckoutFailed("unavailable", _unavailable(), status=503)


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
            return _already_checked_out(offer)
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


def _checked_out() -> str:
    return _("This cart has already been checked out with topi.")


def _already_checked_out(offer: Offer) -> CheckoutFailed:
    return CheckoutFailed("already_checked_out", _checked_out(), offer=offer, status=409)


def _checked_out_meanwhile(draft: Offer, exc: TopiError) -> CheckoutFailed:
    """topi says the customer checked the earlier offer out while this click ran."""
    return _failed(draft, "already_checked_out", _checked_out(), str(exc), status=409)


# -- what this click does ------------------------------------------------------------------------


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
            raise _already_checked_out(offer)
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
        raise CheckoutFailed("unavailable", _unavailable(), offer=offer, status=503) from exc
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
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                seller_offer_reference=cart.reference,
                environment=topi_settings.ENVIRONMENT,
                owner=user,
            )
            record_draft(offer, Origin.LOCAL, user)
            _fill_draft(offer, cart, fingerprint)
    except IntegrityError:
        other = _open_offers(cart.reference).filter(status=OfferStatus.DRAFT).first()
        if other is None:
            raise
        raise CheckoutPending(other) from None
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
        found = _find_by_reference(locked)
        if found is not None:
            if found.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
                raise _already_checked_out(found)
            # topi had made the draft's offer (for the draft's earlier cart), or knows another
            # offer for this reference: look again, with what topi said.
            return None
    _fill_draft(locked, cart, fingerprint, replace_lines=True)
    return locked


def _fill_draft(offer: Offer, cart: Cart, fingerprint: str, replace_lines: bool = False) -> None:
    """Keep what the shop sends: the lines, the totals the amount check compares with, and the
    fingerprint that tells this cart from another."""
    offer.currency, offer.expected_amount_net, offer.expected_amount_gross = cart.totals()
    offer.expected_currency = offer.currency
    offer.sales_channel = topi_settings.SALES_CHANNEL
    offer.cart_fingerprint = fingerprint
    offer.failure_code = offer.failure_reason = ""
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


# -- talking to topi -----------------------------------------------------------------------------


def _send(
    request: HttpRequest, cart: Cart, draft: Offer, predecessor: Offer | None
) -> CheckoutStarted | None:
    """Send the draft to topi: replacing this cart's earlier offer if there is one, else new."""
    payload = cart.to_offer_payload(
        sales_channel=topi_settings.SALES_CHANNEL,
        expires_at=timezone.now() + topi_settings.offer_lifetime(topi_settings.SALES_CHANNEL),
        success_redirect=request.build_absolute_uri(reverse("django_topi:return_success")),
        exit_redirect=request.build_absolute_uri(reverse("django_topi:return_exit")),
    )
    if predecessor is not None:
        answer = _replace(predecessor, draft, cart, payload)
    else:
        answer = _create(draft, cart, payload)
        if answer is None:
            return None  # topi had an active offer for this reference: look again
    result = apply_offer_payload(answer, Origin.LOCAL)
    offer = result.instance
    if predecessor is not None and offer.pk != predecessor.pk:
        Offer.objects.filter(pk=predecessor.pk).update(superseded_by=offer)
        logger.info(
            "checkout of %s: offer %s replaced by %s for a changed cart",
            cart.reference, predecessor.topi_id, offer.topi_id,
        )  # fmt: skip
    return CheckoutStarted(offer, str(answer.get("checkout_redirect_url") or ""))


def _create(draft: Offer, cart: Cart, payload: dict[str, Any], *, adopt: bool = True) -> Any:
    """createOffer. When topi already has an active offer for the reference that this shop
    did not know, it is synced and either replaced (another row's) or looked at again (``None``:
    topi made the draft's own offer in an earlier attempt)."""
    try:
        return get_client().create_offer(payload)
    except TopiUnprocessable as exc:
        already_active = exc.name == "Unprocessable" and "active offer" in exc.message
        found = _find_by_reference(draft) if already_active and adopt else None
        if found is None:
            raise _failed(draft, *_unprocessable(exc, cart)) from exc
        if found.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
            raise _already_checked_out(found) from exc
        if found.pk != draft.pk:
            return _replace(found, draft, cart, payload)
        if not _totals_match(found):
            # Made for another cart than this one: the next look replaces it.
            Offer.objects.filter(pk=found.pk).update(cart_fingerprint="")
        return None
    except TopiError as exc:
        raise _failed_at_topi(draft, cart, exc) from exc


def _replace(predecessor: Offer, draft: Offer, cart: Cart, payload: dict[str, Any]) -> Any:
    """topi's edit: it voids ``predecessor`` and answers its successor. If topi refuses the
    edit, the predecessor is voided and a new offer created. Both rows end up synced."""
    client = get_client()
    try:
        answer = client.edit_offer(str(predecessor.topi_id), payload)
    except TopiUnprocessable as exc:
        if exc.name == ALREADY_CHECKED_OUT:
            _resync(predecessor)
            raise _checked_out_meanwhile(draft, exc) from exc
        logger.warning(
            "checkout of %s: topi refused to edit offer %s (%s); voiding it and creating anew",
            cart.reference, predecessor.topi_id, exc,
        )  # fmt: skip
    except (TopiUnavailable, TopiAuthError) as exc:
        # Unknown whether topi edited (the next click asks topi by reference first), or no
        # call can work now: a void would fail the same way.
        raise _failed_at_topi(draft, cart, exc) from exc
    except TopiError as exc:
        logger.warning(
            "checkout of %s: editing offer %s failed (%s); voiding it and creating anew",
            cart.reference, predecessor.topi_id, exc,
        )  # fmt: skip
    else:
        _resync(predecessor)  # topi voided it; its webhook may come later
        return answer
    _void(predecessor, draft, cart)
    return _create(draft, cart, payload, adopt=False)


def _void(predecessor: Offer, draft: Offer, cart: Cart) -> None:
    try:
        answer = get_client().void_offer(str(predecessor.topi_id))
    except TopiUnprocessable as exc:
        # topi voids anything but an accepted offer: the customer has checked it out.
        found = _resync(predecessor)
        if found is not None and found.status not in OFFER_CLOSED:
            raise _checked_out_meanwhile(draft, exc) from exc
        return
    except TopiError as exc:
        raise _failed_at_topi(draft, cart, exc) from exc
    try:
        apply_offer_payload(answer, Origin.LOCAL)
    except PayloadError:
        _resync(predecessor)


def _resync(offer: Offer) -> Offer | None:
    """Ask topi for ``offer`` and sync it; a failure only means the webhook will tell later."""
    try:
        return apply_offer_payload(
            get_client().get_offer(str(offer.topi_id)), Origin.LOCAL
        ).instance
    except (TopiError, PayloadError) as exc:
        logger.warning("could not re-sync offer %s from topi: %s", offer.topi_id, exc)
        return None


def _find_by_reference(draft: Offer) -> Offer | None:
    """Ask topi whether an earlier attempt did create the offer, and sync it if so."""
    try:
        answer = get_client().get_offer_by_reference(draft.seller_offer_reference)
    except TopiNotFound:
        return None
    except TopiAPIError as exc:
        raise _failed(draft, "unavailable", _unavailable(), str(exc), status=503) from exc
    return apply_offer_payload(answer, Origin.LOCAL).instance


def _totals_match(offer: Offer) -> bool:
    return (offer.currency, offer.amount_net, offer.amount_gross) == (
        offer.expected_currency,
        offer.expected_amount_net,
        offer.expected_amount_gross,
    )


def _failed_at_topi(draft: Offer, cart: Cart, exc: TopiError) -> CheckoutFailed:
    if isinstance(exc, TopiUnavailable):
        code = "timeout" if exc.timeout else "unavailable"
        return _failed(draft, code, _unavailable(), str(exc), status=503)
    if isinstance(exc, TopiAuthError):
        # The shop's set-up, not the customer's cart: the customer hears "not available".
        logger.error("django-topi cannot sign in at topi, so no checkout can start: %s", exc)
        return _failed(draft, "unavailable", _unavailable(), str(exc), status=503)
    logger.error("topi refused an offer for %s: %s", cart.reference, exc)
    return _failed(
        draft,
        "rejected",
        _("topi could not take this cart. Please try again or contact us."),
        str(exc),
    )


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
    Offer.objects.filter(pk=offer.pk, status=OfferStatus.DRAFT).update(
        failure_code=code, failure_reason=reason[:2000]
    )
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
