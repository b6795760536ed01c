from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import InvalidAmount, exponent, format_money, from_minor, parse_amount, round_to_minor, to_minor


def test_to_minor_is_exact_and_refuses_extra_decimals():
    assert to_minor(Decimal("9.47"), "USD") == 947
    assert to_minor("1.005", "BHD") == 1005
    assert to_minor("12", "JPY") == 12
    with pytest.raises(InvalidAmount):
        to_minor("9.475", "USD")
    with pytest.raises(InvalidAmount):
        to_minor("NaN", "USD")


def test_round_half_up_in_one_place():
    assert round_to_minor(Decimal("9.465"), "USD") == 947
    assert round_to_minor(Decimal("9.4649"), "USD") == 946
    assert round_to_minor(Decimal("0.0005"), "BHD") == 1


@pytest.mark.parametrize("text,expected", [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("12,5", 1250), (" 3 ", 300), ("١٢٫٥", 1250), ("۱۲", 1200)])
def test_parse_amount_accepts_what_people_type(text, expected):
    assert parse_amount(text, "USD") == expected


@pytest.mark.parametrize("text", ["", "abc", "12.", ".5", "1.2.3", "-5", "12.505", "0", "0.00", "1e3", "12 50", "１２", "1_000"])
def test_parse_amount_refuses_anything_else(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["USD", "BHD", "JPY", "AED"]))
def test_minor_round_trip(minor, currency):
    assert to_minor(from_minor(minor, currency), currency) == minor
    assert format_money(minor, currency).endswith(currency)
    assert exponent(currency) in (0, 2, 3)
