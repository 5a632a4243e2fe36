"""What fulfilment answers: an ``Outcome``, or a ``FulfilmentError`` with a code for programs
and a message for staff; and the checks every operation makes before it asks topi."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.utils.translation import gettext as _

from django_topi.client import (
    TopiAPIError,
    TopiAuthError,
    TopiConfigurationError,
    TopiError,
    TopiNotFound,
    TopiUnavailable,
)
from django_topi.conf import topi_settings
from django_topi.fulfilment.words import Wording, kind, noun, title, topi_words
from django_topi.models import Offer, Order

#: Every part of fulfilment logs as "django_topi.fulfilment".
logger = logging.getLogger("django_topi.fulfilment")

R = TypeVar("R", Offer, Order)

INVALID_STATE = "invalid_state"  # the local status does not allow the step; topi was not called
WRONG_ENVIRONMENT = "wrong_environment"  # the row belongs to another topi environment
NOT_AT_TOPI = "not_at_topi"  # a draft offer: topi does not know it
INVALID_SHIPMENT = "invalid_shipment"  # the shipment breaks topi's rules; topi was not called
INVALID_STATUS = "invalid_status"  # topi refused (422); the row was re-synced from topi
UNAVAILABLE = "unavailable"  # topi could not be reached or did not answer in time
NOT_FOUND_AT_TOPI = "not_found_at_topi"  # topi does not know the id
TOPI_AUTH = "topi_auth"  # topi refused django-topi's credentials
TOPI_REFUSED = "topi_refused"  # any other error answer from topi

#: What the token endpoint answers when it refuses the credentials themselves.
CREDENTIAL_REFUSALS = (400, 401, 403)


class FulfilmentError(Exception):
    """The operation did not happen, or topi refused it. ``message`` is for staff.

    ``instance`` is the row as it is now (re-synced from topi after a 422); ``errors`` maps an
    asset's topi id, ``"items"``, ``"tracking_url"`` or ``"metadata"`` to what is wrong with it.
    """

    def __init__(
        self,
        code: str,
        message: str,
        instance: Offer | Order | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.instance = instance
        self.errors: dict[str, list[str]] = dict(errors or {})


@dataclass
class Outcome(Generic[R]):
    """What an operation did: the row as it is now and a message for staff.

    ``already``: topi was already where the operation wanted it (a repeated click).
    ``warning``: the operation happened but something after it did not (see the message).
    """

    instance: R
    message: str
    changed: bool = False
    already: bool = False
    warning: bool = False


def check_environment(instance: Offer | Order) -> None:
    if instance.environment != topi_settings.ENVIRONMENT:
        raise FulfilmentError(
            WRONG_ENVIRONMENT,
            _(
                "%(name)s belongs to topi's %(theirs)s environment, but django-topi is set up "
                "for %(ours)s (TOPI['ENVIRONMENT']), so topi cannot be asked about it here."
            )
            % {
                "name": title(instance),
                "theirs": instance.environment,
                "ours": topi_settings.ENVIRONMENT,
            },
            instance=instance,
        )


def check_at_topi(instance: Offer | Order) -> None:
    if not instance.topi_id:
        raise FulfilmentError(
            NOT_AT_TOPI,
            _("%(name)s is a draft: topi does not know it yet, so there is nothing to do there.")
            % {"name": title(instance)},
            instance=instance,
        )


def topi_failed(
    instance: Offer | Order, exc: TopiError, wording: Wording, operation: str
) -> FulfilmentError:
    """The error for a call that failed; nothing changed locally."""
    names = {"name": noun(instance)}
    if isinstance(exc, TopiUnavailable) and exc.timeout:
        code = UNAVAILABLE
        message = str(wording.timeout)
    elif isinstance(exc, TopiUnavailable):
        code = UNAVAILABLE
        message = _(
            "topi cannot be reached right now, so %(name)s was left as it is. Try again in a few "
            "minutes."
        )
    elif isinstance(exc, TopiConfigurationError) and exc.status not in CREDENTIAL_REFUSALS:
        code = TOPI_AUTH
        message = _(
            "django-topi cannot use topi's token endpoint (%(problem)s), so %(name)s was left as "
            "it is. Check TOPI['ENVIRONMENT'] and TOPI['TOKEN_URL']."
        )
        names.update(problem=exc.message)
    elif isinstance(exc, TopiAuthError):
        code = TOPI_AUTH
        message = _(
            "topi refused django-topi's credentials (HTTP %(status)s), so %(name)s was left as "
            "it is. Check TOPI['CLIENT_ID'] and TOPI['CLIENT_SECRET'] for the %(environment)s "
            "environment."
        )
    elif isinstance(exc, TopiNotFound):
        code = NOT_FOUND_AT_TOPI
        message = _(
            "topi does not know %(name)s (topi id %(id)s) in its %(environment)s environment."
        )
    elif isinstance(exc, TopiAPIError):
        code = TOPI_REFUSED
        message = str(wording.refused)
    else:
        code = TOPI_REFUSED
        message = str(wording.unreadable)
    if isinstance(exc, TopiAPIError):
        names.update(status=str(exc.status), topi=topi_words(exc))
    names.update(id=str(instance.topi_id), environment=topi_settings.ENVIRONMENT)
    log = logger.error if code == TOPI_AUTH else logger.warning
    log("%s %s: %s failed: %s", kind(instance), instance.topi_id, operation, exc)
    return FulfilmentError(code, message % names, instance=instance)
