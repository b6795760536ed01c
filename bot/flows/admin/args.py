"""Reading an admin shortcut's arguments strictly: words (a name with spaces goes in quotes), amounts
through core.money.parse_amount (signed for /adjust, zero allowed for /creditlimit)."""

from __future__ import annotations

import re
import shlex

from core.money import InvalidAmount, parse_amount

_SIGNS = {"+": 1, "-": -1, "−": -1, "–": -1}  # ASCII, the minus sign, an en dash (phones type it)
_ZERO = re.compile(r"^[0٠۰]+([.,٫][0٠۰]+)?$")
_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"'})


class Usage(Exception):
    """The arguments cannot be read: the handler shows the command's usage."""


def words(args: str | None) -> list[str]:
    """`"Top Agent" 50 ref-1` → ["Top Agent", "50", "ref-1"]; typographic quotes count as quotes."""
    try:
        return shlex.split((args or "").translate(_QUOTES))
    except ValueError as exc:  # an unclosed quote
        raise Usage(str(exc)) from exc


def signed_amount(text: str, currency: str) -> int:
    """`+12.50`, `-3`, `−3` (a typographic minus) → signed minor units; the sign is required."""
    text = text.strip()
    sign = _SIGNS.get(text[:1])
    if sign is None:
        raise InvalidAmount("an adjustment starts with + or -")
    return sign * parse_amount(text[1:], currency)


def amount_or_zero(text: str, currency: str) -> int:
    """A credit limit: a positive amount, or zero (`0`, `0.00`) to take the credit away."""
    if _ZERO.match(text.strip()):
        return 0
    return parse_amount(text, currency)
