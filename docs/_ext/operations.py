"""The ``topi-staff-operations`` directive: the table of staff operations, made from the registry.

Each row is one ``django_topi.fulfilment.registry.StaffOperation``: what it does, the permission
it takes, how the admin offers it, and its staff API endpoint (reversed from the URLconf), so
the table cannot drift from what the admin and the API do.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from operations_table import HEADER, WIDTHS, rows
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from django_topi.fulfilment import registry


class StaffOperationsDirective(SphinxDirective):
    """``.. topi-staff-operations::``: every staff operation, one row each."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(registry.__file__)
        self.env.note_dependency(__file__)
        self.env.note_dependency(rows.__code__.co_filename)
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
