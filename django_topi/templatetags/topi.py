"""Template tags: ``{% load topi %}{% topi_button %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("django_topi/button.html", takes_context=True)
def topi_button(
    context: template.Context,
    label: str | None = None,
    css_class: str = "topi-button",
    next: str | None = None,
) -> dict[str, Any]:
    """The "Rent with topi" form: POSTs to ``django_topi:checkout`` and works without JavaScript.

    ``label``, ``css_class`` and ``next`` (where to return if the checkout cannot start) are
    optional; override ``django_topi/button.html`` to change the markup.
    """
    request = context.get("request")
    return {
        "action": reverse("django_topi:checkout"),
        "label": label or _("Rent with topi"),
        "css_class": css_class,
        "next": next if next is not None else (request.get_full_path() if request else ""),
        "csrf_token": context.get("csrf_token"),
    }
