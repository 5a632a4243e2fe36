"""Answers shaped as topi sends them: goa errors, topi's 422 bodies, and JSON."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpResponse, JsonResponse

GOA = "application/vnd.goa.error"


class ApiError(Exception):
    """An error answer. ``goa`` errors carry goa's fields; topi's 422 bodies carry ``name``,
    ``message`` and, for unsupported products, ``references``."""

    def __init__(
        self,
        status: int,
        name: str,
        message: str,
        *,
        goa: bool = True,
        references: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message
        self.goa = goa
        self.references = references

    def response(self) -> HttpResponse:
        if self.goa:
            body: dict[str, Any] = {
                "name": self.name,
                "id": secrets.token_hex(4),
                "message": self.message,
                "temporary": self.status == 503,
                "timeout": False,
                "fault": self.status >= 500,
            }
            return JsonResponse(body, status=self.status, content_type=GOA)
        body = {"name": self.name, "message": self.message}
        if self.references is not None:
            body["references"] = self.references
        return JsonResponse(body, status=self.status)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


def not_found(what: str, topi_id: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} {topi_id} not found")


def unprocessable(message: str, name: str = "Unprocessable") -> ApiError:
    """A business rule refused it: topi's own 422 body (not goa's)."""
    return ApiError(422, name, message, goa=False)


def invalid_status(what: str, status: str, allowed: str) -> ApiError:
    """An order action from the wrong status: goa's 422, as topi's order operations answer."""
    return ApiError(422, "InvalidStatus", f"{what} is {status}; only {allowed} can take this")


def unauthorized() -> HttpResponse:
    """A missing, wrong or expired token: 401 with a JSON string, as topi's spec shows."""
    return JsonResponse("Unauthorized", status=401, safe=False)
