"""`steller order create/show/list` and `steller worker --burst` as an operator runs them: real
processes, the simulator as a separate process on loopback, the test database and test Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from core.config import get_settings
from core.ledger.invariants import check_ledger
from core.orders.models import Order, OrderStatus
from tests.support.vendor import MAGIC_RANGE_PRODUCT, sim_admin, simulator_process

ROOT = Path(__file__).resolve().parents[3]


def cli_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAMBOO_")}
    # tests/conftest.py already points DATABASE_URL and REDIS_URL at this run's test resources.
    env.update(BAMBOO_BASE_URL=base_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


async def steller(env: dict[str, str], *args: str, timeout: float = 120) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def simulator_url(network):
    pool = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
    await pool.flushdb()
    await pool.aclose()
    async with simulator_process("--products", "40", "--no-rate-limits", "--order-delay", "0.2",
                                 env=cli_env("")) as (base_url, _):
        # Bamboo charges what the network's catalog says (10 % off face): the settlement books its charge.
        await sim_admin(base_url, f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch", {"discount": "10"})
        yield base_url


async def test_operator_orders_a_card_and_the_worker_delivers_it(network, simulator_url):
    env = cli_env(simulator_url)
    sub = network["sub"]
    code, out, err = await steller(env, "order", "create", "--party", str(sub.id), "--product",
                                   str(MAGIC_RANGE_PRODUCT), "--face-value", "25", "--quantity", "2",
                                   "--reference", "cli-1")
    assert code == 0, err
    order_id = out.strip()
    assert (await Order.get(id=order_id)).status == OrderStatus.PENDING

    code, again, err = await steller(env, "order", "create", "--party", str(sub.id), "--product",
                                     str(MAGIC_RANGE_PRODUCT), "--face-value", "25", "--quantity", "2",
                                     "--reference", "cli-1")
    assert (code, again.strip()) == (0, order_id), err  # the same reference is the same order

    code, out, err = await steller(env, "order", "create", "--party", str(sub.id), "--product",
                                   str(MAGIC_RANGE_PRODUCT), "--face-value", "5000")
    assert code != 0 and "error" in err.lower() and not out.strip(), (out, err)

    code, _, err = await steller(env, "worker", "--burst")
    assert code == 0, err

    code, out, err = await steller(env, "order", "show", order_id, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["status"] == "completed" and shown["cards_delivered"] == 2
    assert (shown["unit_price"], shown["total"]) == ("24.25", "48.50")  # 25 × 0.97
    assert shown["split"] == {"vendor": "45.00", "commission": "1.00", "platform": "2.50"}  # sums to the total
    # Bamboo's own charge was booked on the vendor leg, equal to the quote here.
    assert (shown["vendor_cost"], shown["vendor_cost_difference"], shown["vendor_cost_source"]) == (
        "45.00", "0.00", "vendor")
    assert shown["attention"] is None
    assert len(shown["cards"]) == 2 and all(c["code"].startswith("****") for c in shown["cards"])

    code, out, err = await steller(env, "order", "show", order_id)
    assert code == 0 and "completed" in out and "cards 2/2" in out, err

    code, out, err = await steller(env, "order", "list", "--party", str(sub.id), "--status", "completed")
    assert code == 0 and order_id in out and len(out.strip().splitlines()) == 1, (out, err)
    assert await check_ledger() == []
