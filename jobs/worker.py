"""`steller worker`: the arq worker that makes every vendor call and runs the periodic jobs."""

from __future__ import annotations

import httpx
from arq import cron
from arq.connections import RedisSettings

from core.config import get_settings
from core.db import close_db, init_db
from core.logging import configure_logging, get_logger
from core.vendors.bamboo import BambooClient
from jobs import notifications as notification_jobs
from jobs import orders as order_jobs
from jobs import periodic

log = get_logger("jobs.worker")


async def startup(ctx) -> None:
    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if ctx.get("manage_db", True):  # `steller up` shares one connection pool with the API
        await init_db()
    ctx["vendor"] = BambooClient.from_settings(settings, redis=ctx["redis"])
    ctx["http"] = httpx.AsyncClient(timeout=10.0)
    ctx["telegram"] = None
    if settings.telegram_bot_token is not None:
        from bot.notifier import make_notifier

        ctx["telegram"] = make_notifier(settings)
    log.info("worker_started")


async def shutdown(ctx) -> None:
    await ctx["vendor"].aclose()
    await ctx["http"].aclose()
    if ctx.get("telegram") is not None and hasattr(ctx["telegram"], "aclose"):
        await ctx["telegram"].aclose()
    if ctx.get("manage_db", True):
        await close_db()
    log.info("worker_stopped")


def _functions() -> list:
    return list(order_jobs.FUNCTIONS) + list(notification_jobs.FUNCTIONS) + list(periodic.FUNCTIONS)


def _cron_jobs() -> list:
    reconcile = cron(order_jobs.reconcile_orders, second={0, 30}, run_at_startup=True, unique=True)
    return [reconcile, *notification_jobs.CRON_JOBS, *periodic.CRON_JOBS]


class WorkerSettings:
    functions = _functions()
    cron_jobs = _cron_jobs()
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url)
    max_jobs = 20
    job_timeout = 120
    # Results are kept so a job id stays "taken" for a while: a duplicate enqueue is ignored.
    keep_result = 3600
    max_tries = 10
    # Lets `SIGTERM` wait for running jobs instead of cancelling them mid-call.
    job_completion_wait = 30
