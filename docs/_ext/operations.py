"""The ``topi-staff-operations`` directive: the table of staff operations, made from the registry.

Each row is one ``django_topi.fulfilment.registry.StaffOperation``: what it does, the permission
it takes, how the admin offers it, and its staff API endpoint (reversed from the URLconf), so
the table cannot drift from what the admin and the API do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from django.urls import NoReverseMatch, reverse
from django.utils import translation
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

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


class StaffOperationsDirective(SphinxDirective):
    """``.. topi-staff-operations::``: every staff operation, one row each."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(registry.__file__)
        self.env.note_dependency(__file__)
        group = nodes.tgroup(cols=len(HEADER))
        group += [nodes.colspec(colwidth=width) for width in WIDTHS]
        group += nodes.thead("", _row(HEADER, code=()))
        group += nodes.tbody("", *(_row(row, code=(0, 3, 5)) for row in rows()))
        return [nodes.table("", group)]


def _row(cells: tuple[str, ...], code: tuple[int, ...]) -> nodes.row:
    row = nodes.row()
    for index, text in enumerate(cells):
        inline = nodes.literal(text, text) if index in code and text else nodes.Text(text)
        row += nodes.entry("", nodes.paragraph("", "", inline))
    return row


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("topi-staff-operations", StaffOperationsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
