"""Authentication for the API: session (with CSRF, even for guests) and, if installed, tokens."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request


class CsrfSessionAuthentication(SessionAuthentication):
    """DRF's session authentication checks CSRF only for signed-in users; a guest's checkout
    rides on a session cookie too, so any request that carries the session cookie is checked."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        from django.conf import settings

        result = super().authenticate(request)
        if result is None and settings.SESSION_COOKIE_NAME in request._request.COOKIES:
            self.enforce_csrf(request)
        return result


def authentication_classes() -> list[type[BaseAuthentication]]:
    classes: list[type[BaseAuthentication]] = [CsrfSessionAuthentication]
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authentication import TokenAuthentication

        classes.append(TokenAuthentication)
    return classes
