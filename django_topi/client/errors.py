"""The errors a topi call can raise: one small hierarchy under ``TopiError``.

    TopiError
    ├── TopiAPIError            topi answered with an error (status, name, message, id, flags)
    │   ├── TopiAuthError       401 / 403: credentials or scopes
    │   │   └── TopiConfigurationError   the token endpoint cannot be used: the shop's set-up
    │   ├── TopiNotFound        404
    │   ├── TopiUnprocessable   422: business rule refused (with unsupported ``references``)
    │   └── TopiUnavailable     timeouts, connection errors, 5xx, 429: try again later
    └── TopiResponseError       topi answered 2xx with something that is not JSON

Messages carry topi's own ``name`` and ``message`` but never a token, secret or request body.
"""

from __future__ import annotations

from typing import Any


class TopiError(Exception):
    """Base class of every error django-topi's client raises."""


class TopiResponseError(TopiError):
    """topi answered with a success status but a body the client cannot read."""


class TopiAPIError(TopiError):
    """topi answered with an error, or could not be reached.

    ``status`` is the HTTP status (``None`` when no answer came). ``name``, ``message``,
    ``error_id`` and the ``temporary`` / ``timeout`` / ``fault`` flags are topi's goa error fields
    when topi sent them.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        name: str = "",
        error_id: str = "",
        temporary: bool = False,
        timeout: bool = False,
        fault: bool = False,
        method: str = "",
        path: str = "",
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.name = name
        self.error_id = error_id
        self.temporary = temporary
        self.timeout = timeout
        self.fault = fault
        self.method = method
        self.path = path
        self.body = body

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        name = f" {self.name}:" if self.name else ""
        occurrence = f" (topi error id {self.error_id})" if self.error_id else ""
        return f"topi {where}: {status}{name} {self.message}{occurrence}".replace("  ", " ")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, name={self.name!r}, message={self.message!r})"


class TopiAuthError(TopiAPIError):
    """401 or 403: the credentials are wrong, expired, or lack a scope."""


class TopiConfigurationError(TopiAuthError):
    """django-topi cannot get a token: the credentials, the environment or the token URL is
    wrong. A mistake in the shop's settings, not topi's; ``hint`` says what to check."""

    def __init__(self, message: str, *, hint: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.hint = hint

    def __str__(self) -> str:
        return f"{super().__str__()}. HINT: {self.hint}"


class TopiNotFound(TopiAPIError):
    """404: topi does not know the offer, order or import."""


class TopiUnprocessable(TopiAPIError):
    """422: topi refused on a business rule (``name`` says which, e.g. ``UnsupportedProducts``).

    ``references`` lists the unsupported ``{"source", "reference"}`` pairs when topi sent them.
    """

    def __init__(
        self, message: str, *, references: list[dict[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.references: list[dict[str, str]] = list(references or [])


class TopiUnavailable(TopiAPIError):
    """topi could not be reached or is overloaded: timeouts, connection errors, 5xx, 429.

    ``retry_after`` is the number of seconds topi asked for, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
