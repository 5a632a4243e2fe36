"""The ``topi-architecture`` directive: the layers and the forbidden imports, from the
import-linter contracts ``make lint`` enforces, each module with its docstring's first sentence."""

from __future__ import annotations

from typing import Any

from architecture_table import ROOT, forbidden, layers
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class ArchitectureDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(ROOT / "pyproject.toml"))
        out: list[nodes.Node] = []
        items = nodes.enumerated_list()
        for layer in layers():
            item = nodes.list_item()
            rule = (
                "independent: none imports another"
                if layer.independent and len(layer.modules) > 1
                else "may import each other"
                if len(layer.modules) > 1
                else ""
            )
            head = nodes.paragraph()
            head += nodes.strong(text=", ".join(m.name for m in layer.modules))
            if rule:
                head += nodes.Text(f" ({rule})")
            item += head
            modules = nodes.bullet_list()
            for module in layer.modules:
                entry = nodes.paragraph()
                entry += nodes.literal(text=f"django_topi.{module.name}")
                entry += nodes.Text(f": {module.summary}")
                modules += nodes.list_item("", entry)
            item += modules
            items += item
        out.append(items)
        rules = nodes.bullet_list()
        for name, sources, targets in forbidden():
            entry = nodes.paragraph()
            entry += nodes.strong(text=name)
            entry += nodes.Text(f": {', '.join(sources)} may not import {', '.join(targets)}.")
            rules += nodes.list_item("", entry)
        out.append(rules)
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("topi-architecture", ArchitectureDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
