"""A fixed, plausible exchange-rate table (USD based) and the cross rates derived from it.

``rate(base, currency)`` is how many ``currency`` one unit of ``base`` buys, rounded to 6
decimals (except USD-based rates, which are the table values exactly). The same value is served by
the exchange-rates endpoint and used to charge accounts, so a client can reproduce every charge.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "AED": Decimal("3.6725"),
    "SAR": Decimal("3.75"),
    "BHD": Decimal("0.376"),
    "KWD": Decimal("0.3075"),
    "QAR": Decimal("3.64"),
    "OMR": Decimal("0.3845"),
    "EGP": Decimal("48.5"),
    "TRY": Decimal("32.5"),
    "INR": Decimal("83.2"),
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
}
_SIX = Decimal("0.000001")


class UnknownCurrency(KeyError):
    pass


def rate(base: str, currency: str) -> Decimal:
    base, currency = base.upper(), currency.upper()
    if base not in USD_RATES:
        raise UnknownCurrency(base)
    if currency not in USD_RATES:
        raise UnknownCurrency(currency)
    if base == currency:
        return Decimal(1)
    if base == "USD":
        return USD_RATES[currency]
    value = (USD_RATES[currency] / USD_RATES[base]).quantize(_SIX, rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def table(base: str) -> list[tuple[str, Decimal]]:
    return [(code, rate(base, code)) for code in USD_RATES]
