"""Money as integers in minor units, with the currency beside them. Never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.errors import ValidationFailed

# ISO 4217 minor-unit exponents that differ from 2; every other currency has 2.
_EXPONENTS = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
}


class InvalidAmount(ValidationFailed):
    code = "amount.invalid"


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Exact conversion: refuses an amount with more decimals than the currency has."""
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except InvalidOperation as exc:
        raise InvalidAmount(f"not an amount: {amount!r}") from exc
    if not value.is_finite():
        raise InvalidAmount(f"not an amount: {amount!r}")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def round_to_minor(amount: Decimal, currency: str) -> int:
    """The one rounding rule (half-up to the currency's minor unit); pricing calls this."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_minor(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency)).quantize(quantum(currency))


def format_money(amount_minor: int, currency: str) -> str:
    return f"{from_minor(amount_minor, currency)} {currency.upper()}"


# Arabic-speaking users type Arabic-Indic digits and the Arabic decimal separator.
_DIGIT_MAP = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
              0x066B: "."}
_ASCII_DIGITS = frozenset("0123456789")


def parse_amount(text: str, currency: str) -> int:
    """Strict parser for amounts typed by people: `12`, `12.5`, `12.50`, `12,5`. Positive only."""
    cleaned = text.strip().translate(_DIGIT_MAP).replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        raise InvalidAmount("That is not an amount")
    whole, _, frac = cleaned.partition(".")
    if not whole or not set(whole) <= _ASCII_DIGITS or not set(frac) <= _ASCII_DIGITS or cleaned.endswith("."):
        raise InvalidAmount("That is not an amount")
    if len(frac) > exponent(currency):
        raise InvalidAmount("That is not an amount")
    minor = to_minor(Decimal(cleaned), currency)
    if minor <= 0:
        raise InvalidAmount("The amount must be above zero")
    return minor


def plain(value: Decimal) -> str:
    """A Decimal for people: no exponent, no trailing zeros (10.5000 → "10.5", 10 → "10")."""
    text = format(value.normalize(), "f")
    return text
