"""The simulator's rental prices: a simple, documented formula, not topi's.

For a product whose net price is ``P`` (minor units), the monthly net rent for a term of ``m``
months is ``P * (1 + 0.05 * m / 12) / m``, rounded half up to a cent: 5 % on top per year of the
term. Gross is net plus the product's tax rate. A 1,000.00 € laptop rents for 87.50 € a month over
12 months, 45.83 € over 24 and 31.94 € over 36. Every summary says "simulated".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from django_topi.money import format_price, gross_from_net

TERMS = (12, 24, 36)
YEARLY_SURCHARGE = Decimal("0.05")
SIMULATED = "simulated"


def monthly_net(price_net: int, months: int) -> int:
    factor = (1 + YEARLY_SURCHARGE * months / 12) / months
    return int((Decimal(price_net) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_amount(price_net: int, months: int, currency: str, tax_rate: int) -> dict[str, Any]:
    net = monthly_net(price_net, months)
    return {
        "currency": currency,
        "net": net,
        "gross": gross_from_net(net, tax_rate),
        "tax_rate": tax_rate,
    }


def summary(monthly: int, currency: str) -> str:
    """``Rent with topi from €31.94/month (simulated)``, in the language the shop asked in."""
    return _("Rent with topi from %(price)s/month (simulated)") % {
        "price": format_price(monthly, currency)
    }
