"""`steller up` as a newcomer runs it: one process with the API, the worker and the simulator, on a
fresh database; an operator sets up a card with the CLI, orders it, and the platform delivers it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings

from core.db import drop_database
from tests.support.vendor import MAGIC_RANGE_PRODUCT, free_port

UP_DB = os.environ.get("TEST_UP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_up_test")
UP_REDIS = os.environ.get("TEST_UP_REDIS_URL", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def platform():
    await drop_database(UP_DB)
    redis = await create_pool(RedisSettings.from_dsn(UP_REDIS))
    await redis.flushdb()
    api_port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAMBOO_", "TELEGRAM_"))}
    env.update(DATABASE_URL=UP_DB, REDIS_URL=UP_REDIS, API_PORT=str(api_port), SIMULATOR_PORT=str(sim_port),
               LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "up"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as http:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.communicate()
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "steller up did not become ready"
                await asyncio.sleep(0.2)
        yield proc, env
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        await redis.flushdb()
        await redis.aclose()
        await drop_database(UP_DB)


def steller(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, f"steller {' '.join(args)}: {result.stderr}"
    return result.stdout


async def test_steller_up_takes_an_order_from_the_cli_to_delivered_cards(platform):
    proc, env = platform
    assert "0 pages" not in steller(env, "catalog", "sync", "--full")
    steller(env, "cardlist", "add", str(MAGIC_RANGE_PRODUCT), "--range", "1-1000")
    steller(env, "discount", "set", "5", "--kind", "agent")
    agent = int(steller(env, "party", "create", "--kind", "agent", "--name", "Acme"))
    steller(env, "topup", str(agent), "100", "--reference", "wire-1")
    order_id = steller(env, "order", "create", "--party", str(agent), "--product", str(MAGIC_RANGE_PRODUCT),
                       "--face-value", "10", "--quantity", "2").strip()

    deadline = time.monotonic() + 60
    while True:
        shown = json.loads(steller(env, "order", "show", order_id, "--json"))
        if shown["status"] not in ("pending", "placing", "processing"):
            break
        assert time.monotonic() < deadline, shown
        await asyncio.sleep(0.5)
    assert shown["status"] == "completed" and shown["cards_delivered"] == 2, shown
    assert shown["total"] == "19.00"
    wallet = json.loads(steller(env, "wallet", str(agent), "--json"))
    assert (wallet["available"], wallet["held"]) == ("81.00", "0.00")
    assert "ledger ok" in steller(env, "check")

    proc.send_signal(signal.SIGTERM)  # a clean stop: every part finishes and the process exits 0
    assert proc.wait(timeout=40) == 0
