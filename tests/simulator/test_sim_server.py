"""Simulator over real TCP: uvicorn on a free loopback port, plus a real callback receiver."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulator import create_app


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


async def test_real_server_place_poll_notify_and_hang(bamboo):
    received: list[dict[str, Any]] = []

    async def hook(request: Request):
        received.append(await request.json())
        return JSONResponse({"ok": True})

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    app = create_app(bamboo.config(order_delay=0.1, timeout_hang_seconds=0.4))
    async with serve(receiver) as receiver_url, serve(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, auth=bamboo.AUTH, timeout=5) as c:
            assert (await c.get("/API/Integration/V1.0/accounts")).status_code == 200
            assert (await c.get("/api/integration/v1.0/accounts", auth=None)).status_code == 401
            await c.post("/api/Integration/v1/notification",
                         json={"notificationUrl": f"{receiver_url}/hook", "secretKey": "tcp"})
            request_id = bamboo.rid()
            r = await bamboo.place(c, 439685, 10, 2, request_id=request_id)
            assert r.status_code == 200 and r.content == f'"{request_id}"'.encode()
            order = await bamboo.wait_terminal(c, request_id)
            assert order["status"] == "Succeeded" and len(order["items"][0]["cards"]) == 2
            for _ in range(300):
                if received:
                    break
                await asyncio.sleep(0.01)
            assert received == [{
                "orderId": order["orderId"], "status": "succeeded", "totalCards": 2,
                "createdOn": order["createdDate"], "completedOn": received[0]["completedOn"],
                "secretKey": "tcp", "requestId": request_id,
            }]

            # .05: the caller's read times out, yet the order exists and completes.
            hang_id = bamboo.rid()
            with pytest.raises(httpx.ReadTimeout):
                await c.post("/api/integration/v1.0/orders/checkout", timeout=0.2, json={
                    "RequestId": hang_id, "AccountId": 555,
                    "Products": [{"ProductId": 900001, "Quantity": 1, "Value": 10.05}]})
            assert (await bamboo.wait_terminal(c, hang_id))["status"] == "Succeeded"
            stats = (await c.get("/_sim/stats")).json()
            assert stats["placements"][hang_id]["calls"] == 1
            assert stats["orders"]["total"] == 2


def test_cli_command_builds_the_configured_app(monkeypatch):
    from cli.simulator_cmd import simulator_cmd
    from core.config import reset_settings_cache

    captured: dict[str, Any] = {}

    def fake_run(app, **kwargs):
        captured["app"], captured["kwargs"] = app, kwargs

    monkeypatch.setenv("BAMBOO_CLIENT_ID", "cli-id")
    monkeypatch.setenv("BAMBOO_CLIENT_SECRET", "cli-secret")
    monkeypatch.setattr(uvicorn, "run", fake_run)
    reset_settings_cache()
    try:
        result = CliRunner().invoke(simulator_cmd, [
            "--port", "18099", "--products", "250", "--order-delay", "0.5",
            "--no-rate-limits", "--seed", "9",
        ])
    finally:
        reset_settings_cache()
    assert result.exit_code == 0, result.output
    assert simulator_cmd.name == "simulator"
    assert captured["kwargs"]["port"] == 18099 and captured["kwargs"]["host"] == "127.0.0.1"
    sim = captured["app"].state.sim
    assert (sim.config.client_id, sim.config.client_secret) == ("cli-id", "cli-secret")
    assert sim.catalog.product_count == 250 and sim.config.seed == 9
    assert sim.order_delay == 0.5 and sim.rate_limits_enabled is False


async def test_mounted_under_a_prefix_in_a_larger_app(bamboo):
    from fastapi import FastAPI

    host = FastAPI()
    sim_app = create_app(bamboo.config())
    host.mount("/bamboo", sim_app)

    @host.get("/health")
    async def health():
        return {"ok": True}

    transport = httpx.ASGITransport(app=host)
    async with httpx.AsyncClient(transport=transport, base_url="http://all-in-one", auth=bamboo.AUTH) as c:
        assert (await c.get("/health")).json() == {"ok": True}
        assert (await c.get("/bamboo/API/integration/v1.0/Accounts")).status_code == 200
        request_id = bamboo.rid()
        r = await c.post(
            "/bamboo/api/integration/v1.0/orders/checkout",
            json={"RequestId": request_id, "AccountId": 555,
                  "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]})
        assert r.json() == request_id
        order = (await c.get(f"/bamboo/api/integration/v1/orders/{request_id}")).json()
        assert order["status"] == "Succeeded"
        stats = (await c.get("/bamboo/_sim/stats")).json()
        assert stats["placements"][request_id]["created"] is True
    await sim_app.state.sim.aclose()
