"""topi's webhooks: ``receive(request)`` takes a delivery (``reception``: size, validators,
store, dedupe), ``processing`` applies it through ``sync``, ``verification`` checks Standard
Webhooks signatures, and ``views`` answers topi."""

from __future__ import annotations

from typing import Any

#: Loaded on first use: ``reception`` needs the models, and this package is imported early.
_RECEPTION = ("receive", "Rejected", "Delivery", "VALIDATORS")


def __getattr__(name: str) -> Any:
    if name in _RECEPTION:
        from django_topi.webhooks import reception

        return getattr(reception, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
