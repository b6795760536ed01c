"""What every v1 router shares: money as decimal strings, cursor pages, documented error responses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import binascii
import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from core.errors import ValidationFailed
from core.money import from_minor

T = TypeVar("T")


class Money(BaseModel):
    amount: str = Field(description="A decimal string, never a JSON number", examples=["9.47"])
    currency: str = Field(examples=["USD"])


def money(amount_minor: int, currency: str) -> Money:
    return Money(amount=str(from_minor(amount_minor, currency)), currency=currency)


def _decimal_string(value: Any) -> Decimal:
    # Money arrives as a string: a JSON number may already have lost digits in the client's float.
    if not isinstance(value, str):
        raise ValueError("send amounts as decimal strings, e.g. \"10.00\"")
    try:
        parsed = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError("not a decimal amount") from None
    if not parsed.is_finite() or parsed <= 0:
        raise ValueError("the amount must be a positive decimal")
    return parsed


DecimalString = Annotated[Decimal, BeforeValidator(_decimal_string)]


def utc(value: datetime | None) -> datetime | None:
    """A query time in UTC (a bare timestamp is read as UTC, as RFC 3339 says). A time whose offset
    pushes it past year 1 or 9999 is the earliest / latest time there is, not a server error."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class InvalidCursor(ValidationFailed):
    code = "cursor.invalid"


def encode_cursor(*parts: Any) -> str:
    """Opaque to clients: the sort position of the last row returned (its id breaks ties)."""
    raw = json.dumps(list(parts), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor("this cursor was not made by this API") from None
    if not isinstance(parts, list) or len(parts) != arity:
        raise InvalidCursor("this cursor was not made by this API")
    return parts


def decode_position(cursor: str | None) -> int | None:
    """A cursor holding one positive integer (a row id or an entry number), or None for the first page."""
    parts = decode_cursor(cursor, 1)
    if parts is None:
        return None
    if not isinstance(parts[0], int) or isinstance(parts[0], bool) or parts[0] < 1:
        raise InvalidCursor("this cursor was not made by this API")
    return parts[0]


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable, dotted: what went wrong", examples=["order.insufficient_funds"])
    request_id: str | None = Field(description="Quote this when asking for help")
    errors: list[dict[str, str]] | None = Field(default=None, description="422 only: one entry per field")


_STATUS_TEXT = {400: "Bad request", 401: "Unauthenticated", 402: "Payment required", 403: "Forbidden",
                404: "Not found", 409: "Conflict", 422: "Invalid input", 429: "Too many requests",
                503: "Unavailable"}


def problem_responses(*codes_by_status: tuple[int, str]) -> dict[int | str, dict]:
    """OpenAPI `responses` for an operation: each status with the codes it may carry, as problem+json.

    Every authenticated operation also documents 401/403/429; pass the operation's own on top.
    """
    # 422 is always ours (problem+json with `errors[]`), never FastAPI's default validation schema.
    merged: dict[int, list[str]] = {401: ["auth.missing", "auth.invalid"], 403: ["party.inactive"],
                                    422: ["validation_failed"], 429: ["rate_limited"], 503: ["unavailable"]}
    for status, code in codes_by_status:
        if code not in merged.setdefault(status, []):
            merged[status].append(code)
    return {
        status: {"model": Problem, "content": {"application/problem+json": {}},
                 "description": f"{_STATUS_TEXT.get(status, 'Error')}: " + ", ".join(f"`{c}`" for c in codes)}
        for status, codes in sorted(merged.items())
    }
