"""The partner API's request log (written in batches, read as pages, purged) and a party's stats.

- `LogEntry` / `write_entries`: what the API buffers in memory and writes in one multi-row INSERT per
  batch (the API never writes a row per request). An entry holds the route's template, never the
  raw path, a query string, a body, a key or a code.
- `log_page`: a party's own log, newest first, keyset pages on (created_at, id); a key sees its own
  mode only.
- `party_stats`: orders, spend, top products and API calls of one party and mode over the last N days.
- `purge_request_log`: rows older than `REQUEST_LOG_RETENTION_DAYS` (default 30) go, in batches.

Money is in minor units of the party's wallet currency; rates are `Decimal` fractions (4 places).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from tortoise.connection import get_connection
from tortoise.expressions import Q

from core.access.actor import Actor, ActorKind
from core.access.policy import Permission, authorize
from core.analytics.models import RequestLog
from core.errors import NotFound, ValidationFailed

RATE_PLACES = Decimal("0.0001")
MAX_DAYS = 90
TOP_PRODUCTS = 5


class AnalyticsSettings(BaseSettings):
    """Read from the environment (and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    # Days a request-log row is kept; the daily purge (jobs.periodic.purge_request_log) deletes older ones.
    retention_days: int = Field(default=30, ge=1, alias="REQUEST_LOG_RETENTION_DAYS")


class InvalidStatusFilter(ValidationFailed):
    code = "log.invalid_status"


class InvalidDays(ValidationFailed):
    code = "stats.invalid_days"


# --- Writing --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LogEntry:
    party_id: int
    api_key_id: int
    key_prefix: str  # the key's display prefix ("sk_live_ab12cd34"), never the key
    livemode: bool
    method: str
    path: str  # the route's template ("/v1/orders/{order_id}")
    status: int
    latency_ms: int
    request_id: str
    created_at: datetime  # when the request came in

    @classmethod
    def of(cls, *, party_id: int, api_key_id: int, key_prefix: str, livemode: bool, method: str, route: str,
           status: int, latency_ms: float, request_id: str | None, created_at: datetime) -> LogEntry:
        """An entry cut to the columns' sizes. `route` must be a route template: anything after a `?`
        (a query) is cut off, in case a caller ever passes a raw target."""
        return cls(party_id=party_id, api_key_id=api_key_id, key_prefix=key_prefix[:16], livemode=livemode,
                   method=method.upper()[:8], path=route.split("?", 1)[0][:200], status=int(status),
                   latency_ms=max(0, round(latency_ms)), request_id=(request_id or "")[:64],
                   created_at=created_at)


_INSERT = """
INSERT INTO api_request_log
    (party_id, api_key_id, key_prefix, livemode, method, path, status, latency_ms, request_id, created_at)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::varchar[], $4::boolean[], $5::varchar[], $6::varchar[],
                     $7::smallint[], $8::integer[], $9::varchar[], $10::timestamptz[])
"""


async def write_entries(entries: Sequence[LogEntry]) -> int:
    """Write `entries` in one statement (one round trip, however many rows). Returns how many."""
    if not entries:
        return 0
    columns = [[getattr(e, name) for e in entries] for name in (
        "party_id", "api_key_id", "key_prefix", "livemode", "method", "path", "status", "latency_ms",
        "request_id", "created_at")]
    await get_connection("default").execute_query(_INSERT, columns)
    return len(entries)


async def purge_request_log(*, now: datetime | None = None, retention_days: int | None = None,
                            batch: int = 5000) -> int:
    """Delete rows older than the retention, `batch` at a time (short statements, no long lock).
    Returns how many went."""
    days = retention_days if retention_days is not None else AnalyticsSettings().retention_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    conn = get_connection("default")
    total = 0
    while True:
        deleted, _ = await conn.execute_query(
            "DELETE FROM api_request_log WHERE id IN "
            "(SELECT id FROM api_request_log WHERE created_at < $1 LIMIT $2)", [cutoff, batch])
        total += deleted
        if deleted < batch:
            return total


# --- Reading the log ------------------------------------------------------------------------------

LogPosition = tuple[datetime, int]  # (created_at, id) of the last row of a page

_STATUS_FILTER = re.compile(r"^(?:([1-5][0-9][0-9])|([1-5])xx)$")


def status_range(value: str | None) -> tuple[int, int] | None:
    """`"404"` → (404, 404); `"4xx"` → (400, 499); None → no filter."""
    if value is None:
        return None
    match = _STATUS_FILTER.match(value.strip().lower())
    if match is None:
        raise InvalidStatusFilter("status is a code (404) or a class (2xx, 4xx, 5xx)")
    if match.group(1):
        code = int(match.group(1))
        return code, code
    low = int(match.group(2)) * 100
    return low, low + 99


def _mode(actor: Actor, livemode: bool | None) -> bool | None:
    # A key sees its own mode only, whatever it asks; others choose (None: both).
    return actor.livemode if actor.kind == ActorKind.API_KEY else livemode


@dataclass(frozen=True)
class LogPage:
    rows: list[RequestLog]
    next_after: LogPosition | None  # pass as `after` for the next page; None on the last page


async def log_page(*, actor: Actor, party_id: int, status: str | None = None, path: str | None = None,
                   since: datetime | None = None, until: datetime | None = None, livemode: bool | None = None,
                   limit: int = 20, after: LogPosition | None = None) -> LogPage:
    """`party_id`'s request log, newest first: `status` a code or a class (`4xx`), `path` a prefix of
    the route template, `since` inclusive, `until` exclusive. Up to `limit` (1–100) rows per page."""
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    limit = max(1, min(limit, 100))
    query = RequestLog.filter(party_id=party_id)
    mode = _mode(actor, livemode)
    if mode is not None:
        query = query.filter(livemode=mode)
    statuses = status_range(status)
    if statuses is not None:
        query = query.filter(status__gte=statuses[0], status__lte=statuses[1])
    if path:
        query = query.filter(path__startswith=path)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    if after is not None:
        # Keyset on (created_at, id), newest first: rows sharing a timestamp are ordered by id, so a
        # page boundary inside such a run neither skips nor repeats a row.
        at, last_id = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id))
    rows = list(await query.order_by("-created_at", "-id").limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return LogPage(rows=rows, next_after=(rows[-1].created_at, rows[-1].id) if more and rows else None)


# --- Stats ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductFigures:
    product_id: int
    name: str
    orders: int  # orders of this product that delivered at least one card
    spend: int  # minor units


@dataclass(frozen=True)
class PartyStats:
    days: int
    livemode: bool
    currency: str
    since: datetime  # inclusive
    until: datetime  # exclusive (when the stats were read)
    orders: int  # every order placed in the window, whatever its status
    completed: int  # delivered at least one card: completed + partially completed
    partially_completed: int  # of `completed`, those that delivered only some cards
    failed: int
    spend: int  # minor units of `currency`: what the settled orders cost
    top_products: list[ProductFigures]
    api_calls: int
    api_errors: int  # 4xx and 5xx

    @property
    def success_rate(self) -> Decimal | None:
        """completed ÷ (completed + failed): open orders are not counted yet; None without any."""
        return _rate(self.completed, self.completed + self.failed)

    @property
    def average_order(self) -> int | None:
        """spend ÷ completed, half-up to the minor unit; None without a completed order."""
        if self.completed <= 0:
            return None
        return (2 * self.spend + self.completed) // (2 * self.completed)

    @property
    def error_rate(self) -> Decimal | None:
        return _rate(self.api_errors, self.api_calls)


def _rate(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


# What a settled order cost: a completed order its total; a partial one the delivered cards only (the
# rest of its hold was released); a failed or open one nothing.
_SPEND = ("CASE WHEN o.status = 'completed' THEN o.total "
          "WHEN o.status = 'partially_completed' THEN o.unit_price * o.cards_delivered ELSE 0 END")

_ORDERS = f"""
SELECT COUNT(*) AS orders,
       COUNT(*) FILTER (WHERE o.status IN ('completed', 'partially_completed') AND o.cards_delivered > 0) AS completed,
       COUNT(*) FILTER (WHERE o.status = 'partially_completed' AND o.cards_delivered > 0) AS partial,
       COUNT(*) FILTER (WHERE o.status = 'failed') AS failed,
       COALESCE(SUM({_SPEND}) FILTER (WHERE o.currency = $5), 0) AS spend
  FROM "order" o
 WHERE o.party_id = $1 AND o.livemode = $2 AND o.created_at >= $3 AND o.created_at < $4
"""

_TOP_PRODUCTS = f"""
SELECT o.product_id, p.name, COUNT(*) AS orders, SUM({_SPEND}) AS spend
  FROM "order" o JOIN catalog_product p ON p.id = o.product_id
 WHERE o.party_id = $1 AND o.livemode = $2 AND o.created_at >= $3 AND o.created_at < $4 AND o.currency = $5
   AND o.status IN ('completed', 'partially_completed') AND o.cards_delivered > 0
 GROUP BY o.product_id, p.name
 ORDER BY spend DESC, orders DESC, o.product_id
 LIMIT $6
"""

_API = """
SELECT COUNT(*) AS calls, COUNT(*) FILTER (WHERE l.status >= 400) AS errors
  FROM api_request_log l
 WHERE l.party_id = $1 AND l.livemode = $2 AND l.created_at >= $3 AND l.created_at < $4
"""


async def party_stats(*, actor: Actor, party_id: int, days: int = 30, livemode: bool = True,
                      now: datetime | None = None, top: int = TOP_PRODUCTS) -> PartyStats:
    """`party_id`'s figures over the last `days` (1–90) × 24 hours up to now, in one mode (a key's own).

    The orders counted are those *placed* in the window (`created_at`), so count, outcome and spend
    describe the same set of orders. API calls are the request log's rows of the window: requests
    refused before the key was known (401, 429) have no party and are not in it, and the last few
    seconds may still be in the API's buffer.
    """
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidDays(f"days is 1–{MAX_DAYS}")
    from core.parties.models import Party

    found = await Party.filter(id=party_id).values_list("currency", flat=True)
    if not found:
        raise NotFound(f"no party {party_id}")
    currency = found[0]
    mode = bool(_mode(actor, livemode))
    until = now or datetime.now(UTC)
    since = until - timedelta(days=days)
    conn = get_connection("default")
    [orders] = await conn.execute_query_dict(_ORDERS, [party_id, mode, since, until, currency])
    top_rows = await conn.execute_query_dict(_TOP_PRODUCTS, [party_id, mode, since, until, currency, top])
    [api] = await conn.execute_query_dict(_API, [party_id, mode, since, until])
    return PartyStats(
        days=days, livemode=mode, currency=currency, since=since, until=until, orders=int(orders["orders"]),
        completed=int(orders["completed"]), partially_completed=int(orders["partial"]),
        failed=int(orders["failed"]), spend=int(orders["spend"]),
        top_products=[ProductFigures(product_id=r["product_id"], name=r["name"], orders=int(r["orders"]),
                                     spend=int(r["spend"])) for r in top_rows],
        api_calls=int(api["calls"]), api_errors=int(api["errors"]))
