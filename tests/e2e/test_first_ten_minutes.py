"""The first ten minutes, as a newcomer lives them: `steller up --demo` on a new database syncs the
catalog by itself, seeds a demo network, prints a curl line that works; SIGTERM lets an in-flight
request and a running job finish and exits 0; a second `--demo` seeds nothing new.

The three tests share one database and run in file order (the second stops the first process).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from prometheus_client.parser import text_string_to_metric_families

from core.db import drop_database
from tests.support.vendor import free_port

UP_DB = os.environ.get("TEST_FIRST_TEN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_first_ten_test")
UP_REDIS = os.environ.get("TEST_FIRST_TEN_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "press Ctrl-C to stop"
CURL = re.compile(r'curl -H "Authorization: Bearer (sk_live_[A-Za-z0-9_-]+)" "(http://[^"]+/v1/catalog\?limit=3)"')


class Up:
    """`steller up …` in a subprocess: stdout read line by line, stderr (logs) to a file."""

    def __init__(self, env: dict, *args: str):
        self.lines: list[str] = []
        self.stderr = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "cli.main", "up", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def out(self) -> str:
        return "\n".join(self.lines)

    @property
    def logs(self) -> str:
        return Path(self.stderr.name).read_text()

    async def ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.lines:
            assert self.proc.poll() is None, f"steller up exited {self.proc.returncode}:\n{self.out}\n{self.logs[-3000:]}"
            assert time.monotonic() < deadline, f"steller up not ready:\n{self.out}"
            await asyncio.sleep(0.2)

    def stop(self, sig: int | None = signal.SIGTERM, timeout: float = 60) -> int:
        """Send `sig` (None: it was sent already) and wait for the exit code."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._reader.join(timeout=5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.stderr.name)


