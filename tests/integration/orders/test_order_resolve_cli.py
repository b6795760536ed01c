"""`steller order attention` and `steller order resolve` as an operator runs them: real processes,
the simulator as its own process on loopback, the test database and Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core.ledger.invariants import check_ledger
from core.ledger.models import Hold
from core.orders.models import Order, OrderStatus
from core.vendors.bamboo import OrderProduct
from tests.integration.orders.order_support import create
from tests.support.vendor import MAGIC_RANGE_PRODUCT, sim_admin, simulator_process, vendor_client

ROOT = Path(__file__).resolve().parents[3]


def cli_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAMBOO_")}
    env.update(BAMBOO_BASE_URL=base_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


async def steller(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "cli.main", *args, cwd=ROOT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def simulator_url(network):
    async with simulator_process("--products", "40", "--no-rate-limits", "--order-delay", "0",
                                 env=cli_env("")) as (base_url, _):
        await sim_admin(base_url, f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch", {"discount": "10"})
        yield base_url


async def test_an_operator_lists_stuck_orders_and_settles_each_once(network, simulator_url):
    env = cli_env(simulator_url)
    sub = network["sub"]
    halted = await create(sub, "20.00", quantity=2)
    vendor = vendor_client(simulator_url)
    try:  # Bamboo delivered it; our settlement halted
        await vendor.place_order(request_id=halted.vendor_request_id, account_id=555, products=[
            OrderProduct(product_id=MAGIC_RANGE_PRODUCT, quantity=2, value=Decimal("20.00"))])
    finally:
        await vendor.aclose()
    now = datetime.now(UTC)
    await Order.filter(id=halted.id).update(status=OrderStatus.PROCESSING, attempts=1, halted_at=now,
                                            attention_at=now, attention_reason="settlement failed: test")
    overdue = await create(sub, "20.00")
    await Order.filter(id=overdue.id).update(status=OrderStatus.PROCESSING, attempts=1,
                                             created_at=now - timedelta(hours=30))
    await create(sub, "20.00")  # young and healthy: not listed

    code, out, err = await steller(env, "order", "attention", "--json")
    assert code == 0, err
    listed = {item["id"]: item for item in json.loads(out)}
    assert set(listed) == {str(halted.id), str(overdue.id)}
    assert listed[str(halted.id)]["halted"] and not listed[str(overdue.id)]["halted"]

    code, out, err = await steller(env, "order", "resolve", str(halted.id), "--complete-from-vendor")
    assert code == 0, err
    assert "completed: 2/2 card(s)" in out
    code, _, err = await steller(env, "order", "resolve", str(halted.id), "--fail", "--reason", "again")
    assert code == 2 and "order.already_settled" in err

    code, _, err = await steller(env, "order", "resolve", str(overdue.id), "--fail")
    assert code == 2 and "--reason" in err  # a failure needs a reason for the audit log
    code, out, err = await steller(env, "order", "resolve", str(overdue.id), "--fail", "--reason", "never placed")
    assert code == 0 and "failed: 0/1" in out, err

    await halted.refresh_from_db()
    await overdue.refresh_from_db()
    assert (halted.status, halted.cards_delivered, halted.vendor_cost_source) == (OrderStatus.COMPLETED, 2, "vendor")
    assert (overdue.status, overdue.failure_message) == (OrderStatus.FAILED, "never placed")
    assert (await Hold.get(id=overdue.hold_id)).released == overdue.total
    code, out, err = await steller(env, "order", "attention", "--json")
    assert code == 0 and json.loads(out) == [], err
    assert await check_ledger() == []
