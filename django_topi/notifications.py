"""Telling staff what needs a person: a mail to the site's ADMINS when a conflict appears."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import mail_admins
from django.dispatch import receiver

from django_topi.conf import topi_settings
from django_topi.models import Offer, Order
from django_topi.signals import offer_conflict, order_conflict

logger = logging.getLogger("django_topi.notifications")


@receiver(offer_conflict, dispatch_uid="django_topi.notifications.offer_conflict")
@receiver(order_conflict, dispatch_uid="django_topi.notifications.order_conflict")
def mail_conflict(
    sender: type[Offer | Order], instance: Offer | Order, conflict: str, **kwargs: Any
) -> None:
    """One mail per new conflict. It names the row, never the customer."""
    if not topi_settings.CONFLICT_EMAILS:
        return
    kind = sender._meta.verbose_name
    subject = f"topi: conflict on {kind} {instance.seller_offer_reference or instance.topi_id}"
    body = "\n".join(
        [
            f"django-topi could not apply what topi reported for {kind} "
            f"{instance.seller_offer_reference} (topi id {instance.topi_id}, "
            f"{instance.environment}):",
            "",
            conflict,
            "",
            f"Its status here is {instance.status}. Check it in topi's dashboard and in the admin; "
            "once settled, mark the conflict resolved there.",
        ]
    )
    mail_admins(subject, body)
    logger.info("mailed ADMINS about the conflict on %s %s", kind, instance.topi_id)
