"""The partner's API request log: recorded without a database round trip per request.

Every `/v1` request made with a valid key (the actor `api.deps.current_actor` put on
`request.state`) becomes one `core.analytics.service.LogEntry`: party, key id and display prefix,
mode, method, the route's *template* (`/v1/orders/{order_id}` — never the raw path, the query string,
the body, the key or a code), status, latency, request id, time. Requests refused before the key was
known (401, the rate limiter's 429) have no party and are not recorded.

The middleware only appends to an in-memory buffer (no await, no I/O). A background task of the
app's lifespan writes the buffer with one multi-row INSERT per batch of `REQUEST_LOG_BATCH_SIZE`
rows:

- at least every `REQUEST_LOG_FLUSH_SECONDS` (5 s), at once when the buffer reaches a batch, and a
  last time when the app shuts down (the lifespan is wrapped here, inside the app's own, so the
  database is still open);
- a failed write is logged (never with a row's content) and retried on the next round; the rows go
  back to the front of the buffer, in order. The request that added them never sees it;
- the buffer is bounded (`REQUEST_LOG_BUFFER_MAX`): while the database is down for long the oldest
  rows are dropped, counted in `dropped` and `steller_request_log_dropped_total`, and a warning is
  logged at most every 30 s.

Each API process has its own buffer; a process killed without a shutdown loses at most its unflushed
rows (about `REQUEST_LOG_FLUSH_SECONDS` of them): the log is an explorer's aid, not the books.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from prometheus_client import Counter
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.access.actor import ActorKind
from core.analytics.service import LogEntry
from core.logging import get_logger

log = get_logger("api.requestlog")

DROPPED = Counter("steller_request_log_dropped_total",
                  "Request-log rows dropped because the buffer was full (database unreachable for long)")
FLUSH_FAILURES = Counter("steller_request_log_flush_failures_total", "Failed request-log writes (retried)")
_WARN_EVERY = 30.0


class RequestLogSettings(BaseSettings):
    """Read from the environment (and `.env`) when the app is built."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    flush_seconds: float = Field(default=5.0, gt=0, alias="REQUEST_LOG_FLUSH_SECONDS")
    batch_size: int = Field(default=500, ge=1, alias="REQUEST_LOG_BATCH_SIZE")
    # About 0.3 KB a row: 20,000 rows (~6 MB) ride out a minute of database outage at 300 requests/s.
    buffer_max: int = Field(default=20_000, ge=1, alias="REQUEST_LOG_BUFFER_MAX")


class RequestLogBuffer:
    """The process's unwritten log rows and the task that writes them."""

    def __init__(self, *, flush_seconds: float = 5.0, batch_size: int = 500, max_rows: int = 20_000) -> None:
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.max_rows = max(max_rows, 1)
        self.dropped = 0
        self.written = 0
        self._rows: deque[LogEntry] = deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._last_warning = 0.0

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, entry: LogEntry) -> None:
        """Buffer one row (no I/O). A full batch wakes the writer; a full buffer drops its oldest row."""
        self._rows.append(entry)
        self._trim()
        if len(self._rows) >= self.batch_size:
            self._wake.set()

    def _trim(self) -> None:
        over = len(self._rows) - self.max_rows
        if over <= 0:
            return
        for _ in range(over):
            self._rows.popleft()
        self.dropped += over
        DROPPED.inc(over)
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            log.warning("request_log_dropped", dropped_total=self.dropped, buffered=len(self._rows),
                        detail="the request log could not be written for long: oldest rows dropped")

    async def flush(self) -> int:
        """Write everything buffered now, a batch per statement. On a failure the unwritten rows go
        back to the front of the buffer (in order) and the error propagates. Returns rows written."""
        from core.analytics import service

        written = 0
        async with self._lock:
            while self._rows:
                batch = [self._rows.popleft() for _ in range(min(self.batch_size, len(self._rows)))]
                try:
                    await service.write_entries(batch)
                except BaseException:
                    self._rows.extendleft(reversed(batch))
                    self._trim()
                    raise
                written += len(batch)
                self.written += len(batch)
        return written

    async def flush_safely(self) -> bool:
        """`flush`, logging a failure instead of raising (the rows stay for the next round)."""
        try:
            await self.flush()
            return True
        except Exception as exc:  # noqa: BLE001 - retried next round; requests never wait for it
            FLUSH_FAILURES.inc()
            log.warning("request_log_flush_failed", error_type=type(exc).__name__, buffered=len(self._rows))
            return False

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_seconds)
            self._wake.clear()
            if not await self.flush_safely():
                await asyncio.sleep(self.flush_seconds)  # the database is down: no tight retry loop

    def start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()  # bound to the running loop
            self._task = asyncio.create_task(self._run(), name="request-log-flusher")

    async def stop(self) -> None:
        """Stop the writer and write what is left (once; a failure is logged and the rows are lost
        with the process)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._rows and not await self.flush_safely():
            log.warning("request_log_lost_on_shutdown", rows=len(self._rows))


class RequestLogMiddleware:
    """Pure ASGI: times the request, sees its status, and after the response buffers one row when the
    request carried a valid key. Never fails a request: a problem building the row is only logged."""

    def __init__(self, app: ASGIApp, buffer: RequestLogBuffer) -> None:
        self.app = app
        self.buffer = buffer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        at = datetime.now(UTC)
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception:
            # The outer request middleware turns it into a 500 (unless the response had started).
            self._record(scope, status, at, (time.perf_counter() - started) * 1000)
            raise
        self._record(scope, status, at, (time.perf_counter() - started) * 1000)

    def _record(self, scope: Scope, status: int, at: datetime, latency_ms: float) -> None:
        try:
            state = scope.get("state") or {}
            actor = state.get("actor")
            if actor is None or actor.kind != ActorKind.API_KEY or actor.party_id is None:
                return
            route = getattr(scope.get("route"), "path", None)
            if not route:
                return
            self.buffer.add(LogEntry.of(
                party_id=actor.party_id, api_key_id=actor.api_key_id, key_prefix=actor.label.removeprefix("api:"),
                livemode=actor.livemode, method=scope.get("method", ""), route=route, status=status,
                latency_ms=latency_ms, request_id=state.get("request_id"), created_at=at))
        except Exception as exc:  # noqa: BLE001 - the log never breaks a request
            log.warning("request_log_record_failed", error_type=type(exc).__name__)


def install(app: FastAPI, settings: RequestLogSettings | None = None) -> None:
    """Adds the request-log middleware and its flusher to `app` (settings read from the environment
    now). The buffer is `app.state.request_log`; the flusher runs inside the app's own lifespan."""
    settings = settings or RequestLogSettings()
    buffer = RequestLogBuffer(flush_seconds=settings.flush_seconds, batch_size=settings.batch_size,
                              max_rows=settings.buffer_max)
    app.state.request_log = buffer
    app.add_middleware(RequestLogMiddleware, buffer=buffer)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_):
        # Inside the app's lifespan: the database is open before the flusher starts and still open
        # for the last flush.
        async with inner(app_) as state:
            buffer.start()
            try:
                yield state
            finally:
                await buffer.stop()

    app.router.lifespan_context = lifespan
