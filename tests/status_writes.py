"""Find code that changes an Offer's or Order's status anywhere but ``django_topi/sync.py``.

DESIGN's rule: every piece of topi state enters through ``sync``; nothing else writes a status.
This reads source with ``ast`` and reports, outside ``sync.py``:

* a call of an FSM transition (``offer.accept()``, ``getattr(order, "confirm")()``, or a
  transition picked by a name only known at run time: ``getattr(order, name)()``);
* an assignment to ``.status`` (``order.status = …``, ``setattr(order, "status", …)``);
* ``status`` written through ``update()``, ``create()``, ``get_or_create()``,
  ``update_or_create()``, ``bulk_update(…, ["status"])``, ``save(update_fields=["status"])`` or
  the model's constructor.

Each write is reported unless its target is known to be something else. What a name holds is
read from the code around it: ``self`` is its class; a parameter or variable is what its
annotation says or what it was assigned (``WebhookEvent.objects.get(…)``, a ``dict``, a call of
a class); an imported name is a module, function or class. A target that cannot be told is
reported too, so the rule fails closed: annotate it, and the report goes away.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django_topi.states import OFFER_EDGES, ORDER_EDGES

#: The models whose status only sync may write, and names that stand for them.
GUARDED = frozenset({"Offer", "Order", "TopiRecord", "Record"})
TRANSITIONS = frozenset(edge.transition for edge in (*OFFER_EDGES, *ORDER_EDGES))
#: Manager/queryset methods that take field values as keyword arguments.
KEYWORD_WRITES = frozenset({"update", "create", "get_or_create", "update_or_create"})
#: What a name may be known to hold, besides a class: none of these is an Offer or Order.
SAFE_KINDS = frozenset({"module", "function", "dict", "literal"})
UNKNOWN = "?"
#: Django's shortcuts that answer a row of the model (or queryset) they are given.
ROW_GETTERS = frozenset({"get_object_or_404", "get_list_or_404"})
MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "Counter"})
BUILTIN_VALUES = frozenset({"str", "int", "float", "bool", "bytes", "Decimal", "datetime"})


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


class _Scope:
    """What the names of one function (or the module) hold, as far as the code says."""

    def __init__(self, parent: _Scope | None, cls: ast.ClassDef | None) -> None:
        self.parent = parent
        self.cls = cls
        self.kinds: dict[str, set[str]] = {}

    def bind(self, name: str, kind: str) -> None:
        self.kinds.setdefault(name, set()).add(kind)

    def lookup(self, name: str) -> set[str]:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.kinds:
                return scope.kinds[name]
            scope = scope.parent
        return {UNKNOWN}


def _annotation_kinds(node: ast.expr | None) -> set[str]:
    """``Offer``, ``Offer | None``, ``"Offer"``, ``Optional[Offer]``, ``QuerySet[Offer]``."""
    if node is None:
        return {UNKNOWN}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _annotation_kinds(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return {UNKNOWN}
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _annotation_kinds(node.left) | _annotation_kinds(node.right)
    if isinstance(node, ast.Constant) and node.value is None:
        return {"literal"}
    if isinstance(node, ast.Subscript):
        if _dotted_tail(node.value) in MAPPINGS:
            return {"dict"}
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return set().union(*(_annotation_kinds(element) for element in inner))
    if isinstance(node, ast.Attribute | ast.Name):
        return {_annotated(_dotted_tail(node))}
    return {UNKNOWN}


def _annotated(name: str) -> str:
    if name in MAPPINGS:
        return "dict"
    if name in BUILTIN_VALUES:
        return "literal"
    return UNKNOWN if name in {"Any", "object"} else name


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.found: list[Violation] = []
        self.scope = _Scope(None, None)
        self.classes: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = {_dotted_tail(base) for base in node.bases}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.scope.bind((alias.asname or alias.name).split(".")[0], "module")
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    name = alias.asname or alias.name
                    # CamelCase imports are classes; everything else a module or function.
                    self.scope.bind(name, name if name[:1].isupper() else "module")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.scope.bind(node.name, "function")
            elif isinstance(node, ast.ClassDef):
                self.scope.bind(node.name, node.name)
        self._bind_assignments(tree)

    # -- scopes --------------------------------------------------------------------------------

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer = self.scope
        self.scope = _Scope(outer, node)
        self.generic_visit(node)
        self.scope = outer

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        cls = outer.cls
        self.scope = _Scope(outer, cls)
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for position, argument in enumerate(arguments):
            if position == 0 and cls is not None and argument.annotation is None:
                self.scope.bind(argument.arg, cls.name)  # self / cls
            else:
                for kind in _annotation_kinds(argument.annotation):
                    self.scope.bind(argument.arg, kind)
        for extra in (node.args.vararg, node.args.kwarg):
            if extra is not None:
                self.scope.bind(extra.arg, "literal")
        self._bind_assignments(node)
        self.generic_visit(node)
        self.scope = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        outer = self.scope
        self.scope = _Scope(outer, outer.cls)
        for argument in node.args.args:
            self.scope.bind(argument.arg, UNKNOWN)
        self.generic_visit(node)
        self.scope = outer

    def _bind_assignments(self, function: ast.AST) -> None:
        """Every name the function assigns, with what each assignment puts in it."""
        for node in _own_nodes(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind_target(target, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                for kind in _annotation_kinds(node.annotation):
                    self.scope.bind(node.target.id, kind)
            elif isinstance(node, ast.NamedExpr):
                self._bind_target(node.target, node.value)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                self._bind_target(node.target, node.iter, element=True)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind_target(item.optional_vars, None)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.scope.bind(node.name, _dotted_tail(node.type) if node.type else UNKNOWN)

    def _bind_target(self, target: ast.expr, value: ast.expr | None, element: bool = False) -> None:
        if isinstance(target, ast.Name):
            kinds = self.kinds_of(value) if value is not None else {UNKNOWN}
            if element:
                # Iterating a queryset gives its model; iterating anything else, who knows.
                kinds = {kind for kind in kinds if kind[:1].isupper()} or {UNKNOWN}
            for kind in kinds:
                self.scope.bind(target.id, kind)
        elif isinstance(target, ast.Tuple | ast.List):
            for element_target in target.elts:
                self._bind_target(element_target, None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None)

    # -- what an expression holds -------------------------------------------------------------

    def kinds_of(self, node: ast.expr) -> set[str]:
        if isinstance(node, ast.Name):
            return self.scope.lookup(node.id)
        if isinstance(node, ast.Dict | ast.DictComp):
            return {"dict"}
        if isinstance(node, ast.Constant | ast.JoinedStr | ast.List | ast.Tuple | ast.Set):
            return {"literal"}
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.Compare):
            return {"literal"}
        if isinstance(node, ast.Attribute):
            if node.attr in {"objects", "_default_manager", "_base_manager"}:
                return self.kinds_of(node.value)  # the model's manager: the model's rows
            return {UNKNOWN}
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id == "dict":
                    return {"dict"}
                if func.id in ROW_GETTERS and node.args:
                    return self.kinds_of(node.args[0])  # get_object_or_404(Model, …): a Model
                kinds = self.scope.lookup(func.id)
                return {kind for kind in kinds if kind[:1].isupper()} or {UNKNOWN}
            if isinstance(func, ast.Attribute):
                # A queryset or manager method answers rows (or a queryset) of the same model.
                owner = self.kinds_of(func.value)
                return {kind for kind in owner if kind[:1].isupper()} or {UNKNOWN}
        if isinstance(node, ast.BoolOp):
            return set().union(*(self.kinds_of(value) for value in node.values))
        if isinstance(node, ast.IfExp):
            return self.kinds_of(node.body) | self.kinds_of(node.orelse)
        return {UNKNOWN}

    def _guarded(self, kinds: set[str]) -> bool:
        """True unless every kind is known, and none is an Offer or Order (or a subclass)."""
        for kind in kinds:
            if kind == UNKNOWN or kind in GUARDED:
                return True
            if kind in SAFE_KINDS:
                continue
            if self.classes.get(kind, set()) & GUARDED:
                return True
        return False

    def _report(self, node: ast.AST, what: str, target: ast.expr) -> None:
        kinds = self.kinds_of(target)
        if self._guarded(kinds):
            known = " or ".join(sorted(kinds - {UNKNOWN}))
            on = f"on {known}" if UNKNOWN not in kinds else "on something the code does not name"
            if known and UNKNOWN in kinds:
                on = f"on {known}, or something the code does not name"
            hint = "; only django_topi/sync.py writes statuses"
            self.found.append(
                Violation(self.path, getattr(node, "lineno", 0), f"{what} {on}{hint}")
            )

    # -- writes --------------------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._status_target(node, target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._status_target(node, node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._status_target(node, node.target)
        self.generic_visit(node)

    def _status_target(self, node: ast.AST, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute) and target.attr == "status":
            self._report(node, "assigns .status", target.value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._status_target(node, element)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in TRANSITIONS:
                self._report(node, f"calls the transition {func.attr}()", func.value)
            if func.attr in KEYWORD_WRITES and _writes_status(node):
                self._report(node, f"writes status through {func.attr}()", func.value)
            if func.attr == "save" and _names_status(_keyword(node, "update_fields")):
                self._report(node, "writes status through save(update_fields=…)", func.value)
            if func.attr == "bulk_update":
                fields = node.args[1] if len(node.args) > 1 else _keyword(node, "fields")
                if _names_status(fields):
                    self._report(node, "writes status through bulk_update()", func.value)
        elif isinstance(func, ast.Name):
            if func.id == "setattr" and len(node.args) >= 2 and _is_text(node.args[1], "status"):
                self._report(node, "assigns .status through setattr()", node.args[0])
            kinds = self.scope.lookup(func.id)
            if kinds & GUARDED and _writes_status(node):
                self._report(node, f"builds a {func.id} with a status", func)
        elif _is_getattr(func) and len(func.args) >= 2:
            name = func.args[1]
            dynamic = not isinstance(name, ast.Constant)
            if dynamic or (isinstance(name.value, str) and name.value in TRANSITIONS):
                what = (
                    "a method picked at run time" if dynamic else f"the transition {name.value}()"
                )
                self._report(node, f"calls {what} through getattr()", func.args[0])
        self.generic_visit(node)


def _own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions or classes nested in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def _dotted_tail(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _dotted_tail(node.value)
    return UNKNOWN


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in node.keywords if kw.arg == name), None)


def _is_text(node: ast.expr | None, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value == text


def _is_getattr(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and (node.func.id == "getattr")
    )


def _names_status(node: ast.expr | None) -> bool:
    """A field list that names ``status`` (or that cannot be read, which may)."""
    if node is None:
        return False
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(
            _is_text(element, "status") or not isinstance(element, ast.Constant)
            for element in node.elts
        )
    return not isinstance(node, ast.Constant)


def _writes_status(node: ast.Call) -> bool:
    """``status=…``, ``defaults={"status": …}`` or ``**fields`` that may hold it."""
    for keyword in node.keywords:
        if keyword.arg == "status":
            return True
        if keyword.arg is not None and keyword.arg not in {"defaults", "create_defaults"}:
            continue
        fields = keyword.value
        if not isinstance(fields, ast.Dict):
            if keyword.arg is None:
                return True  # ``**fields``: the code does not say what it holds
            continue
        if any(key is None or _is_text(key, "status") for key in fields.keys):
            return True
    return False


def violations_in_source(source: str, path: str = "<source>") -> list[Violation]:
    tree = ast.parse(source)
    checker = _Checker(path, tree)
    checker.visit(tree)
    return checker.found


def violations_in_package(package: Path, allowed: set[str]) -> list[Violation]:
    """Every violation in ``package``'s modules, except those whose relative path is allowed."""
    found: list[Violation] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        if relative not in allowed:
            found += violations_in_source(path.read_text(encoding="utf-8"), relative)
    return found
