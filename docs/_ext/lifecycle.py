"""The ``topi-lifecycle`` directive: an offer's or an order's lifecycle, drawn from the code.

``.. topi-lifecycle:: offer`` (or ``order``) emits an inline SVG diagram (a plain-text list for
non-html builders), the table of edges and a line naming the terminal statuses. The drawing is
done by the pure functions in ``lifecycle_diagram``; this module only turns them into nodes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import lifecycle_diagram as diagram
from docutils import nodes
from sphinx.addnodes import only
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from django_topi import states

TABLE_HEADER = ("from", "to", "transition", "who moves it", "note")
TABLE_WIDTHS = (22, 22, 18, 18, 36)
#: The columns that hold a status or a method name, shown as code.
CODE_COLUMNS = (0, 1, 2)
FIGURE = '<div class="topi-lifecycle" style="overflow-x: auto; margin: 1em 0; text-align: center">'


class LifecycleDirective(SphinxDirective):
    """``.. topi-lifecycle:: offer`` or ``order``: diagram, edge table and terminal statuses."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in diagram.LIFECYCLES:
            raise self.error(f"topi-lifecycle: expected one of {', '.join(diagram.LIFECYCLES)}")
        lifecycle = diagram.LIFECYCLES[name]
        # Rebuild the page when the graph or the drawing code changes, not only the .rst.
        for path in (states.__file__, diagram.__file__, __file__):
            self.env.note_dependency(path)

        svg = diagram.diagram_svg(
            lifecycle.edges,
            lifecycle.statuses,
            name,
            lifecycle.title,
            lifecycle.terminal,
            lifecycle.aliases,
        )
        figure = only(expr="format_html")
        figure += nodes.raw("", f"{FIGURE}{svg}</div>", format="html")
        fallback = only(expr="not format_html")
        fallback += nodes.literal_block(text=diagram.plain_text(lifecycle.edges))
        return [figure, fallback, _table(lifecycle), _statuses_line(lifecycle)]


def _table(lifecycle: diagram.Lifecycle) -> nodes.table:
    group = nodes.tgroup(cols=len(TABLE_HEADER))
    group += [nodes.colspec(colwidth=width) for width in TABLE_WIDTHS]
    group += nodes.thead("", _row(TABLE_HEADER, code=()))
    group += nodes.tbody("", *(_row(row) for row in diagram.table_rows(lifecycle.edges)))
    return nodes.table("", group)


def _row(cells: Sequence[str], code: Sequence[int] = CODE_COLUMNS) -> nodes.row:
    row = nodes.row()
    for index, text in enumerate(cells):
        inline = nodes.literal(text, text) if index in code else nodes.Text(text)
        row += nodes.entry("", nodes.paragraph("", "", inline))
    return row


def _statuses_line(lifecycle: diagram.Lifecycle) -> nodes.paragraph:
    terminal = [status for status in lifecycle.statuses if status in lifecycle.terminal]
    line = nodes.paragraph()
    line += [nodes.Text("Terminal statuses (double border): "), *_codes(terminal), nodes.Text(".")]
    unreached = diagram.unreached(lifecycle.edges, lifecycle.statuses)
    if unreached:
        line += nodes.Text(" No documented edge reaches or leaves ")
        line += [*_codes(unreached), nodes.Text(" (dashed border).")]
    for reported, meant in lifecycle.aliases.items():
        line += [nodes.Text(" topi's "), *_codes([reported]), nodes.Text(" is treated as ")]
        line += [*_codes([meant]), nodes.Text(".")]
    return line


def _codes(statuses: Iterable[str]) -> list[nodes.Node]:
    """``a``, ``b``, ``c`` as inline code separated by commas."""
    out: list[nodes.Node] = []
    for index, status in enumerate(statuses):
        if index:
            out.append(nodes.Text(", "))
        out.append(nodes.literal(status, status))
    return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("topi-lifecycle", LifecycleDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
