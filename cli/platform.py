"""`steller up`: the whole platform in one process, for a single machine."""

from __future__ import annotations

import click

from cli.serving import Service, asgi_service, bot_service, serve_all, worker_service
from core.config import get_settings
from core.db import apply_migrations, close_db, init_db
from core.logging import get_logger

log = get_logger("steller.up")


def platform_services() -> list[Service]:
    from api.app import create_app

    settings = get_settings()
    # One process, one database pool: the caller opens it; the API and worker only use it.
    services = [asgi_service("api", create_app(manage_db=False), host=settings.api_host, port=settings.api_port),
                worker_service(manage_db=False)]
    if settings.uses_simulator:
        from simulator.app import SimulatorConfig, create_app as create_simulator

        services.append(asgi_service("simulator", create_simulator(SimulatorConfig()),
                                     host=settings.simulator_host, port=settings.simulator_port))
    else:
        log.info("simulator_skipped", reason="Bamboo credentials point at the real vendor")
    if settings.telegram_bot_token is None:
        log.info("bot_skipped", reason="TELEGRAM_BOT_TOKEN is not set")
    elif settings.telegram_webhook_url is None:
        services.append(bot_service())
    else:
        log.info("bot_in_api", reason="TELEGRAM_WEBHOOK_URL is set: the API serves the bot's webhook")
    return services


async def run_platform(*, migrate: bool = True) -> None:
    settings = get_settings()
    if migrate:
        await apply_migrations()
        click.echo("database is up to date")
    services = platform_services()
    click.echo("worker running (orders, notifications, periodic jobs)")
    click.echo(f"API on http://{settings.api_host}:{settings.api_port} (health: /health/ready)")
    if settings.uses_simulator:
        click.echo(f"Bamboo simulator on http://{settings.simulator_host}:{settings.simulator_port}")
    await init_db()
    try:
        await serve_all(services)
    finally:
        await close_db()
