"""HTTP client for topi's Seller API: ``TopiClient``, ``get_client()`` and the error classes."""

from django_topi.client.client import TopiClient, get_client
from django_topi.client.errors import (
    TopiAPIError,
    TopiAuthError,
    TopiConfigurationError,
    TopiError,
    TopiNotFound,
    TopiResponseError,
    TopiUnavailable,
    TopiUnprocessable,
)
from django_topi.client.transport import mount, unmount
from django_topi.ids import TOPI_ID

__all__ = [
    "TOPI_ID",
    "TopiAPIError",
    "TopiAuthError",
    "TopiClient",
    "TopiConfigurationError",
    "TopiError",
    "TopiNotFound",
    "TopiResponseError",
    "TopiUnavailable",
    "TopiUnprocessable",
    "get_client",
    "mount",
    "unmount",
]
