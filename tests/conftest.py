"""Test wiring: a real PostgreSQL database migrated once per session, truncated before each test."""

from __future__ import annotations

import os

# Settings are read from the environment: point every process-wide default at test resources
# before any project module caches them.
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["REDIS_URL"] = TEST_REDIS_URL
os.environ.setdefault("STELLER_ENV", "test")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.pop("ADMIN_TELEGRAM_IDS", None)

import pytest  # noqa: E402
from tortoise.connection import get_connection  # noqa: E402

from core.config import reset_settings_cache  # noqa: E402

reset_settings_cache()

_DB_URL_WITH_POOL = TEST_DATABASE_URL + ("&" if "?" in TEST_DATABASE_URL else "?") + "minsize=1&maxsize=30"


@pytest.fixture(scope="session")
async def migrated_db():
    """Drop, create and migrate the test database once; keep Tortoise connected for the session."""
    from core.db import apply_migrations, close_db, drop_database, init_db

    await drop_database(TEST_DATABASE_URL)
    await apply_migrations(TEST_DATABASE_URL)
    await close_db()
    await init_db(_DB_URL_WITH_POOL)
    yield TEST_DATABASE_URL
    await close_db()


_TABLES_SQL = """
SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'
"""


@pytest.fixture
async def db(migrated_db):
    """A clean database for one test (TRUNCATE skips the row triggers that guard the ledger)."""
    conn = get_connection("default")
    tables = [r["tablename"] for r in await conn.execute_query_dict(_TABLES_SQL)]
    if tables:
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    yield conn


@pytest.fixture
async def redis():
    """An arq pool on this run's own Redis database (TEST_REDIS_URL), empty before and after."""
    from arq import create_pool
    from arq.connections import RedisSettings

    pool = await create_pool(RedisSettings.from_dsn(TEST_REDIS_URL))
    await pool.flushdb()
    yield pool
    await pool.flushdb()
    await pool.aclose()
