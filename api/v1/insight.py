"""Partner API: insight — the party's API request log and its stats (orders, spend, API calls)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import current_actor
from api.v1.common import (  # noqa: I001
    utc,
    InvalidCursor,
    Money,
    Page,
    decode_cursor,
    encode_cursor,
    money,
    problem_responses,
)
from core.access.actor import Actor
from core.analytics import service as analytics
from core.analytics.models import RequestLog

router = APIRouter(prefix="/v1", tags=["insight"])


class RequestLogEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 90211, "method": "GET", "path": "/v1/orders/{order_id}", "status": 200, "latency_ms": 12,
        "key_prefix": "sk_live_ab12cd34", "request_id": "7f3c9a1e0b5d4c2a8e6f1b3d5a7c9e0f",
        "created_at": "2025-01-31T12:00:00Z", "livemode": True}]})

    id: int = Field(examples=[90211])
    method: str = Field(examples=["GET"])
    path: str = Field(description="The route's template, never the path you sent: ids show as `{order_id}`, "
                                  "and no query string is kept", examples=["/v1/orders/{order_id}"])
    status: int = Field(description="The HTTP status answered", examples=[200])
    latency_ms: int = Field(description="Time in the API, whole milliseconds", examples=[12])
    key_prefix: str = Field(description="The key's display prefix (never the key)", examples=["sk_live_ab12cd34"])
    request_id: str = Field(description="The response's `X-Request-Id`", examples=["7f3c9a1e0b5d4c2a8e6f1b3d5a7c9e0f"])
    created_at: datetime = Field(description="When the request came in, RFC 3339 UTC",
                                 examples=["2025-01-31T12:00:00Z"])
    livemode: bool = Field(description="false: made with a `sk_test_` key", examples=[True])


class RequestLogPage(Page[RequestLogEntry]):
    pass


class OrderFigures(BaseModel):
    count: int = Field(description="Orders placed in the window, whatever their status (open ones included)",
                       examples=[42])
    completed: int = Field(description="Of those, orders that delivered cards (fully or partially)", examples=[40])
    partially_completed: int = Field(description="Of `completed`, orders that delivered only some of their cards",
                                     examples=[1])
    failed: int = Field(description="Of those, orders that failed (nothing delivered, nothing charged)", examples=[1])
    success_rate: str | None = Field(
        description="completed ÷ (completed + failed), a decimal fraction with 4 places; orders still open are "
                    "not counted; null while none has finished", examples=["0.9756"])


class TopProduct(BaseModel):
    product_id: int = Field(examples=[101])
    name: str = Field(examples=["Amazon.com US 10"])
    orders: int = Field(description="Orders of this product in the window that delivered cards", examples=[12])
    spend: Money = Field(description="What those orders cost you")


class ApiFigures(BaseModel):
    calls: int = Field(description="Requests made with your keys of this mode in the window (requests refused "
                                   "before the key was recognised, 401 and 429, carry no key and are not "
                                   "counted; the last few seconds may not be in yet)", examples=[1250])
    errors: int = Field(description="Of those, answers with a 4xx or 5xx status", examples=[7])
    error_rate: str | None = Field(description="errors ÷ calls, a decimal fraction with 4 places; null without "
                                               "calls", examples=["0.0056"])


class PartnerStats(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "days": 30, "livemode": True,
        "orders": {"count": 42, "completed": 40, "partially_completed": 1, "failed": 1, "success_rate": "0.9756"},
        "spend": {"amount": "1163.20", "currency": "USD"}, "average_order": {"amount": "29.08", "currency": "USD"},
        "top_products": [{"product_id": 101, "name": "Amazon.com US 10", "orders": 12,
                          "spend": {"amount": "116.40", "currency": "USD"}}],
        "api": {"calls": 1250, "errors": 7, "error_rate": "0.0056"}}]})

    days: int = Field(description="The window: the last `days` × 24 hours up to now", examples=[30])
    livemode: bool = Field(description="The figures are of this mode only: your key's", examples=[True])
    orders: OrderFigures = Field(description="Orders placed in the window (by when they were placed)")
    spend: Money = Field(description="What the orders placed in the window cost you, in your wallet's currency: a "
                                     "completed order its total, a partially completed one the cards it "
                                     "delivered (unit price × cards delivered); failed and open orders nothing")
    average_order: Money | None = Field(description="spend ÷ completed orders, rounded half-up to the minor unit; null "
                                                     "without a completed order")
    top_products: list[TopProduct] = Field(description="Up to 5 products by spend (then orders) among the "
                                                       "orders that delivered cards")
    api: ApiFigures = Field(description="Your API requests in the window, from the request log")


_MAX_ID = 2**63 - 1


def _position(cursor: str | None) -> analytics.LogPosition | None:
    parts = decode_cursor(cursor, 2)
    if parts is None:
        return None
    try:
        at, last_id = utc(datetime.fromisoformat(parts[0])), int(parts[1])
    except (TypeError, ValueError):
        raise InvalidCursor("this cursor was not made by this API") from None
    if isinstance(parts[1], bool) or not 0 < last_id <= _MAX_ID:
        raise InvalidCursor("this cursor was not made by this API")
    return at, last_id


def _entry(row: RequestLog) -> RequestLogEntry:
    return RequestLogEntry(id=row.id, method=row.method, path=row.path, status=row.status, latency_ms=row.latency_ms,
                           key_prefix=row.key_prefix, request_id=row.request_id, created_at=row.created_at,
                           livemode=row.livemode)


@router.get("/logs", response_model=RequestLogPage, summary="Your API request log, newest first",
            description="Every request made with your keys of the calling key's mode (a test key sees test "
                        "requests, a live key live ones): method, route template, status, latency, key prefix, "
                        "request id, time. Never a query string, a body or a key. Requests refused before your "
                        "key was recognised (401, 429) are not in it. Rows appear within a few seconds and are "
                        "kept 30 days.",
            responses=problem_responses((422, "validation_failed"), (422, "cursor.invalid"),
                                        (422, "log.invalid_status")))
async def list_request_log(
    actor: Actor = Depends(current_actor),
    status: Annotated[str | None, Query(pattern=r"^([1-5][0-9][0-9]|[1-5]xx)$",
                                        description="A status (`404`) or a class (`2xx`, `4xx`, `5xx`)",
                                        examples=["4xx"])] = None,
    path: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^/[!-~]*$",
                                      description="Only routes whose template starts with this",
                                      examples=["/v1/orders"])] = None,
    since: Annotated[datetime | None, Query(description="RFC 3339; inclusive",
                                            examples=["2025-01-01T00:00:00Z"])] = None,
    until: Annotated[datetime | None, Query(description="RFC 3339; exclusive",
                                            examples=["2025-02-01T00:00:00Z"])] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> RequestLogPage:
    page = await analytics.log_page(actor=actor, party_id=actor.party_id, status=status, path=path,
                                    since=utc(since), until=utc(until), limit=limit, after=_position(cursor))
    next_cursor = None
    if page.next_after is not None:
        at, last_id = page.next_after
        next_cursor = encode_cursor(at.isoformat(), last_id)
    return RequestLogPage(data=[_entry(r) for r in page.rows], next_cursor=next_cursor)


@router.get("/stats", response_model=PartnerStats, summary="Your orders, spend and API use over the last days",
            description="Figures of the calling key's mode over the last `days` × 24 hours: orders placed and how "
                        "they ended, what they cost, the top products, and your API calls and error answers.",
            responses=problem_responses((422, "validation_failed"), (422, "stats.invalid_days")))
async def get_stats(
    actor: Actor = Depends(current_actor),
    days: Annotated[int, Query(ge=1, le=90, description="The window in days (1–90)", examples=[30])] = 30,
) -> PartnerStats:
    stats = await analytics.party_stats(actor=actor, party_id=actor.party_id, days=days)
    currency = stats.currency
    average = stats.average_order
    return PartnerStats(
        days=stats.days, livemode=stats.livemode,
        orders=OrderFigures(count=stats.orders, completed=stats.completed,
                            partially_completed=stats.partially_completed, failed=stats.failed,
                            success_rate=_fraction(stats.success_rate)),
        spend=money(stats.spend, currency), average_order=money(average, currency) if average is not None else None,
        top_products=[TopProduct(product_id=p.product_id, name=p.name, orders=p.orders,
                                 spend=money(p.spend, currency)) for p in stats.top_products],
        api=ApiFigures(calls=stats.api_calls, errors=stats.api_errors, error_rate=_fraction(stats.error_rate)),
    )


def _fraction(value) -> str | None:
    return None if value is None else format(value, "f")
