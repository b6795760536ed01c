"""The operator CLI as a person runs it: real processes against a fresh database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from core.db import _asyncpg_dsn, drop_database

CLI_DB = os.environ.get("TEST_CLI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_cli_test")
STELLER = [sys.executable, "-m", "cli.main"]
ROOT = Path(__file__).resolve().parents[2]


def steller(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": CLI_DB, "LOG_LEVEL": "WARNING"}
    result = subprocess.run([*STELLER, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"steller {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
async def fresh_cli_db():
    await drop_database(CLI_DB)
    yield CLI_DB
    await drop_database(CLI_DB)


async def test_operator_flow_and_tamper_detection(fresh_cli_db):
    assert "database is up to date" in steller("migrate").stdout  # creates the missing database
    agent = int(steller("party", "create", "--kind", "agent", "--name", "Acme", "--email", "ops@acme.io").stdout)
    sub = int(steller("party", "create", "--kind", "subagent", "--name", "Sub", "--parent", str(agent)).stdout)
    assert "topped up 100.00 USD" in steller("topup", str(agent), "100", "--reference", "wire-1").stdout
    assert "already recorded" in steller("topup", str(agent), "100", "--reference", "wire-1").stdout
    steller("allocate", str(agent), str(sub), "40.50")
    steller("reclaim", str(sub), "0.50")
    refused = steller("reclaim", str(sub), "1000", check=False)
    assert refused.returncode != 0 and "not enough money" in refused.stderr
    bad = steller("topup", str(agent), "1.234", "--reference", "wire-2", check=False)
    assert bad.returncode != 0 and "decimals" in bad.stderr
    missing = steller("allocate", str(sub), str(agent), "1", check=False)
    assert missing.returncode != 0 and "not your direct child" in missing.stderr
    assert steller("admin", "add", "4242").stdout.strip() == "telegram user 4242 is an admin"

    wallet = json.loads(steller("wallet", str(agent), "--json").stdout)
    assert wallet == {"party_id": agent, "currency": "USD", "balance": "60.00", "held": "0.00",
                      "available": "60.00", "credit_limit": "0.00", "spendable": "60.00", "commission": "0.00"}
    assert "balance" in steller("wallet", str(sub)).stdout
    lines = steller("statement", str(agent)).stdout.splitlines()
    assert len(lines) == 3 and "-40.50" in lines[1]

    assert steller("check").stdout.strip() == "ledger ok: every invariant holds in the live and sandbox books"

    conn = await asyncpg.connect(_asyncpg_dsn(CLI_DB))
    try:
        with pytest.raises(asyncpg.PostgresError, match="immutable"):
            await conn.execute("UPDATE ledger_transfer SET amount = amount + 1 WHERE id = 1")
        # Someone with superuser rights goes around the trigger.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE ledger_transfer SET amount = amount + 100 WHERE id = 1")
    finally:
        await conn.close()
    tampered = steller("check", check=False)
    assert tampered.returncode == 1
    assert "[digest] transfer 1" in tampered.stdout and "[cached_balance]" in tampered.stdout


async def test_party_create_refusals_exit_non_zero(fresh_cli_db):
    steller("migrate")
    result = steller("party", "create", "--kind", "subagent", "--name", "Orphan", check=False)
    assert result.returncode == 2 and "cannot be created at the top level" in result.stderr
