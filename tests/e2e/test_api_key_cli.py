"""An operator issues, lists and revokes a partner's API keys from the shell (real processes, a fresh
database)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import drop_database

_BASE_DB = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_test")
CLI_DB = os.environ.get("TEST_API_KEY_CLI_DATABASE_URL", _BASE_DB.split("?")[0] + "_api_key_cli")
ROOT = Path(__file__).resolve().parents[2]


def steller(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(DATABASE_URL=CLI_DB, LOG_LEVEL="WARNING")
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


async def test_create_prints_the_key_last_list_shows_it_and_revoke_needs_force_for_the_last_live_key(fresh_db):
    partner = int(steller("party", "create", "--kind", "partner", "--name", "Shop").stdout)
    out = steller("api-key", "create", str(partner), "--name", "backend").stdout.strip().splitlines()
    live = out[-1]
    assert re.fullmatch(r"sk_live_[A-Za-z0-9_-]{43}", live)
    assert live not in "\n".join(out[:-1]) and live[:16] in out[0]  # the display prefix, not the key
    test = steller("api-key", "create", str(partner), "--test").stdout.strip().splitlines()[-1]
    assert test.startswith("sk_test_")

    listing = steller("api-key", "list", str(partner)).stdout
    assert live[:16] in listing and test[:16] in listing and "backend" in listing
    assert live not in listing and test not in listing
    rows = json.loads(steller("api-key", "list", str(partner), "--json").stdout)
    assert [(r["mode"], r["name"], r["revoked_at"]) for r in rows] == [("test", None, None), ("live", "backend", None)]
    assert all("hash" not in k for r in rows for k in r)
    live_id = next(r["id"] for r in rows if r["mode"] == "live")

    last = steller("api-key", "revoke", str(live_id), check=False)
    assert last.returncode == 2 and "api_key.last_live_key" in last.stderr
    assert f"revoked key {live_id}" in steller("api-key", "revoke", str(live_id), "--force").stdout
    assert f"revoked key {live_id}" in steller("api-key", "revoke", str(live_id)).stdout  # idempotent
    rows = json.loads(steller("api-key", "list", str(partner), "--json").stdout)
    assert next(r for r in rows if r["id"] == live_id)["revoked_at"] is not None


async def test_agents_get_no_keys_and_unknown_ids_are_clear_errors(fresh_db):
    agent = int(steller("party", "create", "--kind", "agent", "--name", "Agent").stdout)
    refused = steller("api-key", "create", str(agent), check=False)
    assert refused.returncode == 2 and "api_key.not_a_partner" in refused.stderr and "sk_" not in refused.stdout
    unknown = steller("api-key", "revoke", "999999", check=False)
    assert unknown.returncode == 2 and "api_key.not_found" in unknown.stderr
    assert "no API keys" in steller("api-key", "list", str(agent)).stdout
