"""Prometheus metrics shared by the processes: vendor calls, bot updates, and the shared state.

* Per-process counters (this module's `Counter`s) count what the process does: the worker's Bamboo
  calls and 429s, the bot's updates. `steller up` runs everything in one process, so the API's
  `/metrics` shows them; a worker running alone shows them on `WORKER_METRICS_PORT` (off by default).
* The shared state (orders by status, the arq queue, the notification backlog) lives in PostgreSQL
  and Redis: any API replica reads it for its `/metrics` (`read_shared_state`), cached a few seconds.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import Counter
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

VENDOR_CALLS = Counter(
    "steller_vendor_calls_total", "Requests sent to the card vendor, by endpoint and HTTP status ('error': no answer)",
    ["vendor", "endpoint", "status"],
)
VENDOR_RATE_LIMITED = Counter(
    "steller_vendor_rate_limited_total", "429 (rate limited) answers from the card vendor", ["vendor", "endpoint"],
)
BOT_UPDATES = Counter("steller_bot_updates_total", "Telegram updates handled by the bot, by update type", ["type"])
# The series exist (at 0) before the first event, so a dashboard and an alert rule see them from the start.
for _endpoint in ("place_order", "get_order", "catalog"):
    VENDOR_RATE_LIMITED.labels("bamboo", _endpoint)
for _update_type in ("message", "callback_query"):
    BOT_UPDATES.labels(_update_type)


class MetricsSettings(BaseSettings):
    """Read from the environment (and `.env`) when the worker starts."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    # A worker running alone (`steller worker`) serves its own /metrics here; unset = off.
    # (`steller up` needs none: the API's /metrics is the same process.)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="WORKER_METRICS_PORT")
    worker_metrics_host: str = Field(default="127.0.0.1", alias="WORKER_METRICS_HOST")


# --- Vendor calls ------------------------------------------------------------------------------

_VERSION = re.compile(r"/v(\d+)(?:\.\d+)?(?=/|$)")
_BAMBOO_ROUTES = [
    # (method or None for any, normalized path pattern, endpoint name as in BambooEndpoint)
    ("POST", re.compile(r"^/api/integration/v\d+/orders/checkout$"), "place_order"),
    ("GET", re.compile(r"^/api/integration/v\d+/orders/(?:checkout/)?[^/]+$"), "get_order"),
    ("GET", re.compile(r"^/api/integration/v\d+/orders$"), "orders_report"),
    (None, re.compile(r"^/api/integration/v1/catalog$"), "catalog_v1"),
    (None, re.compile(r"^/api/integration/v\d+/catalog$"), "catalog"),
    (None, re.compile(r"^/api/integration/v\d+/categories$"), "categories"),
    (None, re.compile(r"^/api/integration/v\d+/accounts$"), "accounts"),
    (None, re.compile(r"^/api/integration/v\d+/exchange-rates$"), "exchange_rates"),
    (None, re.compile(r"^/api/integration/v\d+/transactions$"), "transactions"),
    (None, re.compile(r"^/api/integration/v\d+/notification$"), "notification"),
]


def bamboo_endpoint(method: str, path: str) -> str:
    """The endpoint a request went to, as a bounded label (never an order id from the path)."""
    normalized = _VERSION.sub(lambda m: f"/v{m.group(1)}", path.lower().rstrip("/"))
    for want, pattern, name in _BAMBOO_ROUTES:
        if (want is None or want == method.upper()) and pattern.match(normalized):
            return name
    return "other"


class MeteredTransport(httpx.AsyncBaseTransport):
    """Counts every request a vendor client sends and every 429 it gets, around the real transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, *, vendor: str = "bamboo"):
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.vendor = vendor

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = bamboo_endpoint(request.method, request.url.path)
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            VENDOR_CALLS.labels(self.vendor, endpoint, "error").inc()
            raise
        VENDOR_CALLS.labels(self.vendor, endpoint, str(response.status_code)).inc()
        if response.status_code == 429:
            VENDOR_RATE_LIMITED.labels(self.vendor, endpoint).inc()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- Shared state ------------------------------------------------------------------------------

ARQ_QUEUE = "arq:queue"  # arq's default queue: every job of ours goes there


@dataclass(frozen=True)
class SharedState:
    orders: dict[tuple[str, str], int]  # (status, "live" | "test") → orders
    notifications_pending: dict[str, int]  # channel → deliveries not yet done
    notifications_oldest_seconds: dict[str, float]  # channel → age of the oldest pending delivery
    queue_ready: int  # jobs due now, waiting for a worker
    queue_deferred: int  # jobs scheduled later (retries, polls)


_ORDERS_SQL = 'SELECT status, livemode, count(*) AS n FROM "order" GROUP BY status, livemode'
_NOTIFICATIONS_SQL = """
SELECT channel, count(*) AS n, extract(epoch FROM now() - min(created_at)) AS oldest
FROM notification WHERE status = 'pending' GROUP BY channel
"""


async def read_shared_state(redis: Any) -> SharedState:
    """One GROUP BY over orders, one over pending notifications, two Redis counts."""
    from tortoise.connection import get_connection

    from core.notifications.models import NotificationChannel
    from core.orders.models import OrderStatus

    conn = get_connection("default")
    orders = {(str(s), mode): 0 for s in OrderStatus for mode in ("live", "test")}
    for row in await conn.execute_query_dict(_ORDERS_SQL):
        orders[(row["status"], "live" if row["livemode"] else "test")] = int(row["n"])
    pending = {str(c): 0 for c in NotificationChannel}
    oldest = {str(c): 0.0 for c in NotificationChannel}
    for row in await conn.execute_query_dict(_NOTIFICATIONS_SQL):
        pending[row["channel"]] = int(row["n"])
        oldest[row["channel"]] = max(0.0, float(row["oldest"] or 0))
    now_ms = int(time.time() * 1000)
    total = int(await redis.zcard(ARQ_QUEUE))
    ready = int(await redis.zcount(ARQ_QUEUE, "-inf", now_ms))
    return SharedState(orders=orders, notifications_pending=pending, notifications_oldest_seconds=oldest,
                       queue_ready=ready, queue_deferred=max(0, total - ready))


def start_metrics_server(*, port: int, host: str = "127.0.0.1"):
    """This process's metrics on http://host:port/metrics (a daemon thread); returns a stop function."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
