"""Simulator: Bamboo's rate limits (429 + message + Retry-After), the off switch, fault knobs."""

from __future__ import annotations

import asyncio
import re
import time

WAIT_RE = re.compile(r"wait\s+(?:for\s+)?(\d+)\s+seconds?")  # what clients parse


def wait_seconds(response) -> int:
    match = WAIT_RE.search(response.json()["message"])
    assert match, response.text
    return int(match.group(1))


async def test_catalog_v2_one_per_second_429_with_message_and_retry_after(bamboo):
    async with bamboo.client(rate_limits=True) as c:
        assert (await c.get(f"{bamboo.V2}/catalog")).status_code == 200
        r = await c.get(f"{bamboo.V2}/catalog")
        assert r.status_code == 429
        assert r.json()["message"].startswith("Too many requests. Please wait for ")
        assert r.json()["message"].endswith(" seconds for the next request")
        assert wait_seconds(r) == 1 and r.headers["retry-after"] == "1"
        # Other endpoints have their own budget.
        assert (await c.get(f"{bamboo.V1}/accounts")).status_code == 200
        stats = await bamboo.stats(c)
        assert stats["rate_limited"] == {"catalog_v2": 1} and stats["rate_limited_total"] == 1
        assert stats["responses"]["catalog_v2"] == {"200": 1, "429": 1}
        assert stats["requests"]["catalog_v2"] == 2
        # A 429 does not use up budget: after the window one request passes again.
        await c.post("/_sim/rate-limits", json={"limits": {"catalog_v2": {"limit": 1, "window": 0.2}}})
        await asyncio.sleep(0.25)
        assert (await c.get(f"{bamboo.V2}/catalog")).status_code == 200