def _env(api_port: int, sim_port: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BAMBOO_", "TELEGRAM_", "ADMIN_TELEGRAM", "LOG_", "WORKER_METRICS"))}
    # What `./dev up` sets: a developer machine (console logs by default).
    env.update(STELLER_ENV="development", DATABASE_URL=UP_DB, REDIS_URL=UP_REDIS, API_PORT=str(api_port),
               SIMULATOR_PORT=str(sim_port), LOG_LEVEL="INFO", PYTHONPATH=str(ROOT))
    return env


async def _sql(query: str, *args):
    conn = await asyncpg.connect(UP_DB.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _count(query: str, *args) -> int:
    return (await _sql(query, *args))[0][0]


SEEDED = {  # what a second --demo must not add to
    "parties": "SELECT count(*) FROM party",
    "members": "SELECT count(*) FROM member",
    "admins": "SELECT count(*) FROM admin_user",
    "orders": 'SELECT count(*) FROM "order"',
    "holds": "SELECT count(*) FROM ledger_hold",
    "topups_and_allocations": "SELECT count(*) FROM ledger_operation WHERE kind IN ('topup', 'allocation')",
    "card_list_items": "SELECT count(*) FROM card_list_item",
    "redeemed_invites": "SELECT count(*) FROM invite_redemption",
    "active_demo_keys": "SELECT count(*) FROM api_key WHERE name = 'demo' AND revoked_at IS NULL",
    "catalog_syncs": "SELECT count(*) FROM catalog_sync_run",
}


@pytest.fixture(scope="module")
async def fresh():
    await drop_database(UP_DB)
    redis = await create_pool(RedisSettings.from_dsn(UP_REDIS))
    await redis.flushdb()
    ports = {"api": free_port(), "sim": free_port()}
    state: dict = {"ports": ports, "env": _env(ports["api"], ports["sim"])}
    yield state
    for up in state.get("processes", []):
        up.kill()
    await redis.flushdb()
    await redis.aclose()
    await drop_database(UP_DB)


@pytest.fixture(scope="module")
async def first_up(fresh):
    up = Up(fresh["env"], "--demo")
    fresh.setdefault("processes", []).append(up)
    await up.ready()
    return up


async def test_demo_on_a_new_database_syncs_the_catalog_and_prints_a_curl_line_that_works(fresh, first_up):
    up = first_up
    # The catalog was synced by the first start, without anyone running `steller catalog sync`.
    assert "first start: syncing the catalog" in up.out and "catalog: page 1 of" in up.out
    synced = int(re.search(r"catalog synced: (\d+) products", up.out).group(1))
    assert synced > 0 and await _count("SELECT count(*) FROM catalog_product WHERE gone_at IS NULL") == synced

    key, url = CURL.search(up.out).groups()
    fresh["first_key"] = key
    assert url == f"http://127.0.0.1:{fresh['ports']['api']}/v1/catalog?limit=3"
    assert f"http://127.0.0.1:{fresh['ports']['api']}/docs" in up.out
    async with httpx.AsyncClient(timeout=30) as http:
        catalog = await http.get(url, headers={"Authorization": f"Bearer {key}"})
        assert catalog.status_code == 200, catalog.text
        assert len(catalog.json()["data"]) == 3
        # No bot token: how to set one, and the invite codes to send it.
        assert "set TELEGRAM_BOT_TOKEN" in up.out
        assert len(re.findall(r"/start inv_[A-Za-z0-9_-]{16,}", up.out)) == 3

        # The demo orders complete through the worker against the simulator.
        deadline = time.monotonic() + 60
        while True:
            statuses = {r["reference"]: r["status"] for r in await _sql('SELECT reference, status FROM "order"')}
            if len(statuses) == 4 and set(statuses.values()) == {"completed"}:
                break
            assert time.monotonic() < deadline, statuses
            await asyncio.sleep(0.5)
        mine = (await http.get(f"http://127.0.0.1:{fresh['ports']['api']}/v1/orders",
                               headers={"Authorization": f"Bearer {key}"})).json()["data"]
        assert [o["status"] for o in mine] == ["completed"]  # the partner's live order; the test one is apart

        # /metrics of the whole process: the worker's vendor calls are counted, the text parses.
        text = (await http.get(f"http://127.0.0.1:{fresh['ports']['api']}/metrics")).text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("steller_vendor_calls_total", (("endpoint", "place_order"), ("status", "200"),
                                                   ("vendor", "bamboo")))] >= 3
    assert samples[("steller_orders", (("mode", "live"), ("status", "completed")))] == 3
    assert samples[("steller_orders", (("mode", "test"), ("status", "completed")))] == 1

    # Development logs are for people: console lines, arq's and uvicorn's included, no JSON, no secrets.
    logs = up.logs
    arq_lines = [line for line in logs.splitlines() if line.rstrip().endswith("[arq.worker]")]
    assert arq_lines and all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[info\s*\]", line) for line in arq_lines)
    assert not any(line.startswith("{") for line in logs.splitlines())
    assert key not in logs and "Traceback" not in logs


async def test_sigterm_lets_an_inflight_request_and_a_running_job_finish_then_exits_0(fresh, first_up):
    up, api, sim = first_up, f"http://127.0.0.1:{fresh['ports']['api']}", f"http://127.0.0.1:{fresh['ports']['sim']}"
    key = {"Authorization": f"Bearer {fresh['first_key']}"}
    async with httpx.AsyncClient(timeout=60) as http:
        # A job that will be running: the simulator takes 4 s to answer a place-order call.
        faults = await http.post(f"{sim}/_sim/faults", json={"latency_ms": 4000, "endpoints": ["place_order"]})
        assert faults.status_code == 200, faults.text
        placed = await http.post(f"{api}/v1/orders", headers=key, json={
            "product_id": 439686, "face_value": "20.00", "quantity": 1, "reference": "shutdown-job"})
        assert placed.status_code == 202, placed.text
        job_order = placed.json()["id"]
        deadline = time.monotonic() + 20
        while (await http.get(f"{api}/v1/orders/{job_order}", headers=key)).json()["status"] != "placing":
            assert time.monotonic() < deadline, "the place job never started"
            await asyncio.sleep(0.1)

    # A request that will be in flight: its insert waits on a lock this test holds.
    lock = await asyncpg.connect(UP_DB.replace("postgres://", "postgresql://", 1))
    tx = lock.transaction()
    await tx.start()
    await lock.execute('LOCK TABLE "order" IN EXCLUSIVE MODE')

    async def slow_request() -> httpx.Response:
        async with httpx.AsyncClient(timeout=60) as other:
            return await other.post(f"{api}/v1/orders", headers=key, json={
                "product_id": 439686, "face_value": "20.00", "quantity": 1, "reference": "shutdown-request"})

    try:
        request = asyncio.create_task(slow_request())
        await asyncio.sleep(1.0)
        assert not request.done()
        up.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.5)
        assert up.proc.poll() is None and not request.done()  # still finishing what it started
    finally:
        await tx.rollback()
        await lock.close()
    response = await asyncio.wait_for(request, 30)
    assert response.status_code == 202, response.text
    code = await asyncio.get_running_loop().run_in_executor(None, up.stop, None, 60)  # one SIGTERM, sent above
    assert code == 0, up.logs[-3000:]
    assert "stopped" in up.lines
    assert "Traceback" not in up.logs, up.logs[up.logs.find("Traceback") - 2000:][:6000]
    [row] = await _sql('SELECT status, attempts FROM "order" WHERE id = $1', __import__("uuid").UUID(job_order))
    # The running place job finished its vendor call and recorded it (not cancelled mid-call).
    assert row["status"] in ("processing", "completed") and row["attempts"] == 1, dict(row)
    assert await _count("""SELECT count(*) FROM "order" WHERE reference = 'shutdown-request'""") == 1


async def test_a_second_demo_run_seeds_nothing_new_and_rotates_the_demo_credentials(fresh, first_up):
    assert first_up.proc.poll() is not None  # the previous test stopped it
    before = {name: await _count(query) for name, query in SEEDED.items()}
    up = Up(fresh["env"], "--demo")
    fresh["processes"].append(up)
    await up.ready()
    after = {name: await _count(query) for name, query in SEEDED.items()}
    assert after == before
    assert "nothing new seeded" in up.out and "first start" not in up.out
    assert re.search(r"catalog: \d+ products \(synced before", up.out)
    key, url = CURL.search(up.out).groups()
    assert key != fresh["first_key"]
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.get(url, headers={"Authorization": f"Bearer {key}"})).status_code == 200
        old = await http.get(url, headers={"Authorization": f"Bearer {fresh['first_key']}"})
        assert (old.status_code, old.json()["code"]) == (401, "auth.invalid")
    code = await asyncio.get_running_loop().run_in_executor(None, up.stop, signal.SIGINT, 60)  # Ctrl-C
    assert code == 0 and "Traceback" not in up.logs
