"""`steller up`: the whole platform in one process, for a single machine."""

from __future__ import annotations

import click

from cli.serving import Service, asgi_service, serve_all
from core.config import get_settings
from core.db import apply_migrations
from core.logging import get_logger

log = get_logger("steller.up")


def platform_services() -> list[Service]:
    from api.app import create_app

    settings = get_settings()
    services = [asgi_service("api", create_app(), host=settings.api_host, port=settings.api_port)]
    if settings.uses_simulator:
        from simulator.app import SimulatorConfig, create_app as create_simulator

        services.append(asgi_service("simulator", create_simulator(SimulatorConfig()),
                                     host=settings.simulator_host, port=settings.simulator_port))
    else:
        log.info("simulator_skipped", reason="Bamboo credentials point at the real vendor")
    if settings.telegram_bot_token is None:
        log.info("bot_skipped", reason="TELEGRAM_BOT_TOKEN is not set")
    return services


async def run_platform(*, migrate: bool = True) -> None:
    settings = get_settings()
    if migrate:
        await apply_migrations()
        click.echo("database is up to date")
    services = platform_services()
    click.echo(f"API on http://{settings.api_host}:{settings.api_port} (health: /health/ready)")
    if settings.uses_simulator:
        click.echo(f"Bamboo simulator on http://{settings.simulator_host}:{settings.simulator_port}")
    await serve_all(services)