async def test_documented_limits_per_endpoint(bamboo):
    async with bamboo.client(rate_limits=True) as c:
        codes = [(await c.get(f"{bamboo.V1}/catalog")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        third = await c.get(f"{bamboo.V1}/catalog")
        assert 3590 <= wait_seconds(third) <= 3600  # 2 per hour
        assert int(third.headers["retry-after"]) == wait_seconds(third)

        codes = [(await c.get("/api/Integration/v1/transactions")).status_code for _ in range(5)]
        assert codes == [200] * 4 + [429]  # 4 per hour
        codes = [(await c.get(f"{bamboo.V1}/exchange-rates")).status_code for _ in range(21)]
        assert codes == [200] * 20 + [429]  # 20 per minute
        request_id = bamboo.rid()
        await bamboo.place(c, 439685, 10, request_id=request_id)
        codes = [(await c.get(f"{bamboo.V1}/orders/{request_id}")).status_code for _ in range(121)]
        assert codes == [200] * 120 + [429]  # 120 per minute
        stats = await bamboo.stats(c)
        assert stats["rate_limited"] == {"catalog_v1": 2, "transactions": 1, "exchange_rates": 1, "get_order": 1}


async def test_place_order_spacing_and_per_product_limit(bamboo):
    async with bamboo.client(rate_limits=True) as c:
        first = await bamboo.place(c, 439685, 10)
        rid = bamboo.rid()
        second = await bamboo.place(c, 2118010, 10, request_id=rid)  # < 500 ms later
        assert first.status_code == 200 and second.status_code == 429
        assert second.headers["retry-after"] == "1"
        stats = await bamboo.stats(c)
        assert rid not in stats["placements"]  # rejected before reaching Bamboo's order logic
        await asyncio.sleep(0.5)
        assert (await bamboo.place(c, 2118010, 10, request_id=rid)).status_code == 200

        # Per product: shrink the other limits so the product limit is what bites.
        await c.post("/_sim/rate-limits", json={
            "limits": {"place_order": {"limit": 100, "window": 1}}, "placeSpacing": 0,
            "perProduct": {"limit": 2, "window": 60}, "clear": True,
        })
        codes = [(await bamboo.place(c, 2120010, 10)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        blocked = await bamboo.place(c, 2120010, 10)
        assert 55 <= wait_seconds(blocked) <= 60
        assert (await bamboo.place(c, 2120025, 25)).status_code == 200  # another product is fine
        assert (await bamboo.stats(c))["rate_limited"]["place_order"] == 3


async def test_real_place_budget_allows_two_per_second_when_paced(bamboo):
    async with bamboo.client(rate_limits=True, per_product_limit=False) as c:
        codes = []
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(0.51)
            codes.append((await bamboo.place(c, 439685, 10)).status_code)
        assert codes == [200] * 3


async def test_rate_limit_off_switch(bamboo):
    async with bamboo.client(rate_limits=True) as c:
        await c.get(f"{bamboo.V2}/catalog")
        assert (await c.get(f"{bamboo.V2}/catalog")).status_code == 429
        off = await c.post("/_sim/rate-limits", json={"enabled": False})
        assert off.json()["enabled"] is False
        codes = [(await c.get(f"{bamboo.V2}/catalog")).status_code for _ in range(5)]
        assert codes == [200] * 5
        codes = [(await bamboo.place(c, 2118010, 10)).status_code for _ in range(8)]
        assert codes == [200] * 8  # spacing and per-product limits are off too
    async with bamboo.client(rate_limits=False) as c:
        codes = [(await c.get(f"{bamboo.V1}/catalog")).status_code for _ in range(4)]
        assert codes == [200] * 4


async def test_down_switch_gives_503_everywhere_but_admin(client, bamboo):
    assert (await client.post("/_sim/faults", json={"down": True})).json()["down"] is True
    for method, path in [("GET", f"{bamboo.V1}/accounts"), ("GET", f"{bamboo.V2}/catalog"),
                         ("POST", f"{bamboo.V1}/orders/checkout")]:
        r = await client.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 503
    anon = await client.get(f"{bamboo.V1}/accounts", auth=None)
    assert anon.status_code == 503  # down beats auth, like a dead host
    stats = await bamboo.stats(client)
    assert stats["down_rejections"] == 4 and stats["orders"]["total"] == 0
    await client.post("/_sim/faults", json={"down": False})
    assert (await client.get(f"{bamboo.V1}/accounts")).status_code == 200


async def test_error_rate_one_fails_every_call_and_records_nothing(client, bamboo):
    await client.post("/_sim/faults", json={"error_rate": 1.0, "error_statuses": [500]})
    request_id = bamboo.rid()
    for _ in range(3):
        assert (await bamboo.place(client, 439685, 10, request_id=request_id)).status_code == 500
    assert (await client.get(f"{bamboo.V1}/accounts")).status_code == 500
    stats = await bamboo.stats(client)
    assert stats["faults_injected"] == {"place_order": {"500": 3}, "accounts": {"500": 1}}
    assert request_id not in stats["placements"] and stats["orders"]["total"] == 0
    # Mixed statuses and a limited scope.
    await client.post("/_sim/faults", json={"error_statuses": [503], "endpoints": ["place_order"]})
    assert (await client.get(f"{bamboo.V1}/accounts")).status_code == 200
    assert (await bamboo.place(client, 439685, 10)).status_code == 503
    await client.post("/_sim/faults", json={"error_rate": 0, "endpoints": None})
    assert (await bamboo.place(client, 439685, 10, request_id=request_id)).status_code == 200


async def test_partial_error_rate_is_a_fraction(bamboo):
    async with bamboo.client(error_rate=0.5) as c:
        codes = [(await c.get(f"{bamboo.V1}/accounts")).status_code for _ in range(200)]
        failures = sum(1 for code in codes if code >= 500)
        assert 60 <= failures <= 140
        assert set(codes) <= {200, 500, 503}


async def test_injected_429_storm_and_latency(client, bamboo):
    await client.post("/_sim/faults", json={"error_rate": 1, "error_statuses": [429], "storm_retry_after": 7})
    r = await client.get(f"{bamboo.V2}/categories")
    assert r.status_code == 429 and r.headers["retry-after"] == "7" and wait_seconds(r) == 7
    await client.post("/_sim/faults", json={"error_rate": 0, "latency_ms": 150})
    started = time.monotonic()
    assert (await client.get(f"{bamboo.V2}/categories")).status_code == 200
    assert time.monotonic() - started >= 0.15
    await client.post("/_sim/faults", json={"latency_ms": 0})
    started = time.monotonic()
    await client.get(f"{bamboo.V2}/categories")
    assert time.monotonic() - started < 0.1
    bad = await client.post("/_sim/faults", json={"error_rate": 2})
    assert bad.status_code == 400
    assert (await client.post("/_sim/faults", json={"nonsense": 1})).status_code == 400


async def test_reset_and_order_delay_knobs(client, bamboo):
    await bamboo.place(client, 439685, 10)
    await client.post("/_sim/faults", json={"down": True})
    assert (await client.post("/_sim/reset")).status_code == 200
    stats = await bamboo.stats(client)
    assert stats["orders"]["total"] == 0 and stats["faults"]["down"] is False
    assert await bamboo.balance(client) == 100000
    knobs = (await client.post("/_sim/order-delay", json={"seconds": 0.3})).json()
    assert knobs["order_delay"] == 0.3
    request_id = bamboo.rid()
    await bamboo.place(client, 439685, 10, request_id=request_id)
    assert bamboo.json(await client.get(f"{bamboo.V1}/orders/{request_id}"))["status"] != "Succeeded"
    done = bamboo.json(await client.post(f"/_sim/orders/{request_id}/complete"))
    assert done["status"] == "Succeeded"


async def test_admin_token_protects_admin_endpoints(bamboo):
    async with bamboo.client(bamboo.config(admin_token="t0k")) as c:
        assert (await c.get("/_sim/stats")).status_code == 401
        assert (await c.get("/_sim/stats", headers={"X-Sim-Admin-Token": "t0k"})).status_code == 200
        assert (await c.get(f"{bamboo.V1}/accounts")).status_code == 200
