"""The API application: health, metrics, request ids. Partner routes mount here."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog
from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI, Request, Response
from prometheus_client import Counter, Histogram
from tortoise.connection import get_connection

from api import problems, ratelimit, requestlog, telegram
from core.config import get_settings
from core.db import close_db, init_db

access_log = structlog.get_logger("api.access")
REQUESTS = Counter("steller_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("steller_http_request_seconds", "HTTP request latency", ["method", "route"])


# A client's X-Request-Id is kept (and shows in our logs and audit rows) only when short and plain.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def client_request_id(value: str | None) -> str | None:
    return value if value and _SAFE_REQUEST_ID.fullmatch(value) else None


async def _flush_key_use_every(seconds: float) -> None:
    """API keys' "last used" is written in batches, never with a write per request."""
    from core.access.api_keys import flush_last_used

    while True:
        await asyncio.sleep(seconds)
        try:
            await flush_last_used()
        except Exception as exc:  # noqa: BLE001 - the next round tries again; requests never wait for it
            structlog.get_logger("api").warning("key_use_flush_failed", error_type=type(exc).__name__)


def create_app(*, manage_db: bool = True, key_use_flush_seconds: float = 5.0) -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if manage_db:
            await init_db()
        app.state.redis = aioredis.from_url(settings.redis_url)
        # Jobs (place_order, notifications) are enqueued here after the request's transaction commits.
        app.state.arq = await create_pool(RedisSettings.from_dsn(settings.redis_url))
        if bot_webhook:
            await telegram.start(app, settings)
        flusher = asyncio.create_task(_flush_key_use_every(key_use_flush_seconds))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            from core.access.api_keys import flush_last_used

            with contextlib.suppress(Exception):
                await flush_last_used()
            if bot_webhook:
                await telegram.stop(app)
            await app.state.arq.aclose()
            await app.state.redis.aclose()
            if manage_db:
                await close_db()

    # Operation ids are the handlers' names (`create_order`, `get_wallet`): what a generated client calls.
    app = FastAPI(title="Steller partner API", version="1", lifespan=lifespan,
                  generate_unique_id_function=lambda route: route.name)
    problems.install(app)
    ratelimit.install(app)
    requestlog.install(app)
    from api.v1 import routers

    for router in routers():
        app.include_router(router)
    # Webhook mode: Telegram's updates come in here, so every API replica serves the bot.
    bot_webhook = settings.telegram_webhook_url is not None and settings.telegram_bot_token is not None
    if bot_webhook:
        telegram.install(app, settings)

    @app.middleware("http")
    async def request_context(request: Request, call_next):
        request_id = client_request_id(request.headers.get("X-Request-Id")) or uuid.uuid4().hex
        request.state.request_id = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:  # noqa: BLE001 - the one place unexpected errors become a 500
            response = problems.internal_error(request, exc)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        LATENCY.labels(request.method, path).observe(elapsed)
        if path.startswith("/v1/"):
            # The route's template, never the raw path or query: no ids, no keys in the access log.
            access_log.info("http_request", request_id=request_id, method=request.method, route=path,
                            status=response.status_code, ms=round(elapsed * 1000, 1))
        response.headers["X-Request-Id"] = request_id
        return response

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict:
        return {"status": "ok"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready(request: Request, response: Response) -> dict:
        checks = {}
        try:
            await get_connection("default").execute_query("SELECT 1")
            checks["postgres"] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
            checks["postgres"] = f"down: {type(exc).__name__}"
        try:
            await request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"down: {type(exc).__name__}"
        healthy = all(v == "ok" for v in checks.values())
        response.status_code = 200 if healthy else 503
        return {"status": "ok" if healthy else "unavailable", "checks": checks}

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        from api import metrics as prometheus

        return await prometheus.render(request)

    return app
