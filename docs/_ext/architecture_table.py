"""The layers of django-topi as plain data: read from the import-linter contracts in
``pyproject.toml`` (the ones ``make lint`` enforces) and the modules' own docstrings, so the
architecture page cannot drift from the code. The ``topi-architecture`` directive renders it."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "django_topi"


@dataclass(frozen=True)
class Module:
    name: str  # e.g. "fulfilment"
    summary: str  # the first sentence of its docstring


@dataclass(frozen=True)
class Layer:
    modules: tuple[Module, ...]
    independent: bool  # its modules may not import each other ("a | b")


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def summary(name: str) -> str:
    """The first sentence of module ``django_topi.<name>``'s docstring (its package's for a
    package), read without importing it."""
    path = PACKAGE / name.replace(".", "/")
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    docstring = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or ""
    first = " ".join(docstring.split("\n\n")[0].split())
    return first.split(". ")[0].rstrip(".") + "." if first else ""


def layers() -> list[Layer]:
    """The layers contract, top (entry) to bottom (foundations)."""
    (contract,) = [c for c in contracts() if c["type"] == "layers"]
    found = []
    for entry in contract["layers"]:  # type: ignore[union-attr]
        independent = "|" in entry
        names = [part.strip() for part in entry.replace("|", ":").split(":")]
        found.append(Layer(tuple(Module(n, summary(n)) for n in names), independent))
    return found


def forbidden() -> list[tuple[str, list[str], list[str]]]:
    """Each forbidden contract: its name, who may not import, and what."""
    return [
        (str(c["name"]), list(c["source_modules"]), list(c["forbidden_modules"]))  # type: ignore[call-overload]
        for c in contracts()
        if c["type"] == "forbidden"
    ]
