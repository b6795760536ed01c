"""Bootstrapping the network without the admin bot: invite links, the party list, approvals and freezes,
as an operator runs them (real processes, a fresh database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import drop_database

CLI_DB = os.environ.get("TEST_NETWORK_CLI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_network_cli_test")
ROOT = Path(__file__).resolve().parents[2]


def steller(*args: str, check: bool = True, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATABASE_URL=CLI_DB, LOG_LEVEL="WARNING", TELEGRAM_BOT_USERNAME="steller_test_bot", **env_extra)
    result = subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"steller {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
async def fresh_db():
    await drop_database(CLI_DB)
    steller("migrate")
    yield
    await drop_database(CLI_DB)


async def test_invite_links_print_alone_on_the_last_line(fresh_db):
    out = steller("invite", "create").stdout.strip().splitlines()
    assert out[-1].startswith("https://t.me/steller_test_bot?start=inv_") and " " not in out[-1]
    agent = int(steller("party", "create", "--kind", "agent", "--name", "Acme").stdout)
    sub_link = steller("invite", "create", "--parent", str(agent), "--uses", "5", "--ttl-hours", "24").stdout
    assert "subagent, 5 use(s) left" in sub_link
    partner = steller("invite", "create", "--kind", "partner").stdout
    assert "partner" in partner
    refused = steller("invite", "create", "--uses", "0", check=False)
    assert refused.returncode == 2 and "uses must be between" in refused.stderr


async def test_party_list_filters_and_status_changes(fresh_db):
    agent = int(steller("party", "create", "--kind", "agent", "--name", "Listed Agent").stdout)
    sub = int(steller("party", "create", "--kind", "subagent", "--name", "Listed Sub", "--parent", str(agent)).stdout)
    rows = json.loads(steller("party", "list", "--parent", str(agent), "--json").stdout)
    assert rows == [{"id": sub, "kind": "subagent", "name": "Listed Sub", "status": "active", "parent_id": agent,
                     "currency": "USD"}]
    assert "frozen" in steller("party", "freeze", str(sub)).stdout
    assert [r["id"] for r in json.loads(steller("party", "list", "--status", "frozen", "--json").stdout)] == [sub]
    assert "active" in steller("party", "unfreeze", str(sub)).stdout
    not_pending = steller("party", "approve", str(sub), check=False)
    assert not_pending.returncode == 2 and "party.invalid_transition" in not_pending.stderr
    text = steller("party", "list", "--kind", "agent").stdout
    assert "Listed Agent" in text and "Listed Sub" not in text


async def test_a_cli_money_move_delivers_its_notifications_right_away(fresh_db):
    import asyncpg
    from redis.asyncio import Redis

    from core.db import _asyncpg_dsn

    redis_url = os.environ.get("TEST_NETWORK_CLI_REDIS_URL", "redis://127.0.0.1:6379/9")
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    agent = int(steller("party", "create", "--kind", "agent", "--name", "Told Agent").stdout)
    conn = await asyncpg.connect(_asyncpg_dsn(CLI_DB))
    try:  # the owner a joined agent would have (joining needs the bot)
        await conn.execute("INSERT INTO member (party_id, telegram_user_id, role, status, display_name, created_at) "
                           "VALUES ($1, 777001, 'owner', 'active', 'Owner', now())", agent)
        steller("topup", str(agent), "25", "--reference", "wire-told", REDIS_URL=redis_url)
        [notification_id] = await conn.fetch("SELECT id FROM notification WHERE telegram_user_id = 777001")
    finally:
        await conn.close()
    assert await redis.exists(f"arq:job:deliver_notification:{notification_id['id']}:0")
    await redis.flushdb()
    await redis.aclose()
