"""The example shop's one filter: prices as people read them in the active language."""

from decimal import Decimal

from django import template

from django_topi.money import format_price, to_minor_units

register = template.Library()


@register.filter
def euro(amount: Decimal) -> str:
    """``Decimal("1299.00")`` -> "€1,299.00" in English, "1.299,00 €" in German."""
    return format_price(to_minor_units(amount, "EUR"), "EUR")
