"""The Bamboo simulator on a loopback port, a client for it, and a driver for the order pipeline."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn

from core.orders import pipeline
from core.vendors.bamboo import BambooClient, SharedRateLimiter
from simulator import SimulatorConfig, create_app

CLIENT_ID, CLIENT_SECRET = "sim-client", "sim-secret"
MAGIC_RANGE_PRODUCT = 900001  # "Magic Test Card", 1–1000 USD: face cents pick the outcome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def running_simulator(**overrides):
    """A real simulator server on 127.0.0.1 (real sockets, so client timeouts are real)."""
    config = SimulatorConfig(**{"products": 60, "order_delay": 0.0, "rate_limits": False,
                                "pending_hold_seconds": 1.0, "timeout_hang_seconds": 3.0, **overrides})
    app = create_app(config)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server._serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def simulator_process(*args: str, env: dict[str, str] | None = None):
    """`steller simulator` as its own process on a free loopback port; yields (base_url, process)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.simulator_cmd", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", *args, cwd=ROOT, env=env or dict(os.environ),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            for _ in range(150):
                try:
                    if (await http.get("/_sim/stats")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the simulator did not start")
        yield base_url, proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


def vendor_client(base_url: str, *, timeout: float = 1.5, limiter: SharedRateLimiter | None = None) -> BambooClient:
    return BambooClient(base_url=base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        timeout_seconds=timeout, rate_limiter=limiter or SharedRateLimiter.disabled())


async def sim_stats(base_url: str) -> dict:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{base_url}/_sim/stats")).json()


async def sim_admin(base_url: str, path: str, body: dict | None = None) -> dict:
    async with httpx.AsyncClient() as c:
        response = await c.post(f"{base_url}/_sim/{path}", json=body or {})
        response.raise_for_status()
        return response.json()


async def drive(order_id, vendor: BambooClient, *, max_steps: int = 200, sleep_cap: float = 0.2) -> list[str]:
    """Follow the pipeline's steps like the worker would, sleeping at most `sleep_cap` between them."""
    actions = []
    step = pipeline.Step("place")
    for _ in range(max_steps):
        if step.action == "done":
            return actions
        await asyncio.sleep(min(step.delay, sleep_cap))
        runner = pipeline.place if step.action == "place" else pipeline.poll
        step = await runner(order_id=order_id, vendor=vendor)
        actions.append(step.action)
    raise AssertionError(f"order {order_id} did not settle in {max_steps} steps: {actions[-10:]}")


def magic_face(outcome: str) -> Decimal:
    return Decimal({"ok": "20.00", "failed": "20.01", "partial": "20.02", "slow": "20.03",
                    "error500": "20.04", "timeout": "20.05"}[outcome])
