"""OAuth2 client credentials, as topi's identity service answers them.

Tokens are signed (Django's signing, with a timestamp): they carry the client id, expire after
``TOPI_SIMULATOR["TOKEN_SECONDS"]``, and need no table.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from django_topi.simulator.conf import simulator_settings

SALT = "django_topi.simulator.token"


def issue(client_id: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(client_id)


def authorized(request: HttpRequest) -> bool:
    """Whether the request carries a live token for the simulator's client."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        client_id = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=simulator_settings.TOKEN_SECONDS
        )
    except signing.BadSignature:
        return False
    return hmac.compare_digest(client_id, simulator_settings.CLIENT_ID)


def _credentials(request: HttpRequest) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """``POST oauth2/token`` with ``grant_type=client_credentials``."""
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request"}, status=405)
    if request.POST.get("grant_type") != "client_credentials":
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)
    client_id, secret = _credentials(request)
    valid = hmac.compare_digest(client_id, simulator_settings.CLIENT_ID) and hmac.compare_digest(
        secret, simulator_settings.CLIENT_SECRET
    )
    if not client_id or not valid:
        return JsonResponse({"error": "invalid_client"}, status=401)
    return JsonResponse(
        {
            "access_token": issue(client_id),
            "token_type": "Bearer",
            "expires_in": simulator_settings.TOKEN_SECONDS,
            "scope": request.POST.get("scope") or "client",
        }
    )
