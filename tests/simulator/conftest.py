"""Fixtures for the Bamboo simulator tests.

Helpers are exposed through the `bamboo` fixture (not imported from here), so the tests work under
any pytest import mode and next to other conftest.py files.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, AsyncIterator

import httpx
import pytest

from simulator import SimulatorConfig, create_app
from simulator.jsonutil import loads


class BambooHelpers:
    AUTH = ("sim-client", "sim-secret")
    V1 = "/api/integration/v1.0"
    V2 = "/api/integration/v2.0"

    @staticmethod
    def config(**overrides: Any) -> SimulatorConfig:
        """Small catalog, instant orders, no rate limits, short magic timings."""
        base: dict[str, Any] = dict(
            products=120, order_delay=0.0, rate_limits=False, pending_hold_seconds=0.4,
            timeout_hang_seconds=0.3, notification_backoff=0.01,
        )
        base.update(overrides)
        return SimulatorConfig(**base)

    @asynccontextmanager
    async def client(self, config: SimulatorConfig | None = None, *, auth: Any = AUTH,
                     **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        """An httpx client over ASGITransport for a fresh app; ``client.app`` is the app."""
        app = create_app(config or self.config(**overrides))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bamboo.test", auth=auth) as c:
            c.app = app  # type: ignore[attr-defined]
            try:
                yield c
            finally:
                await app.state.sim.aclose()

    @staticmethod
    def json(response: httpx.Response) -> Any:
        """Response JSON with exact decimals."""
        return loads(response.content)

    @staticmethod
    def rid() -> str:
        return str(uuid.uuid4())

    async def place(self, client: httpx.AsyncClient, product_id: int, value: Any,
                    quantity: int = 1, *, account: int = 555,
                    request_id: str | None = None) -> httpx.Response:
        return await client.post(
            f"{self.V1}/orders/checkout",
            json={
                "RequestId": request_id or self.rid(),
                "AccountId": account,
                "Products": [{"ProductId": product_id, "Quantity": quantity, "Value": value}],
            },
        )

    async def balance(self, client: httpx.AsyncClient, account: int = 555) -> Decimal:
        data = self.json(await client.get(f"{self.V1}/accounts"))
        return next(Decimal(str(a["balance"])) for a in data["accounts"] if a["id"] == account)

    async def wait_terminal(self, client: httpx.AsyncClient, request_id: str,
                            timeout: float = 3.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.json(await client.get(f"{self.V1}/orders/{request_id}"))
            if data["status"] in ("Succeeded", "Failed", "PartialFailed"):
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"order {request_id} still {data['status']}")
            await asyncio.sleep(0.02)

    async def stats(self, client: httpx.AsyncClient) -> dict[str, Any]:
        return self.json(await client.get("/_sim/stats"))


@pytest.fixture
def bamboo() -> BambooHelpers:
    return BambooHelpers()


@pytest.fixture
async def client(bamboo: BambooHelpers) -> AsyncIterator[httpx.AsyncClient]:
    async with bamboo.client() as c:
        yield c
