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

from django_topi.checkout.clicks import (
    _fill_draft,
    _in_flight_window,
    checkout_status,
    owns,
    start_checkout,
)
from django_topi.checkout.constants import (
    ALREADY_CHECKED_OUT,
    MAX_LOOKS,
    PENDING_RETRY_SECONDS,
    SESSION_KEY,
)
from django_topi.checkout.outcomes import CheckoutFailed, CheckoutPending, CheckoutStarted

__all__ = [
    "ALREADY_CHECKED_OUT",
    "MAX_LOOKS",
    "PENDING_RETRY_SECONDS",
    "SESSION_KEY",
    "CheckoutFailed",
    "CheckoutPending",
    "CheckoutStarted",
    "_fill_draft",
    "_in_flight_window",
    "checkout_status",
    "owns",
    "start_checkout",
]
