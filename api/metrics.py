"""`/metrics`: Prometheus text for this process, plus the shared state every replica can read.

This process's own series: request counts and latency, and (in `steller up`, where they share the
process) the worker's vendor calls and the bot's updates (`core.metrics`). The shared state
(orders by status, the arq queue, the notification backlog) is read from PostgreSQL and Redis at
most once per `SHARED_STATE_TTL_SECONDS`, whatever the scrape rate; when it cannot be read the
last values stay and `steller_shared_state_up` says 0.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from core.logging import get_logger
from core.metrics import read_shared_state

log = get_logger("api.metrics")
SHARED_STATE_TTL_SECONDS = 5.0
SHARED_STATE_TIMEOUT_SECONDS = 2.0

ORDERS = Gauge("steller_orders", "Orders by status and mode (live/test)", ["status", "mode"])
QUEUE = Gauge("steller_arq_queue_jobs", "Jobs in the arq queue: ready (due now) or deferred (later)", ["state"])
NOTIFICATIONS_PENDING = Gauge("steller_notifications_pending",
                              "Notification deliveries not done yet (channel=webhook: the webhook backlog)",
                              ["channel"])
NOTIFICATIONS_OLDEST = Gauge("steller_notifications_oldest_pending_seconds",
                             "Age of the oldest pending notification delivery", ["channel"])
SHARED_STATE_UP = Gauge("steller_shared_state_up", "1 if the last read of the shared state (PostgreSQL, Redis) worked")
SHARED_STATE_AGE = Gauge("steller_shared_state_age_seconds", "Seconds since the shared-state gauges were last read")

_lock = asyncio.Lock()
_last_read = {"at": float("-inf"), "ok_at": None}


async def refresh_shared_state(redis, *, ttl: float = SHARED_STATE_TTL_SECONDS) -> None:
    """Read the shared state into the gauges unless it was read less than `ttl` seconds ago."""
    async with _lock:
        now = time.monotonic()
        if now - _last_read["at"] < ttl:
            return
        _last_read["at"] = now
        try:
            state = await asyncio.wait_for(read_shared_state(redis), SHARED_STATE_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a scrape reports, it does not fail
            SHARED_STATE_UP.set(0)
            log.warning("metrics_shared_state_unavailable", error_type=type(exc).__name__)
            return
        for (status, mode), count in state.orders.items():
            ORDERS.labels(status, mode).set(count)
        QUEUE.labels("ready").set(state.queue_ready)
        QUEUE.labels("deferred").set(state.queue_deferred)
        for channel, count in state.notifications_pending.items():
            NOTIFICATIONS_PENDING.labels(channel).set(count)
        for channel, seconds in state.notifications_oldest_seconds.items():
            NOTIFICATIONS_OLDEST.labels(channel).set(round(seconds, 3))
        SHARED_STATE_UP.set(1)
        _last_read["ok_at"] = now


async def render(request: Request) -> Response:
    await refresh_shared_state(request.app.state.redis)
    ok_at = _last_read["ok_at"]
    SHARED_STATE_AGE.set(round(time.monotonic() - ok_at, 3) if ok_at is not None else -1)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
