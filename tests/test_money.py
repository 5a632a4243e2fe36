"""Money: Decimal <-> minor units exactly, floats refused, tax rates as rate x 10000."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_topi import money


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        (Decimal("1190.00"), 119000),
        (Decimal("0.01"), 1),
        (Decimal("5"), 500),
        (Decimal("19.9"), 1990),
        (0, 0),
        (Decimal("-3.50"), -350),
    ],
)
def test_to_minor_units(amount, minor):
    assert money.to_minor_units(amount, "EUR") == minor


def test_from_minor_units_keeps_two_places():
    assert money.from_minor_units(119000, "EUR") == Decimal("1190.00")
    assert str(money.from_minor_units(5, "GBP")) == "0.05"


def test_floats_are_refused():
    with pytest.raises(TypeError, match="not a float"):
        money.to_minor_units(19.99, "EUR")  # type: ignore[arg-type]


def test_sub_cent_amounts_are_refused_not_rounded():
    with pytest.raises(ValueError, match="more decimal places than EUR allows"):
        money.to_minor_units(Decimal("1.005"), "EUR")


def test_unsupported_currency_is_refused():
    with pytest.raises(ValueError, match="does not support the currency 'JPY'"):
        money.to_minor_units(Decimal("100"), "JPY")


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_amounts_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        money.to_minor_units(bad, "EUR")


def test_round_money_is_half_up():
    assert money.round_money(Decimal("1.005"), "EUR") == Decimal("1.01")
    assert money.round_money(Decimal("1.004"), "EUR") == Decimal("1.00")
    assert money.round_money(Decimal("2.675"), "EUR") == Decimal("2.68")


@pytest.mark.parametrize(
    ("percent", "rate"),
    [(Decimal("19"), 1900), (Decimal("21.5"), 2150), (Decimal("7"), 700), (0, 0)],
)
def test_tax_rates_are_rate_times_ten_thousand(percent, rate):
    assert money.tax_rate_to_topi(percent) == rate
    assert money.tax_rate_from_topi(rate) == Decimal(percent).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (Decimal("19.005"), "cannot express"),
        (Decimal("-1"), "between 0 and 100"),
        (Decimal("101"), "between 0 and 100"),
    ],
)
def test_inexpressible_tax_rates_are_refused(bad, reason):
    with pytest.raises(ValueError, match=reason):
        money.tax_rate_to_topi(bad)


def test_gross_and_net_round_half_up():
    assert money.gross_from_net(100000, 1900) == 119000
    assert money.gross_from_net(1, 1900) == 1  # 1.19 cents
    assert money.gross_from_net(3, 1900) == 4  # 3.57 cents
    assert money.net_from_gross(119000, 1900) == 100000
    assert money.net_from_gross(595, 1900) == 500


def test_money_amount_builds_topis_object():
    assert money.money_amount(Decimal("1000.00"), "eur", tax_rate_percent=Decimal("19")) == {
        "currency": "EUR",
        "net": 100000,
        "gross": 119000,
    }
    assert money.money_amount(
        Decimal("1000"), "EUR", tax_rate_percent=19, include_tax_rate=True
    ) == {"currency": "EUR", "net": 100000, "gross": 119000, "tax_rate": 1900}
    assert money.money_amount(Decimal("5"), "EUR") == {"currency": "EUR", "net": 500}
    assert money.money_amount(Decimal("5"), "EUR", gross=Decimal("5.95")) == {
        "currency": "EUR",
        "net": 500,
        "gross": 595,
    }


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["EUR", "GBP", "USD"]))
def test_minor_units_round_trip_exactly(minor, currency):
    assert money.to_minor_units(money.from_minor_units(minor, currency), currency) == minor
