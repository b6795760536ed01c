"""`steller worker`: the arq worker that makes every vendor call and runs the periodic jobs."""

from __future__ import annotations

from arq import cron
from arq.connections import RedisSettings

from core.config import get_settings
from core.db import close_db, init_db
from core.logging import configure_logging, get_logger
from core.metrics import MeteredTransport, MetricsSettings, start_metrics_server
from core.notifications.transport import webhook_http_client
from core.vendors.bamboo import BambooClient, SharedRateLimiter
from core.vendors.bamboo.ratelimit import DEFAULT_KEY_PREFIX
from jobs import admin as admin_jobs
from jobs import broadcast as broadcast_jobs
from jobs import notifications as notification_jobs
from jobs import orders as order_jobs
from jobs import periodic
from jobs import telegram as telegram_jobs
from jobs import vendor_checks

log = get_logger("jobs.worker")

# A place job waits for rate-limit slots (the product's 6 a minute, then 2 a second) with its order
# already `placing`. Waiting up to the limiter's default 120 s, arq's job timeout (120 s) could cancel
# it mid-wait, stranding the order, and 20 such jobs fill a worker. Beyond this the job is deferred
# instead (the order goes back to pending, the wait not counted as an attempt).
VENDOR_MAX_WAIT_SECONDS = 20.0


async def startup(ctx) -> None:
    settings = get_settings()
    if ctx.get("manage_db", True):  # alone (`steller worker`); in `steller up` the process configured it
        configure_logging(level=settings.log_level)
        metrics = MetricsSettings()
        if metrics.worker_metrics_port is not None:
            ctx["stop_metrics"] = start_metrics_server(port=metrics.worker_metrics_port,
                                                       host=metrics.worker_metrics_host)
            log.info("worker_metrics_serving", host=metrics.worker_metrics_host, port=metrics.worker_metrics_port)
        await init_db()  # `steller up` shares one connection pool with the API
    # The shared Bamboo budget in Redis; a wait for a slot longer than this defers the job instead
    # (see VENDOR_MAX_WAIT_SECONDS).
    limiter = SharedRateLimiter(ctx["redis"], key_prefix=f"{DEFAULT_KEY_PREFIX}{settings.bamboo_client_id}:",
                                max_wait_seconds=VENDOR_MAX_WAIT_SECONDS)
    # Every Bamboo call and every 429 is counted (steller_vendor_calls_total, steller_vendor_rate_limited_total).
    ctx["vendor"] = BambooClient.from_settings(settings, rate_limiter=limiter, transport=MeteredTransport())
    from jobs.sandbox import sandbox_vendor

    ctx["sandbox_vendor"] = sandbox_vendor(settings, live_vendor=ctx["vendor"], redis=ctx["redis"])
    ctx["http"] = webhook_http_client()  # webhooks only: public https targets, no redirects
    ctx["telegram"] = None
    if settings.telegram_bot_token is not None:
        from bot.notifier import make_notifier

        ctx["telegram"] = make_notifier(settings)
    log.info("worker_started")


async def shutdown(ctx) -> None:
    # A stop during startup leaves some of these unset: close what was opened.
    if ctx.get("sandbox_vendor") not in (None, ctx.get("vendor")):
        await ctx["sandbox_vendor"].aclose()
    for name in ("vendor", "http"):
        if ctx.get(name) is not None:
            await ctx[name].aclose()
    if ctx.get("telegram") is not None and hasattr(ctx["telegram"], "aclose"):
        await ctx["telegram"].aclose()
    if ctx.get("manage_db", True):
        await close_db()
    if ctx.get("stop_metrics") is not None:
        ctx.pop("stop_metrics")()
    log.info("worker_stopped")


def _functions() -> list:
    return (list(order_jobs.FUNCTIONS) + list(notification_jobs.FUNCTIONS) + list(periodic.FUNCTIONS)
            + list(vendor_checks.FUNCTIONS) + list(telegram_jobs.FUNCTIONS) + list(broadcast_jobs.FUNCTIONS)
            + list(admin_jobs.FUNCTIONS))


def _cron_jobs() -> list:
    reconcile = cron(order_jobs.reconcile_orders, second={0, 30}, run_at_startup=True, unique=True)
    return [reconcile, *notification_jobs.CRON_JOBS, *periodic.CRON_JOBS, *vendor_checks.CRON_JOBS, *broadcast_jobs.CRON_JOBS]


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
