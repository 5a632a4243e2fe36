"""The conventions of every type a shop hands django-topi (``django_topi.cart``,
``django_topi.products``), and how their earlier names keep working for one release.

* a price says in its name whether it is net or gross (``unit_price_net``, ``price_net``,
  ``price_gross``); prices are ``Decimal``, tax rates percent;
* a product reference is a ``ProductReference(source, reference)``, or a bare string for one
  from ``TOPI["PRODUCT_REFERENCE_SOURCE"]``.
"""

from __future__ import annotations

import re
import sys
import warnings
from decimal import Decimal
from typing import Any, NamedTuple

#: topi's pattern for product references (``SellerProductReference.reference``).
REFERENCE = re.compile(r"^[A-Za-z0-9._-]+$")


#: A required field of a shop-facing type that may also arrive under its deprecated name.
REQUIRED: Any = None
NO_DECIMAL: Decimal = REQUIRED
NO_TEXT: str = REQUIRED


class ProductReference(NamedTuple):
    """One of the shop's references for a product: ``ProductReference("sap", "000123456")``."""

    source: str
    reference: str

    def to_topi(self) -> dict[str, str]:
        return {"source": self.source, "reference": self.reference}

    def __str__(self) -> str:
        return f"{self.source}:{self.reference}"


def as_reference(value: ProductReference | str, default_source: str) -> ProductReference:
    """``value`` as a ``ProductReference``: a bare string takes ``default_source``."""
    if isinstance(value, ProductReference):
        return value
    return ProductReference(default_source, value)


def deprecated(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is going: it works for this release, ``new`` replaces it."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release: use {new}.",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def required(instance: object, **fields: Any) -> None:
    """``TypeError`` naming each of ``fields`` that was given under neither its name nor its
    deprecated one."""
    missing = [name for name, value in fields.items() if value is REQUIRED]
    if missing:
        raise TypeError(f"{type(instance).__name__}() needs {', '.join(missing)}")


def read_by_replace() -> bool:
    """Whether ``dataclasses.replace`` (or ``copy.replace``) is reading a deprecated attribute,
    to pass it on as its old keyword: it then reads as unset, and nobody is warned."""
    return sys._getframe(2).f_globals.get("__name__") == "dataclasses"


def renamed(old: str, new: str) -> property:
    """A read of a deprecated attribute: warns, then answers the new one."""

    def read(self: Any) -> Any:
        if read_by_replace():
            return None
        name = type(self).__name__
        deprecated(f"{name}.{old}", f"{name}.{new}")
        return getattr(self, new)

    return property(read)
