"""The staff operations table, as plain rows: made from ``django_topi.fulfilment.registry`` and
the URLconf (the ``topi-staff-operations`` directive renders it; tests read it without Sphinx)."""

from __future__ import annotations

from urllib.parse import unquote

from django.urls import NoReverseMatch, reverse
from django.utils import translation

from django_topi.fulfilment import registry

HEADER = ("operation", "on", "what it does", "permission", "admin", "staff API")
WIDTHS = (14, 8, 34, 20, 22, 30)
INPUTS = {"": "", "reason": "asks a reason", "shipment": "a shipment form"}


def api_path(operation: registry.StaffOperation) -> str:
    """``POST /…/<topi id>/<operation>/``, or ``""`` when the staff API does not offer it."""
    if not operation.in_api:
        return ""
    name = f"django_topi:api_staff_{operation.model_name}_{operation.name}"
    try:
        return "POST " + unquote(reverse(name, args=["{topi_id}"]))
    except NoReverseMatch:
        return ""


def rows() -> list[tuple[str, ...]]:
    """The table, in English: one row per operation, in the registry's order."""
    table = []
    with translation.override(None):
        for operation in registry.OPERATIONS:
            page = ", ".join(
                part
                for part in (
                    INPUTS[operation.input],
                    "asks to confirm" if operation.confirmation else "",
                )
                if part
            )
            admin = f"button “{operation.label}”" + (f" ({page})" if page else "")
            admin += f"; action “{operation.bulk_label}”"
            table.append(
                (
                    operation.name,
                    operation.model_name,
                    str(operation.help_text),
                    operation.perm() or "view",
                    admin,
                    api_path(operation),
                )
            )
    return table
