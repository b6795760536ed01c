"""`steller catalog …`: sync the Bamboo catalog and exchange rates into the database."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from cli.runtime import run_with_db
from core.config import get_settings

T = TypeVar("T")
EXIT_VENDOR = 4


@click.group()
def catalog() -> None:
    """The card catalog: sync from Bamboo (brands, products, categories, exchange rates)."""


async def _with_bamboo(work: Callable[[Any], Awaitable[T]]) -> T:
    """A Bamboo client for this deployment, its rate budget shared through Redis."""
    from redis.asyncio import Redis

    from core.vendors.bamboo import BambooClient

    settings = get_settings()
    redis = Redis.from_url(settings.redis_url)
    try:
        async with BambooClient.from_settings(settings, redis=redis) as bamboo:
            return await work(bamboo)
    finally:
        await redis.aclose()


def _quiet_logs_for_the_bar() -> None:
    """At a terminal the bar reports progress: per-request INFO logs would only tear it up."""
    import logging

    from core.logging import configure_logging

    settings = get_settings()
    if logging.getLevelName(settings.log_level.upper()) < logging.WARNING:
        configure_logging(level="WARNING", fmt=settings.log_format)
        logging.getLogger().setLevel(logging.WARNING)


def _run(func: Callable[[], Awaitable[T]]) -> T:
    from core.vendors.bamboo import VendorError

    try:
        return run_with_db(func)
    except VendorError as exc:
        click.echo(f"error: Bamboo: {exc}", err=True)
        sys.exit(EXIT_VENDOR)


@catalog.command("sync")
@click.option("--full", is_flag=True, help="Read the whole catalog and mark vanished products gone.")
def catalog_sync(full: bool) -> None:
    """Sync brands, products (and, on a full sync, categories) from Bamboo.

    Without --full only what changed since the last finished sync is read (the first sync is
    always full). An interrupted sync is resumed by the next one.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from core.catalog.sync import SyncProgress, sync_catalog

    console = Console(stderr=True)

    async def go():
        if console.is_terminal:
            _quiet_logs_for_the_bar()
        columns = (
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            TextColumn("{task.fields[products]} products"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("full sync" if full else "sync", total=None, products=0)

            def on_progress(p: SyncProgress) -> None:
                bar.update(task, completed=p.pages, total=p.pages_total, products=p.products)

            result = await _with_bamboo(lambda bamboo: sync_catalog(bamboo, full=full, progress=on_progress))
            bar.update(task, total=result.pages, completed=result.pages, products=result.products)
            return result

    r = _run(go)
    kind = "full" if r.full else f"incremental since {r.modified_since:%Y-%m-%d %H:%M:%S}"
    resumed = ", resumed" if r.resumed else ""
    click.echo(
        f"catalog sync ({kind}, run {r.run_id}{resumed}): {r.pages} pages, {r.products} products — "
        f"added {r.added}, changed {r.changed}, gone {r.gone} in {r.seconds:.1f} s"
    )
    if r.categories is not None:
        click.echo(f"categories: {r.categories}")
    if r.gone_skipped:
        click.echo(f"warning: {r.gone_skipped}", err=True)


@catalog.command("rates")
def catalog_rates() -> None:
    """Sync Bamboo's exchange rates (USD base); cross rates are derived from them."""
    from core.catalog.rates import sync_exchange_rates

    async def go():
        return await _with_bamboo(sync_exchange_rates)

    r = _run(go)
    click.echo(
        f"exchange rates ({r.base} base): {r.rates} rates — added {r.added}, changed {r.changed} "
        f"in {r.seconds:.1f} s"
    )


@catalog.command("rate")
@click.argument("base")
@click.argument("quote")
def catalog_rate(base: str, quote: str) -> None:
    """Show the synced rate: 1 BASE = x QUOTE (cross rates through USD)."""
    from core.catalog.rates import rate

    value = run_with_db(lambda: rate(base, quote))
    if value is None:
        click.echo(f"no rate from {base.upper()} to {quote.upper()}; run `steller catalog rates`", err=True)
        sys.exit(1)
    click.echo(f"1 {base.upper()} = {value.normalize():f} {quote.upper()}")
