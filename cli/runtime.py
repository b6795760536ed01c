"""Shared plumbing for CLI commands: settings, logging, the database, and error exits."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click

from core.access.actor import Actor
from core.config import get_settings
from core.db import database, run_atomic
from core.errors import DomainError
from core.logging import configure_logging

T = TypeVar("T")
# The operator at the shell is trusted like an admin (they hold the database credentials anyway).
CLI_ACTOR = Actor.admin(label="cli")


def setup_logging() -> None:
    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)


def run_with_db(func: Callable[[], Awaitable[T]], *, transaction: bool = False) -> T:
    """Run one command against the database; domain errors become a clear message and exit 2.

    With `transaction`, the command is one use case in one transaction, rerun on a deadlock or a
    serialization failure (core.db.run_atomic).
    """
    setup_logging()

    async def _main() -> T:
        from core.notifications.service import collect_outbox

        async with database():
            with collect_outbox() as written:
                result = await (run_atomic(func) if transaction else func())
            if written:
                await _deliver_soon(written)
            return result

    try:
        return asyncio.run(_main())
    except DomainError as exc:
        click.echo(f"error: {exc.message} ({exc.code})", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"error: cannot reach the database: {exc}", err=True)
        sys.exit(3)


async def _deliver_soon(rows) -> None:
    """Enqueue the outbox rows a command wrote (after its commit); without Redis the sweeper delivers
    them within a minute, so a command never fails over it."""
    from arq import create_pool
    from arq.connections import RedisSettings

    from jobs.notifications import enqueue_deliveries

    try:
        redis = await create_pool(RedisSettings.from_dsn(get_settings().redis_url), retry=0)
    except Exception:  # noqa: BLE001 - Redis down: the worker's sweeper picks the rows up
        return
    try:
        await enqueue_deliveries(redis, rows)
    finally:
        await redis.aclose()


def parse_decimal(value: str, *, signed: bool = False) -> Decimal:
    try:
        amount = Decimal(value.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise click.BadParameter(f"{value!r} is not an amount") from None
    if not amount.is_finite() or (not signed and amount <= 0) or amount == 0:
        raise click.BadParameter(f"{value!r} must be {'non-zero' if signed else 'above zero'}")
    return amount


def echo_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, indent=2, default=str))
