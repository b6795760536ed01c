"""`steller catalog …` end to end: real processes, a simulator on a loopback port, the test DB."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from core.catalog.models import CatalogSyncRun, ExchangeRate, Product, SyncStatus
from tests.integration.catalog.catalog_sim import PRODUCTS
from tests.support.vendor import simulator_process as running_simulator_process

ROOT = Path(__file__).resolve().parents[3]


def cli_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAMBOO_")}
    # tests/conftest.py already points DATABASE_URL and REDIS_URL at this run's test resources.
    env.update(BAMBOO_BASE_URL=base_url, LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


async def steller(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def simulator_process(db):
    async with running_simulator_process("--products", str(PRODUCTS), "--no-rate-limits",
                                         env=cli_env("")) as running:
        yield running


async def test_cli_catalog_sync_rates_and_errors(simulator_process):
    base_url, sim_proc = simulator_process
    env = cli_env(base_url)

    code, out, err = await steller(env, "catalog", "sync", "--full")
    assert code == 0, err
    assert re.search(rf"\(full, run \d+\): 1 pages, {PRODUCTS} products — added {PRODUCTS}, changed 0, gone 0 in [\d.]+ s", out), out
    assert "categories: 27" in out
    assert await Product.all().count() == PRODUCTS
    assert (await CatalogSyncRun.get()).status == SyncStatus.FINISHED

    code, out, err = await steller(env, "catalog", "sync")
    assert code == 0, err
    assert "incremental since" in out and "added 0, changed 0, gone 0" in out, out

    code, out, err = await steller(env, "catalog", "rates")
    assert code == 0, err
    assert "exchange rates (USD base): 13 rates — added 13, changed 0" in out, out
    assert await ExchangeRate.filter(base="USD").count() == 13

    code, out, err = await steller(env, "catalog", "rate", "eur", "usd")
    assert (code, out.strip()) == (0, "1 EUR = 1.0869565217 USD"), err

    sim_proc.terminate()
    await sim_proc.wait()
    code, out, err = await steller(env, "catalog", "sync")
    assert code == 4 and "error: Bamboo" in err and "not reachable" in err, (code, out, err)
    # The failed attempt stays resumable.
    assert await CatalogSyncRun.filter(status=SyncStatus.RUNNING).count() == 1


async def test_cli_catalog_show_prices_for_a_party(simulator_process):
    from core.catalog.models import Product
    from core.pricing.models import Discount
    from core.parties.models import PartyKind
    from tests.factories import make_party

    base_url, _ = simulator_process
    env = cli_env(base_url)
    code, _, err = await steller(env, "catalog", "sync", "--full")
    assert code == 0, err
    partner = await make_party(PartyKind.PARTNER)
    await Discount.create(rate="0.0500", party_kind="partner")

    code, out, err = await steller(env, "catalog", "show", "--party", str(partner.id), "--limit", "5",
                                   "--currency", "USD", "--json")
    assert code == 0, err
    import json

    rows = json.loads(out)
    assert len(rows) == 5
    for row in rows:
        product = await Product.get(id=row["id"])
        assert row["name"] == product.name and row["currency"] == product.currency
        assert row["face_value"] and row["price_currency"] == "USD"
    priced = [r for r in rows if r["price"] is not None]
    assert priced, rows
    from decimal import Decimal

    for r in priced:
        if r["currency"] == "USD":  # always, given --currency USD; no FX: the price is the face value less the 5 % partner discount
            assert Decimal(r["price"]) == (Decimal(r["price_face"]) * Decimal("0.95")).quantize(Decimal("0.01")), r

    code, out, err = await steller(env, "catalog", "show", "--party", "999999")
    assert code != 0 and "999999" in err, (code, out, err)
