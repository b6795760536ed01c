"""JSON in and out with exact decimals, Bamboo-style dates, and a response class.

Money never passes through a binary float: request bodies are parsed with ``parse_float=Decimal``
and responses are written by a small encoder that prints a ``Decimal`` as its exact digits
(``Decimal("9.47")`` → ``9.47``, never ``9.4700000000000006``).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, Callable

from starlette.responses import Response

__all__ = [
    "dumps",
    "loads",
    "JSONResponse",
    "fmt_date",
    "fmt_date_plain",
    "parse_date",
    "fmt_decimal",
]


def fmt_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot encode {value!r} as JSON")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def _encode(obj: Any, out: Callable[[str], Any]) -> None:
    if obj is None:
        out("null")
    elif obj is True:
        out("true")
    elif obj is False:
        out("false")
    elif isinstance(obj, str):
        out(encode_basestring(obj))
    elif isinstance(obj, int):
        out(int.__repr__(obj))
    elif isinstance(obj, Decimal):
        out(fmt_decimal(obj))
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"cannot encode {obj!r} as JSON")
        out(repr(obj))
    elif isinstance(obj, dict):
        out("{")
        first = True
        for key, value in obj.items():
            if not first:
                out(",")
            first = False
            out(encode_basestring(str(key)))
            out(":")
            _encode(value, out)
        out("}")
    elif isinstance(obj, (list, tuple)):
        out("[")
        first = True
        for value in obj:
            if not first:
                out(",")
            first = False
            _encode(value, out)
        out("]")
    elif isinstance(obj, datetime):
        out(encode_basestring(fmt_date(obj)))
    else:
        raise TypeError(f"cannot encode {type(obj).__name__} as JSON")


def dumps(obj: Any) -> str:
    parts: list[str] = []
    _encode(obj, parts.append)
    return "".join(parts)


def loads(raw: bytes | str) -> Any:
    """Parse JSON keeping every non-integer number as an exact Decimal."""
    return json.loads(raw, parse_float=Decimal)


class JSONResponse(Response):
    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


# --- dates -------------------------------------------------------------------------------------
# Bamboo prints ISO dates without a timezone and with 7 fractional digits (.NET ticks). Python keeps
# microseconds, so the seventh digit is always 0. All simulator times are naive UTC.


def fmt_date(value: datetime) -> str:
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


def fmt_date_plain(value: datetime) -> str:
    """Without fractional digits, as in the orders report (``2024-05-15T00:00:00``)."""
    return f"{value:%Y-%m-%dT%H:%M:%S}"


_DATE_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def parse_date(text: str, *, end_of_day: bool = False) -> datetime:
    """Parse ``2024-05-01``, ``2024-05-01T10:00``, ``…:00.1234567``, optional ``Z``/offset.

    A date without a time is midnight, or 23:59:59.999999 with ``end_of_day``. An offset is
    applied and the result made naive UTC. Raises ValueError.
    """
    match = _DATE_RE.match(text or "")
    if not match:
        raise ValueError(f"not a date: {text!r}")
    year, month, day, hour, minute, second, frac, tz = match.groups()
    if hour is None:
        base = datetime(int(year), int(month), int(day))
        if end_of_day:
            base = base.replace(hour=23, minute=59, second=59, microsecond=999999)
        return base
    micro = int((frac or "0")[:6].ljust(6, "0"))
    value = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro
    )
    if tz and tz.upper() != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        value = value - sign * offset
    return value
