"""A partner's whole journey over HTTP against `steller up` (real API, worker and simulator):
signup → sandbox → approval → live orders → statement → key rotation → a clean ledger check."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings

from core.db import drop_database
from tests.support.processes import start_ready, stop
from tests.support.vendor import MAGIC_RANGE_PRODUCT, free_port

JOURNEY_DB = os.environ.get("TEST_JOURNEY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_journey_test")
JOURNEY_REDIS = os.environ.get("TEST_JOURNEY_REDIS_URL", "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
async def platform():
    await drop_database(JOURNEY_DB)
    redis = await create_pool(RedisSettings.from_dsn(JOURNEY_REDIS))
    await redis.flushdb()
    api_port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAMBOO_", "TELEGRAM_"))}
    env.update(DATABASE_URL=JOURNEY_DB, REDIS_URL=JOURNEY_REDIS, API_PORT=str(api_port),
               SIMULATOR_PORT=str(sim_port), LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    base_url = f"http://127.0.0.1:{api_port}"
    proc = await start_ready("up", env=env, base_url=base_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield http, env
    finally:
        stop(proc)
        await redis.flushdb()
        await redis.aclose()
        await drop_database(JOURNEY_DB)


def steller(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    if check:
        assert result.returncode == 0, f"steller {' '.join(args)}: {result.stderr}"
    return result


class Receiver:
    """A partner's webhook endpoint on loopback: keeps every POST (headers and raw body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(({k.decode().lower(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def wait_for(self, predicate, *, seconds: float = 60) -> list[tuple[dict, dict, bytes]]:
        deadline = time.monotonic() + seconds
        while True:
            found = [(h, json.loads(b), b) for h, b in self.received if predicate(json.loads(b))]
            if found:
                return found
            assert time.monotonic() < deadline, [json.loads(b)["type"] for _, b in self.received]
            await asyncio.sleep(0.3)


@pytest.fixture
async def receiver():
    import uvicorn

    app = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server._serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield app, f"http://127.0.0.1:{port}/hooks"
    finally:
        server.should_exit = True
        await task


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def finished(http: httpx.AsyncClient, key: str, order_id: str) -> dict:
    deadline = time.monotonic() + 90
    while True:
        response = await http.get(f"/v1/orders/{order_id}", headers=auth(key))
        assert response.status_code == 200, response.text
        order = response.json()
        if order["status"] not in ("pending", "placing", "processing"):
            return order
        assert time.monotonic() < deadline, order
        await asyncio.sleep(0.5)


