"""`steller up`: the whole platform in one process, for a single machine.

First start on a new database: migrations, then one full catalog sync (progress printed) before the
API opens, so the catalog is never empty; later starts skip it (the worker's hourly cron keeps the
catalog fresh). `--demo` then seeds a small demo network (cli/demo.py) and prints what to try.
"""

from __future__ import annotations

import click

from cli.serving import (
    Lifecycle,
    Service,
    asgi_service,
    bot_service,
    serve_all,
    worker_service,
)
from core.config import get_settings
from core.db import apply_migrations, close_db, init_db
from core.errors import DomainError
from core.logging import get_logger

log = get_logger("steller.up")


def platform_services() -> list[Service]:
    from api.app import create_app

    settings = get_settings()
    # One process, one database pool: the caller opens it; the API and worker only use it.
    services = [asgi_service("api", create_app(manage_db=False), host=settings.api_host, port=settings.api_port),
                worker_service(manage_db=False)]
    if settings.uses_simulator:
        from simulator.app import SimulatorConfig
        from simulator.app import create_app as create_simulator

        # A dependency: up before the first catalog sync, down only after the worker's last job.
        services.append(asgi_service("simulator", create_simulator(SimulatorConfig()),
                                     host=settings.simulator_host, port=settings.simulator_port, dependency=True))
    else:
        log.info("simulator_skipped", reason="Bamboo credentials point at the real vendor")
    if settings.telegram_bot_token is None:
        log.info("bot_skipped", reason="TELEGRAM_BOT_TOKEN is not set")
    elif settings.telegram_webhook_url is None:
        services.append(bot_service())
    else:
        log.info("bot_in_api", reason="TELEGRAM_WEBHOOK_URL is set: the API serves the bot's webhook")
    return services


async def catalog_synced_before() -> bool:
    from core.catalog.models import CatalogSyncRun, SyncStatus

    return await CatalogSyncRun.filter(status=SyncStatus.FINISHED).exists()


async def first_catalog_sync(echo=click.echo) -> bool:
    """On a database whose catalog was never synced: one full sync now, progress printed per page.

    Returns True when the catalog is usable (synced now or before). A failure is reported, not fatal:
    the platform still starts and the worker's cron syncs later (an interrupted run resumes).
    """
    from redis.asyncio import Redis

    from core.catalog.sync import SyncAlreadyRunning, SyncProgress, sync_catalog
    from core.metrics import MeteredTransport
    from core.vendors.bamboo import BambooClient, VendorError

    if await catalog_synced_before():
        from core.catalog.models import Product

        products = await Product.filter(gone_at=None).count()
        echo(f"catalog: {products} products (synced before; the worker's hourly sync keeps it fresh)")
        return True
    settings = get_settings()
    source = "the Bamboo simulator" if settings.uses_simulator else "Bamboo"
    echo(f"first start: syncing the catalog from {source} (about one page a second)…")
    last = {"pages": -1}

    def progress(p: SyncProgress) -> None:
        if p.pages != last["pages"] and p.pages > 0:
            last["pages"] = p.pages
            of = f" of {p.pages_total}" if p.pages_total else ""
            echo(f"  catalog: page {p.pages}{of}, {p.products} products")

    redis = Redis.from_url(settings.redis_url)
    try:
        # The budget is shared through Redis with the worker, as for `steller catalog sync`.
        async with BambooClient.from_settings(settings, redis=redis, transport=MeteredTransport()) as bamboo:
            result = await sync_catalog(bamboo, full=True, progress=progress)
    except SyncAlreadyRunning:
        echo("  another process is syncing the catalog right now; it will be there shortly")
        return False
    except VendorError as exc:
        echo(f"warning: the catalog sync failed ({exc}); the worker retries it within the hour "
             "(or run `steller catalog sync`)", err=True)
        return False
    finally:
        await redis.aclose()
    echo(f"catalog synced: {result.products} products in {result.pages} pages ({result.seconds:.1f} s)")
    return True


async def run_platform(*, migrate: bool = True, demo: bool = False) -> None:
    settings = get_settings()
    lifecycle = Lifecycle().install()  # from here on SIGINT/SIGTERM mean a clean stop, never a traceback
    if migrate:
        await apply_migrations()
        click.echo("database is up to date")
        if lifecycle.stop_requested:
            return
    await init_db()
    seeded: dict = {}
    try:
        services = platform_services()

        async def prepare() -> None:
            catalog_ready = await first_catalog_sync()
            if demo:
                from cli.demo import seed_demo

                if not catalog_ready:
                    click.echo("demo: skipped (the catalog is empty until a sync finishes)", err=True)
                    return
                try:
                    seeded["demo"] = await seed_demo(echo=click.echo)
                except DomainError as exc:  # e.g. someone froze Demo Agent: the platform still starts
                    click.echo(f"demo: not seeded: {exc.message} ({exc.code})", err=True)

        async def started() -> None:
            click.echo("worker running (orders, notifications, periodic jobs)")
            click.echo(f"API on http://{settings.api_host}:{settings.api_port} (health: /health/ready)")
            if settings.uses_simulator:
                click.echo(f"Bamboo simulator on http://{settings.simulator_host}:{settings.simulator_port}")
            if "demo" in seeded:
                from cli.demo import what_to_try

                for line in await what_to_try(seeded["demo"]):
                    click.echo(line)
            click.echo("press Ctrl-C to stop")

        await serve_all(services, lifecycle=lifecycle, prepare=prepare, started=started)
    finally:
        await close_db()
    click.echo("stopped")
