"""The customer's side: the checkout POST behind the button, the page a second click waits on,
and the pages topi returns to."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from django_topi.checkout import (
    CheckoutFailed,
    CheckoutPending,
    CheckoutStarted,
    checkout_status,
    owns,
    start_checkout,
)
from django_topi.client import TopiError, get_client
from django_topi.conf import topi_settings
from django_topi.ids import TOPI_ID
from django_topi.models import Offer, Origin
from django_topi.states import OfferStatus
from django_topi.sync import apply_offer_payload

logger = logging.getLogger("django_topi.views")

#: The "still processing" page refreshes itself this often, this many times, then stays calm.
REFRESH_SECONDS = 3
MAX_REFRESHES = 5


def cart_url(request: HttpRequest, next_url: str | None = None) -> str:
    """Where the customer goes back to: a safe ``next``, else ``TOPI["CART_URL"]``."""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return resolve_url(topi_settings.CART_URL)


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """Start a topi checkout for the session's cart and send the customer to topi."""
    next_url = request.POST.get("next")
    try:
        started = start_checkout(request)
    except CheckoutPending as exc:
        return pending_page(request, next_url, exc)
    except CheckoutFailed as exc:
        messages.error(request, exc.message)
        return redirect(cart_url(request, next_url))
    return to_topi(request, next_url, started)


@never_cache
@require_GET
def checkout_pending(request: HttpRequest) -> HttpResponse:
    """Where a click waits while another click for the same cart talks to topi: it asks
    nothing of topi, and sends the customer on once the offer for this cart exists."""
    next_url = request.GET.get("next")
    outcome = checkout_status(request)
    if isinstance(outcome, CheckoutPending):
        return pending_page(request, next_url, outcome)
    if isinstance(outcome, CheckoutFailed):
        messages.error(request, outcome.message)
        return redirect(cart_url(request, next_url))
    return to_topi(request, next_url, outcome)


def pending_page(
    request: HttpRequest, next_url: str | None, pending: CheckoutPending
) -> HttpResponse:
    """202 and a page that asks again by itself (``Retry-After`` for programs)."""
    query = urlencode({"next": next_url}) if next_url else ""
    pending_url = reverse("django_topi:checkout_pending") + (f"?{query}" if query else "")
    response = render(
        request,
        "django_topi/checkout_pending.html",
        {
            "retry_after": pending.retry_after,
            "pending_url": pending_url,
            "cart_url": cart_url(request, next_url),
        },
        status=202,
    )
    response["Retry-After"] = str(pending.retry_after)
    add_never_cache_headers(response)  # the POST that shows it too: it changes in a moment
    return response


def to_topi(request: HttpRequest, next_url: str | None, started: CheckoutStarted) -> HttpResponse:
    if not started.checkout_url:
        logger.error("topi answered offer %s without a checkout URL", started.offer.topi_id)
        messages.error(
            request, _("topi is not available right now. Please try again in a few minutes.")
        )
        return redirect(cart_url(request, next_url))
    return HttpResponseRedirect(started.checkout_url)


def find_offer(offer_id: str, reference: str) -> Offer | None:
    """The offer topi's redirect names: by topi id, else the newest with that reference."""
    if offer_id and TOPI_ID.match(offer_id):
        offer = Offer.objects.filter(topi_id=offer_id).first()
        if offer is not None:
            return offer
    if reference:
        return (
            Offer.objects.filter(
                seller_offer_reference=reference, environment=topi_settings.ENVIRONMENT
            )
            .order_by("-created_at", "-pk")
            .first()
        )
    return None


def _confirm_with_topi(offer: Offer) -> Offer:
    """No webhook has told us the outcome yet (or only that topi is reviewing, and the decision
    may be out by now): ask topi, as the redirect alone proves nothing."""
    undecided = (OfferStatus.DRAFT, OfferStatus.CREATED, OfferStatus.PENDING_REVIEW)
    if offer.status not in undecided or not offer.topi_id:
        return offer
    try:
        return apply_offer_payload(get_client().get_offer(offer.topi_id), Origin.RETURN).instance
    except TopiError as exc:
        logger.warning("could not confirm offer %s with topi: %s", offer.topi_id, exc)
        return offer


@never_cache
@require_GET
def return_success(request: HttpRequest) -> HttpResponse:
    """Where topi sends the customer after its checkout (``offer_id``, ``seller_offer_reference``,
    ``order_id`` in the query). Details only for the session or user that started the offer."""
    offer = find_offer(
        request.GET.get("offer_id", ""), request.GET.get("seller_offer_reference", "")
    )
    if offer is None or not owns(request, offer):
        return render(request, "django_topi/return_success.html", {"offer": None})
    offer = _confirm_with_topi(offer)
    try:
        attempt = min(int(request.GET.get("attempt", "0")), MAX_REFRESHES)
    except ValueError:
        attempt = MAX_REFRESHES
    processing = offer.status in (OfferStatus.DRAFT, OfferStatus.CREATED)
    refresh_url = None
    if processing and attempt < MAX_REFRESHES:
        query = request.GET.copy()
        query["attempt"] = str(attempt + 1)
        refresh_url = f"{request.path}?{query.urlencode()}"
    return render(
        request,
        "django_topi/return_success.html",
        {
            "offer": offer,
            "status": offer.status,
            "processing": processing,
            "refresh_url": refresh_url,
            "refresh_seconds": REFRESH_SECONDS,
            "cart_url": cart_url(request),
        },
    )


@never_cache
@require_GET
def return_exit(request: HttpRequest) -> HttpResponse:
    """Where topi sends the customer who left its checkout or hit a problem."""
    offer = find_offer(
        request.GET.get("offer_id", ""), request.GET.get("seller_offer_reference", "")
    )
    if offer is not None and not owns(request, offer):
        offer = None
    return render(
        request, "django_topi/return_exit.html", {"offer": offer, "cart_url": cart_url(request)}
    )
