"""What a click comes to: the offer to go to, or why not, in words for the customer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from django_topi.checkout.constants import PENDING_RETRY_SECONDS
from django_topi.client import (
    TopiError,
)
from django_topi.models import Offer
from django_topi.states import OfferStatus

logger = logging.getLogger("django_topi.checkout")


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


def unavailable() -> str:
    return _("topi is not available right now. Please try again in a few minutes.")


def checked_out() -> str:
    return _("This cart has already been checked out with topi.")


def already_checked_out(offer: Offer) -> CheckoutFailed:
    return CheckoutFailed("already_checked_out", checked_out(), offer=offer, status=409)


def checked_out_meanwhile(draft: Offer, exc: TopiError) -> CheckoutFailed:
    """topi says the customer checked the earlier offer out while this click ran."""
    return failed(draft, "already_checked_out", checked_out(), str(exc), status=409)


def failed(offer: Offer, code: str, message: str, reason: str, status: int = 422) -> CheckoutFailed:
    """Keep why the draft failed (for staff and for the next attempt) and build the error."""
    Offer.objects.filter(pk=offer.pk, status=OfferStatus.DRAFT).update(
        failure_code=code, failure_reason=reason[:2000]
    )
    offer.failure_code, offer.failure_reason = code, reason[:2000]
    logger.info("checkout of %s failed: %s (%s)", offer.seller_offer_reference, code, reason)
    return CheckoutFailed(code, message, offer=offer, status=status)
