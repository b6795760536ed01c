"""Database wiring: the Tortoise config, init/close, transactions owned by callers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from core.config import get_settings

MODEL_MODULES = [
    "core.parties.models",
    "core.ledger.models",
    "core.audit.models",
    "core.catalog.models",
    "core.pricing.models",
    "core.orders.models",
    "core.notifications.models",
    "core.broadcast.models",
    "core.access.models",
    "core.idempotency.models",
    "core.analytics.models",
]


def tortoise_config(database_url: str | None = None) -> dict:
    url = database_url or get_settings().database_url
    return {
        "connections": {"default": url},
        "apps": {
            "steller": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str):
    # `tortoise makemigrations` / `tortoise migrate` read core.db.TORTOISE_ORM (see [tool.tortoise] in
    # pyproject.toml). Built on first use, not at import: reading settings must not happen just because
    # someone imported this module (`steller --help` works with no environment at all).
    if name == "TORTOISE_ORM":
        return tortoise_config()
    raise AttributeError(name)


async def init_db(database_url: str | None = None) -> None:
    # Global fallback: uvicorn runs an app's lifespan in a task of its own, and the requests' tasks
    # must still find the connections it opened (`steller api` alone, each API replica).
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


def atomic():
    """The caller's transaction (request, bot update, job, CLI command)."""
    return in_transaction("default")


def in_transaction_now() -> bool:
    return isinstance(get_connection("default"), TransactionalDBClient)


def require_transaction() -> None:
    # Row locks mean nothing outside a transaction: refuse rather than silently not lock.
    if not in_transaction_now():
        raise RuntimeError("this operation must run inside the caller's transaction (core.db.atomic())")


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "asyncpg", "psql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


async def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL if it is missing. Returns True if it created it."""
    parts = urlsplit(_asyncpg_dsn(database_url))
    name = parts.path.lstrip("/")
    admin_dsn = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


async def drop_database(database_url: str) -> None:
    parts = urlsplit(_asyncpg_dsn(database_url))
    name = parts.path.lstrip("/")
    admin_dsn = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def apply_migrations(database_url: str | None = None, *, progress=None) -> None:
    """Create the DB if needed, then apply every migration in `migrations/`."""
    from tortoise.migrations.api import migrate

    url = database_url or get_settings().database_url
    await ensure_database(url)
    await migrate(config=tortoise_config(url), progress=progress)


@contextlib.asynccontextmanager
async def database(database_url: str | None = None) -> AsyncIterator[None]:
    await init_db(database_url)
    try:
        yield
    finally:
        await close_db()


# --- Retrying a use case on deadlock / serialization failure (PRODUCT.md §2) ------------------

# SQLSTATEs that mean "this transaction lost a race and was rolled back: run it again".
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
DEFAULT_TX_ATTEMPTS = 5


def is_retryable_db_error(exc: BaseException) -> bool:
    """True for a serialization failure or deadlock, however Tortoise wrapped asyncpg's error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException) and getattr(arg, "sqlstate", None) in RETRYABLE_SQLSTATES:
                return True
        current = current.__cause__ or current.__context__
    return False


async def run_atomic(fn, *, attempts: int = DEFAULT_TX_ATTEMPTS, base_delay: float = 0.02,
                     max_delay: float = 0.5):
    """Run `await fn()` in one transaction; on a deadlock or serialization failure roll back and
    run it again (bounded, with jittered exponential backoff). `fn` must be the whole use case, so a
    rerun repeats nothing that was committed; its effects are idempotent by key anyway.

    Only the outermost caller retries: inside an open transaction the error propagates, because the
    transaction that must be rerun is the caller's.
    """
    import asyncio
    import random

    from core.logging import get_logger

    if in_transaction_now():
        return await fn()
    for attempt in range(1, attempts + 1):
        try:
            async with atomic():
                return await fn()
        except Exception as exc:
            if attempt >= attempts or not is_retryable_db_error(exc):
                raise
            delay = min(max_delay, base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            get_logger("core.db").warning("transaction_retry", attempt=attempt, error_type=type(exc).__name__,
                                          delay=round(delay, 3))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