async def test_a_partner_signs_up_integrates_in_the_sandbox_goes_live_and_rotates_keys(platform, receiver):
    http, env = platform
    hooks, hook_url = receiver
    for attempt in range(5):  # the simulator may answer the first sync with its rate limit
        if "0 pages" not in steller(env, "catalog", "sync", "--full", check=False).stdout:
            break
        await asyncio.sleep(2)
    steller(env, "discount", "set", "5", "--kind", "partner")

    # Signup: a pending partner with a test key and a funded sandbox wallet.
    signup = await http.post("/v1/signup", json={"company_name": "Journey Gifts", "email": "dev@journey.example"})
    assert signup.status_code == 201, signup.text
    party_id, test_key = signup.json()["party_id"], signup.json()["test_key"]
    wallet = (await http.get("/v1/wallet", headers=auth(test_key))).json()
    assert wallet["available"] == {"amount": "1000.00", "currency": "USD"} and wallet["livemode"] is False

    # The catalog, priced for the partner: the magic card is there, at 95 % of face.
    product = await http.get(f"/v1/catalog/{MAGIC_RANGE_PRODUCT}", headers=auth(test_key))
    assert product.status_code == 200, product.text
    assert product.json()["price"]["rate"] == "0.9500"
    page = await http.get("/v1/catalog", params={"limit": 5}, headers=auth(test_key))
    assert page.status_code == 200 and len(page.json()["data"]) == 5

    # A sandbox order with a reference; the same request again is the same order.
    body = {"product_id": MAGIC_RANGE_PRODUCT, "face_value": "10.00", "quantity": 2, "reference": "sbx-1"}
    placed = await http.post("/v1/orders", json=body, headers=auth(test_key))
    assert placed.status_code == 202, placed.text
    again = await http.post("/v1/orders", json=body, headers=auth(test_key))
    assert again.status_code == 202 and again.json()["id"] == placed.json()["id"]
    test_order = await finished(http, test_key, placed.json()["id"])
    assert test_order["status"] == "completed" and test_order["livemode"] is False
    cards = await http.get(f"/v1/orders/{test_order['id']}/cards", headers=auth(test_key))
    assert cards.status_code == 200 and len(cards.json()) == 2 and all(c["code"] for c in cards.json())
    sandbox_wallet = (await http.get("/v1/wallet", headers=auth(test_key))).json()
    assert sandbox_wallet["available"]["amount"] == "981.00"

    # Live access waits for approval: no live key for a pending partner, from the CLI or the API.
    refused = steller(env, "api-key", "create", str(party_id), check=False)
    assert refused.returncode != 0
    live_by_test_key = await http.post("/v1/api-keys", json={"mode": "live"}, headers=auth(test_key))
    assert live_by_test_key.status_code in (403, 409), live_by_test_key.text

    # Approval, a live key, money: a live order completes and its cards are there.
    steller(env, "party", "approve", str(party_id))
    live_key = steller(env, "api-key", "create", str(party_id), "--name", "production").stdout.strip().splitlines()[-1]
    assert live_key.startswith("sk_live_")
    steller(env, "topup", str(party_id), "100", "--reference", "wire-journey-1")
    webhook = await http.put("/v1/webhook", json={"url": hook_url}, headers=auth(live_key))
    assert webhook.status_code == 201, webhook.text
    first_secret = webhook.json()["secret"]
    assert first_secret.startswith("whsec_") and webhook.json()["livemode"] is True
    live_placed = await http.post("/v1/orders", json={**body, "reference": "live-1"}, headers=auth(live_key))
    assert live_placed.status_code == 202, live_placed.text
    live_order = await finished(http, live_key, live_placed.json()["id"])
    assert live_order["status"] == "completed" and live_order["livemode"] is True
    assert live_order["total"] == {"amount": "19.00", "currency": "USD"}
    live_cards = await http.get(f"/v1/orders/{live_order['id']}/cards", headers=auth(live_key))
    assert live_cards.status_code == 200 and len(live_cards.json()) == 2

    # The signed order.completed event reached the partner's endpoint, and verifies.
    from core.notifications.service import verify

    [(headers, event, raw)] = await hooks.wait_for(
        lambda e: e["type"] == "order.completed" and e["data"]["order"]["id"] == live_order["id"])
    assert event["livemode"] is True and headers["steller-event-id"] == event["id"]
    assert verify(headers["steller-signature"], first_secret, raw)
    assert live_cards.json()[0]["code"] not in raw.decode()  # events never carry codes
    # Replay delivers the same event id again.
    deliveries = (await http.get("/v1/webhook/deliveries", headers=auth(live_key))).json()["data"]
    delivery = next(d for d in deliveries if d["event_id"] == event["id"])
    replayed = await http.post(f"/v1/webhook/deliveries/{delivery['id']}/replay", headers=auth(live_key))
    assert replayed.status_code == 202, replayed.text
    deadline = time.monotonic() + 60
    while len(await hooks.wait_for(lambda e: e["id"] == event["id"])) < 2:
        assert time.monotonic() < deadline, "the replay did not arrive"
        await asyncio.sleep(0.3)
    # A rotation: during the overlap every event carries both signatures.
    rotated = await http.post("/v1/webhook/rotate-secret", headers=auth(live_key))
    assert rotated.status_code == 200, rotated.text
    second_secret = rotated.json()["secret"]
    ping = await http.post("/v1/webhook/test", headers=auth(live_key))
    assert ping.status_code == 202, ping.text
    [(ping_headers, _, ping_raw)] = await hooks.wait_for(lambda e: e["type"] == "ping")
    assert ping_headers["steller-signature"].count("v1=") == 2
    assert verify(ping_headers["steller-signature"], first_secret, ping_raw)
    assert verify(ping_headers["steller-signature"], second_secret, ping_raw)

    # The statement explains each line; the top-up and the order's charge are there.
    lines = (await http.get("/v1/wallet/transactions", headers=auth(live_key))).json()["data"]
    assert all(line["description"] for line in lines)
    charged = [line for line in lines if line.get("order_id") == live_order["id"]]
    assert charged and sum(float(line["amount"]["amount"]) for line in charged) == -19.0
    assert any(line["kind"] == "topup" and line["amount"]["amount"] == "100.00" for line in lines)
    live_wallet = (await http.get("/v1/wallet", headers=auth(live_key))).json()
    assert (live_wallet["available"]["amount"], live_wallet["livemode"]) == ("81.00", True)

    # Modes never mix: the test order does not exist for the live key, nor the live one for the test key.
    assert (await http.get(f"/v1/orders/{test_order['id']}", headers=auth(live_key))).status_code == 404
    assert (await http.get(f"/v1/orders/{live_order['id']}", headers=auth(test_key))).status_code == 404

    # Rotation: a new live key by the API, the old one revoked and refused at once.
    created = await http.post("/v1/api-keys", json={"name": "rotated", "mode": "live"}, headers=auth(live_key))
    assert created.status_code == 201, created.text
    new_key = created.json()["secret"]
    keys = (await http.get("/v1/api-keys", headers=auth(new_key))).json()["data"]
    old = next(k for k in keys if k["name"] == "production")
    revoked = await http.delete(f"/v1/api-keys/{old['id']}", headers=auth(new_key))
    assert revoked.status_code in (200, 204), revoked.text
    refused_old = await http.get("/v1/me", headers=auth(live_key))
    assert (refused_old.status_code, refused_old.json()["code"]) == (401, "auth.invalid")
    assert (await http.get("/v1/me", headers=auth(new_key))).status_code == 200

    # Stats and the request log show the live key's calls (the log is written within 5 s).
    deadline = time.monotonic() + 15
    while True:
        logged = (await http.get("/v1/logs", params={"path": "/v1/orders", "limit": 100},
                                 headers=auth(new_key))).json()["data"]
        if any(row["method"] == "POST" and row["status"] == 202 for row in logged):
            break
        assert time.monotonic() < deadline, logged
        await asyncio.sleep(1)
    assert all(row["livemode"] is True for row in logged)
    stats = (await http.get("/v1/stats", params={"days": 1}, headers=auth(new_key))).json()
    assert stats["livemode"] is True and stats["orders"]["count"] == 1 and stats["orders"]["completed"] == 1
    assert stats["spend"] == {"amount": "19.00", "currency": "USD"}
    assert stats["api"]["calls"] >= len(logged) > 0

    assert "ledger ok" in steller(env, "check").stdout
