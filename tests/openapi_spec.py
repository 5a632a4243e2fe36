"""topi's OpenAPI spec as a test oracle: requests we send and answers we parse must fit it.

The spec is topi's document, kept unchanged in ``tests/contract/topi-openapi.yaml`` (its README
says where from and when); ``TOPI_OPENAPI_SPEC`` points the tests at another copy.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker

REPO = Path(__file__).resolve().parent.parent
#: The copy in this repository, and the team's reference copy beside the checkout (if any).
BUNDLED_SPEC = REPO / "tests" / "contract" / "topi-openapi.yaml"
REFERENCE_SPEC = REPO.parent / "shared" / "topi" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")


def spec_path() -> Path:
    """``TOPI_OPENAPI_SPEC`` if set, else the copy in this repository."""
    return Path(os.environ.get("TOPI_OPENAPI_SPEC") or BUNDLED_SPEC)


def load_spec() -> dict[str, Any]:
    return _load(spec_path())


@cache
def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(
            f"topi's OpenAPI spec is not at {path}: TOPI_OPENAPI_SPEC names a missing file"
        )
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader)
    return spec


def is_deprecated(operation: dict[str, Any]) -> bool:
    """Deprecated by flag, or by the 'Deprecated' banner topi puts in the description."""
    return bool(operation.get("deprecated")) or "*Deprecated*" in operation.get("description", "")


@cache
def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (HTTP method, path template, operation)."""
    found = {}
    for path, item in load_spec()["paths"].items():
        for method in METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method.upper(), path, item[method])
    return found


def current_operations() -> list[str]:
    return sorted(op_id for op_id, (_, _, op) in operations().items() if not is_deprecated(op))


def _validator(schema: dict[str, Any], *, write: bool) -> Any:
    # A wrapper that carries the components lets '#/components/...' refs resolve in place.
    wrapped = {**schema, "components": load_spec()["components"]}
    cls = OAS30WriteValidator if write else OAS30ReadValidator
    return cls(wrapped, format_checker=oas30_format_checker)


def schema_errors(schema: dict[str, Any], instance: Any, *, write: bool) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in _validator(schema, write=write).iter_errors(instance)
    ]


def path_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"^{pattern}$")


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def request_problems(op_id: str, method: str, url: str, body: bytes | str | None) -> list[str]:
    """Everything about a request that does not fit the spec's operation ``op_id``."""
    expected_method, template, operation = operations()[op_id]
    problems = []
    parts = urlsplit(url)
    if method != expected_method:
        problems.append(f"method {method}, spec says {expected_method}")
    if not path_regex(template).match(parts.path):
        problems.append(f"path {parts.path} does not fit {template}")
    parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name not in parameters:
            problems.append(f"query parameter {name!r} is not in the spec")
            continue
        schema = parameters[name]["schema"]
        problems += [
            f"query {name}: {e}" for e in schema_errors(schema, _coerce(value, schema), write=True)
        ]
    request_body = operation.get("requestBody")
    if request_body is None:
        if body:
            problems.append("sent a body the operation does not take")
        return problems
    if not body:
        if request_body.get("required"):
            problems.append("no body, but the spec requires one")
        return problems
    schema = request_body["content"]["application/json"]["schema"]
    problems += schema_errors(schema, json.loads(body), write=True)
    return problems


def response_examples(op_id: str) -> list[tuple[int, str, str, Any]]:
    """(status, content type, example name, value) for every example of every response.

    A response with no example of its own takes its schema's example (topi's goa ``Error``
    schema has one), so every declared error answer is exercised.
    """
    _, _, operation = operations()[op_id]
    spec = load_spec()
    found = []
    for status, response in operation["responses"].items():
        content = response.get("content") or {}
        if not content:
            found.append((int(status), "", "empty", None))
        for content_type, media in content.items():
            if "example" in media:
                found.append((int(status), content_type, "example", media["example"]))
            for name, example in (media.get("examples") or {}).items():
                found.append((int(status), content_type, name, example["value"]))
            if "example" not in media and "examples" not in media:
                schema = media.get("schema", {})
                if "$ref" in schema:
                    schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
                if "example" in schema:
                    found.append((int(status), content_type, "schema example", schema["example"]))
    return found


def operation_for(method: str, url: str) -> str | None:
    """The operationId whose method and path template ``url`` fits (fixed paths win); the
    API may sit under a prefix (the simulator's ``/topi-simulator``)."""
    path = urlsplit(url).path
    path = path[path.index("/v1/") :] if "/v1/" in path else path
    matches = [
        (template.count("{"), op_id)
        for op_id, (op_method, template, _op) in operations().items()
        if op_method == method and path_regex(template).match(path)
    ]
    return min(matches)[1] if matches else None


def response_problems(op_id: str, status: int, body: Any) -> list[str]:
    """Everything about an answer that does not fit what the spec declares for ``status``."""
    _, _, operation = operations()[op_id]
    response = operation["responses"].get(str(status))
    if response is None:
        return [f"status {status} is not declared (declared: {sorted(operation['responses'])})"]
    content = response.get("content") or {}
    if not content:
        return [] if body in (None, b"", "") else ["a body where the spec declares none"]
    media = content.get("application/json") or content.get("application/vnd.goa.error")
    if media is None:
        return [f"no JSON media type declared for {status}"]
    return schema_errors(media["schema"], body, write=False)
