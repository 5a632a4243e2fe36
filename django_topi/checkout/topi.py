"""Talking to topi for a click: create, edit (replace) or void an offer, ask topi by reference
after a timeout, and turn topi's refusals into what the customer reads."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from django_topi.cart import Cart, ProductReference
from django_topi.checkout.constants import ALREADY_CHECKED_OUT
from django_topi.checkout.outcomes import (
    CheckoutFailed,
    CheckoutStarted,
    already_checked_out,
    checked_out_meanwhile,
    failed,
    unavailable,
)
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
from django_topi.models import Offer, Origin
from django_topi.states import OFFER_CLOSED, OfferStatus
from django_topi.sync import PayloadError, apply_offer_payload

logger = logging.getLogger("django_topi.checkout")


def send(
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
    result = apply_offer_payload(answer, Origin.LOCAL, draft=draft)
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
        found = find_by_reference(draft) if already_active and adopt else None
        if found is None:
            raise failed(draft, *_unprocessable(exc, cart)) from exc
        if found.status in (OfferStatus.PENDING_REVIEW, OfferStatus.ACCEPTED):
            raise already_checked_out(found) from exc
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
            raise checked_out_meanwhile(draft, exc) from exc
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
            raise checked_out_meanwhile(draft, exc) from exc
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


def find_by_reference(draft: Offer) -> Offer | None:
    """Ask topi whether an earlier attempt did create the offer, and sync it if so."""
    try:
        answer = get_client().get_offer_by_reference(draft.seller_offer_reference)
    except TopiNotFound:
        return None
    except TopiAPIError as exc:
        raise failed(draft, "unavailable", unavailable(), str(exc), status=503) from exc
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
        return failed(draft, code, unavailable(), str(exc), status=503)
    if isinstance(exc, TopiAuthError):
        # The shop's set-up, not the customer's cart: the customer hears "not available".
        logger.error("django-topi cannot sign in at topi, so no checkout can start: %s", exc)
        return failed(draft, "unavailable", unavailable(), str(exc), status=503)
    logger.error("topi refused an offer for %s: %s", cart.reference, exc)
    return failed(
        draft,
        "rejected",
        _("topi could not take this cart. Please try again or contact us."),
        str(exc),
    )


def _unprocessable(exc: TopiUnprocessable, cart: Cart) -> tuple[str, str, str]:
    if exc.name == "UnsupportedProducts":
        # topi names each product by source and reference; a reference without one matches any.
        unsupported = [
            ProductReference(str(ref.get("source") or ""), str(ref.get("reference") or ""))
            for ref in exc.references
            if isinstance(ref, dict)
        ]
        titles = [
            line.title
            for line in cart.lines
            if any(
                line.reference.reference == ref.reference
                and ref.source in ("", line.reference.source)
                for ref in unsupported
            )
        ]
        names = ", ".join(titles or sorted(ref.reference for ref in unsupported))
        names = names or _("some products")
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
