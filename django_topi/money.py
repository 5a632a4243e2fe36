"""Money as topi speaks it: integers in the currency's minor unit, tax rates as rate x 10000.

Amounts enter as ``Decimal`` and leave as ``int`` minor units, exactly: a value with more decimal
places than the currency has is refused rather than silently rounded, and floats are refused
because they cannot represent most prices. Where a computation (gross from net) genuinely needs
rounding, it is explicit and half-up, as commercial rounding in Germany expects.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

from django.utils import formats, translation
from django.utils.translation import gettext

#: topi supports EUR, GBP and USD (API-NOTES §1.4); all three have two decimal places.
CURRENCY_EXPONENTS: dict[str, int] = {"EUR": 2, "GBP": 2, "USD": 2}

#: topi writes a tax rate as rate x 10000: 19 % is 1900, 21.5 % is 2150.
TAX_RATE_SCALE = 10000


class MoneyAmount(TypedDict, total=False):
    """topi's money object; ``gross`` and ``tax_rate`` are optional in some shapes."""

    currency: str
    net: int
    gross: int
    tax_rate: int


def exponent(currency: str) -> int:
    """The number of decimal places of ``currency`` (one that topi supports)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        supported = ", ".join(CURRENCY_EXPONENTS)
        raise ValueError(
            f"topi does not support the currency {currency!r} (only {supported})"
        ) from None


def _decimal(amount: object, what: str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError(f"{what} must be a Decimal, not a float ({amount!r}); use Decimal('...')")
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return value


def to_minor_units(amount: Decimal | int, currency: str) -> int:
    """``Decimal('1190.00')`` EUR -> ``119000``; refuses floats and sub-cent amounts."""
    value = _decimal(amount, "amount")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"{amount} {currency} has more decimal places than {currency} allows; "
            "round it first (see round_money)"
        )
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """``119000`` EUR -> ``Decimal('1190.00')``."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def round_money(amount: Decimal | int, currency: str) -> Decimal:
    """Round half-up to the currency's smallest unit: ``Decimal('1.005')`` -> ``Decimal('1.01')``."""
    value = _decimal(amount, "amount")
    return value.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


def tax_rate_to_topi(percent: Decimal | int) -> int:
    """``Decimal('19')`` percent -> ``1900``; ``Decimal('21.5')`` -> ``2150``."""
    value = _decimal(percent, "tax rate")
    if not 0 <= value <= 100:
        raise ValueError(f"a tax rate is a percentage between 0 and 100, not {value}")
    scaled = value * TAX_RATE_SCALE / 100
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"topi cannot express a tax rate of {value} % (two decimal places at most)"
        )
    return int(scaled)


def tax_rate_from_topi(rate: int) -> Decimal:
    """``1900`` -> ``Decimal('19.00')`` percent."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 0:
        raise ValueError(f"a topi tax rate is a non-negative int (rate x 10000), not {rate!r}")
    return (Decimal(rate) * 100 / TAX_RATE_SCALE).quantize(Decimal("0.01"))


def gross_from_net(net_minor: int, tax_rate: int) -> int:
    """Gross minor units from net minor units and a topi tax rate, rounded half-up."""
    gross = Decimal(net_minor) * (TAX_RATE_SCALE + tax_rate) / TAX_RATE_SCALE
    return int(gross.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_from_gross(gross_minor: int, tax_rate: int) -> int:
    """Net minor units from gross minor units and a topi tax rate, rounded half-up."""
    net = Decimal(gross_minor) * TAX_RATE_SCALE / (TAX_RATE_SCALE + tax_rate)
    return int(net.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money_amount(
    net: Decimal | int,
    currency: str,
    *,
    tax_rate_percent: Decimal | int | None = None,
    gross: Decimal | int | None = None,
    include_tax_rate: bool = False,
) -> MoneyAmount:
    """Build topi's money object from a net ``Decimal`` (gross derived from the rate when given).

    ``net`` must be exact in the currency; a derived gross is rounded half-up.
    """
    currency = currency.upper()
    amount: MoneyAmount = {"currency": currency, "net": to_minor_units(net, currency)}
    rate = None if tax_rate_percent is None else tax_rate_to_topi(tax_rate_percent)
    if gross is not None:
        amount["gross"] = to_minor_units(gross, currency)
    elif rate is not None:
        amount["gross"] = gross_from_net(amount["net"], rate)
    if include_tax_rate and rate is not None:
        amount["tax_rate"] = rate
    return amount


def format_money(minor: int | None, currency: str) -> str | None:
    """``119000`` EUR -> ``"1190.00 EUR"``; ``None`` when the amount is unknown."""
    if minor is None:
        return None
    if currency in CURRENCY_EXPONENTS:
        return f"{from_minor_units(minor, currency)} {currency}"
    return gettext("%(minor)s minor units of %(currency)s") % {
        "minor": minor,
        "currency": currency or gettext("an unknown currency"),
    }


CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
#: Languages that write the symbol before the amount ("€23.45"); the others write "23,45 €".
SYMBOL_FIRST = {"en": "{symbol}{amount}", "nl": "{symbol} {amount}"}


def format_price(minor: int, currency: str) -> str:
    """An amount for people, in the active language: "€23.45" in English, "23,45 €" in German."""
    number = formats.number_format(
        from_minor_units(minor, currency),
        decimal_pos=CURRENCY_EXPONENTS[currency],
        force_grouping=True,
    )
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    language = (translation.get_language() or "en").split("-")[0].lower()
    pattern = SYMBOL_FIRST.get(language, "{amount}\u00a0{symbol}")
    return pattern.format(symbol=symbol, amount=number)
