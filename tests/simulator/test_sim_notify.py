"""Simulator: notification config and the callback fired when an order turns terminal."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DATE7 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}")


class Receiver:
    """A tiny ASGI app that records callbacks; fails the first ``fail_first`` calls."""

    def __init__(self, fail_first: int = 0):
        self.received: list[dict[str, Any]] = []
        self.calls = 0
        self.fail_first = fail_first

        async def hook(request: Request):
            self.calls += 1
            if self.calls <= self.fail_first:
                return JSONResponse({"no": True}, status_code=500)
            self.received.append({"path": request.url.path, **(await request.json())})
            return JSONResponse({"ok": True})

        self.app = Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])

    async def wait_for(self, n: int, timeout: float = 3.0) -> list[dict[str, Any]]:
        for _ in range(int(timeout / 0.01)):
            if len(self.received) >= n:
                return self.received
            await asyncio.sleep(0.01)
        raise AssertionError(f"got {len(self.received)} callbacks, wanted {n}")


async def test_notification_config_get_and_post(client, bamboo):
    path = "/api/Integration/v1/notification"
    assert bamboo.json(await client.get(path)) == {
        "notificationUrl": None, "notificationUrlSandbox": None, "secretKey": None}
    sent = {"notificationUrl": "https://example.test/live", "notificationUrlSandbox": "https://example.test/sb",
            "secretKey": "s3cret"}
    assert bamboo.json(await client.post(path, json=sent)) == sent
    assert bamboo.json(await client.get("/api/integration/v1.0/notification")) == sent
    # Older clients send only two fields; the third stays.
    partial = bamboo.json(await client.post(path, json={"notificationUrl": "", "secretKey": "k2"}))
    assert partial == {"notificationUrl": "", "notificationUrlSandbox": "https://example.test/sb", "secretKey": "k2"}


async def test_callback_posted_when_orders_turn_terminal(bamboo):
    receiver = Receiver()
    cfg = bamboo.config(order_delay=0.05, notification_transport=httpx.ASGITransport(app=receiver.app))
    async with bamboo.client(cfg) as c:
        await c.post("/api/Integration/v1/notification",
                     json={"notificationUrl": "http://receiver.test/bamboo/hook", "secretKey": "shh"})
        ok, failed, partial = bamboo.rid(), bamboo.rid(), bamboo.rid()
        await bamboo.place(c, 439685, 10, 3, request_id=ok)
        await bamboo.place(c, 900001, "12.01", 1, request_id=failed)
        await bamboo.place(c, 900001, "12.02", 4, request_id=partial)
        got = {p["requestId"]: p for p in await receiver.wait_for(3)}
        order = bamboo.json(await c.get(f"{bamboo.V1}/orders/{ok}"))
        payload = got[ok]
        assert payload["path"] == "/bamboo/hook"
        assert payload["orderId"] == order["orderId"]
        assert payload["status"] == "succeeded" and payload["totalCards"] == 3
        assert payload["secretKey"] == "shh"
        assert DATE7.fullmatch(payload["createdOn"]) and DATE7.fullmatch(payload["completedOn"])
        assert payload["createdOn"] == order["createdDate"] and payload["completedOn"] >= payload["createdOn"]
        assert set(payload) == {"path", "orderId", "status", "totalCards", "createdOn", "completedOn",
                                "secretKey", "requestId"}
        assert got[failed]["status"] == "failed"
        assert got[partial]["status"] == "partialfailed"
        stats = await bamboo.stats(c)
        assert stats["notifications"]["sent"] == 3 and stats["notifications"]["failed"] == 0
        await asyncio.sleep(0.1)
        assert len(receiver.received) == 3  # exactly once per order


async def test_callback_retries_then_gives_up_without_crashing(bamboo):
    flaky = Receiver(fail_first=2)
    cfg = bamboo.config(notification_transport=httpx.ASGITransport(app=flaky.app), notification_retries=3)
    async with bamboo.client(cfg) as c:
        await c.post("/api/Integration/v1/notification", json={"notificationUrl": "http://r.test/h"})
        request_id = bamboo.rid()
        await bamboo.place(c, 2118010, 10, request_id=request_id)
        await bamboo.wait_terminal(c, request_id)
        (payload,) = await flaky.wait_for(1)
        assert payload["requestId"] == request_id and flaky.calls == 3
        assert payload["secretKey"] is None

    dead = Receiver(fail_first=100)
    cfg = bamboo.config(notification_transport=httpx.ASGITransport(app=dead.app), notification_retries=2)
    async with bamboo.client(cfg) as c:
        await c.post("/api/Integration/v1/notification", json={"notificationUrl": "http://r.test/h"})
        await bamboo.place(c, 2118010, 10)
        for _ in range(200):
            stats = await bamboo.stats(c)
            if stats["notifications"]["failed"]:
                break
            await asyncio.sleep(0.01)
        assert stats["notifications"]["failed"] == 1 and stats["notifications"]["attempts"] == 2
        assert stats["notifications"]["recent"][-1]["error"] == "HTTP 500"
        assert (await c.get(f"{bamboo.V1}/accounts")).status_code == 200  # app unharmed


async def test_sandbox_url_preferred_and_empty_url_disables(bamboo):
    receiver = Receiver()
    cfg = bamboo.config(notification_transport=httpx.ASGITransport(app=receiver.app))
    async with bamboo.client(cfg) as c:
        await c.post("/api/Integration/v1/notification", json={
            "notificationUrl": "http://r.test/live", "notificationUrlSandbox": "http://r.test/sandbox"})
        first = bamboo.rid()
        await bamboo.place(c, 2118010, 10, request_id=first)
        await bamboo.wait_terminal(c, first)
        (payload,) = await receiver.wait_for(1)
        assert payload["path"] == "/sandbox"
        await c.post("/api/Integration/v1/notification", json={"notificationUrl": "", "notificationUrlSandbox": ""})
        second = bamboo.rid()
        await bamboo.place(c, 2118010, 10, request_id=second)
        await bamboo.wait_terminal(c, second)
        await asyncio.sleep(0.05)
        assert len(receiver.received) == 1
