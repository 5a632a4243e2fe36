"""Reaching the simulator without a socket: a ``requests`` transport onto its views.

Where the simulator runs in the shop's own project, the client sends it every call in-process
(``SimulatorConfig.ready`` mounts this adapter on the simulator's base URL): no second server,
no HTTP round trip, and one database connection for a shop request and the simulated topi it
calls. ``django_topi.testing`` mounts it the same way for tests.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

URLCONF = "django_topi.simulator.urls"


class SimulatorAdapter(BaseAdapter):
    """Hands a request for ``base_url``'s simulator to its view; the answer comes back as a
    ``requests.Response``, exactly as over HTTP."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.prefix = urlsplit(base_url).path.rstrip("/")

    def send(  # type: ignore[override]  # requests passes stream, timeout, verify … by keyword
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        from django.test import RequestFactory
        from django.urls import Resolver404, resolve

        parts = urlsplit(request.url or "")
        local = parts.path.removeprefix(self.prefix) or "/"
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() not in ("content-length", "host", "content-type")
        }
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):
            body = body.read()
        django_request = RequestFactory().generic(
            request.method or "GET",
            f"{parts.path}?{parts.query}" if parts.query else parts.path,
            data=body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            secure=parts.scheme == "https",
            headers={**headers, "Host": parts.netloc},
        )
        try:
            match = resolve(local, urlconf=URLCONF)
        except Resolver404:
            return self._response(
                request, 404, b'"not found"', {"Content-Type": "application/json"}
            )
        answer = match.func(django_request, *match.args, **match.kwargs)
        return self._response(request, answer.status_code, answer.content, dict(answer.items()))

    @staticmethod
    def _response(
        request: requests.PreparedRequest, status: int, content: bytes, headers: dict[str, str]
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to close: no connection was opened."""
