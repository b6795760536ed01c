"""Test helpers: an in-process Bamboo simulator (rate limits off, small catalog) behind a
recording transport, and a BambooClient on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from core.vendors.bamboo import BambooClient
from simulator import SimulatorConfig, create_app

BASE_URL = "http://bamboo.test"
# 60 products = 21 fixed test products + 39 generated over 30 brands: 38 brands in all.
PRODUCTS = 60
BRANDS = 38
PAGE_SIZE = 10  # 4 pages of brands (10, 10, 10, 8)
PAGES = 4


class Recorder(httpx.AsyncBaseTransport):
    """Counts every request; `fail_when(request)` true → a connection error instead of sending;
    `answer(request)` → a canned response instead of the simulator's."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.fail_when: Callable[[httpx.Request], bool] | None = None
        self.answer: Callable[[httpx.Request], httpx.Response | None] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_when is not None and self.fail_when(request):
            raise httpx.ConnectError("injected failure", request=request)
        if self.answer is not None:
            canned = self.answer(request)
            if canned is not None:
                return canned
        return await self.inner.handle_async_request(request)

    def catalog_pages(self) -> list[int]:
        """PageIndex of every catalog request, in order."""
        return [
            int(r.url.params.get("PageIndex", "0"))
            for r in self.requests
            if r.url.path.lower().endswith("/v2.0/catalog")
        ]

    def reset(self) -> None:
        self.requests.clear()


class Sim:
    def __init__(self, **overrides: Any) -> None:
        config = SimulatorConfig(products=PRODUCTS, order_delay=0.0, rate_limits=False, **overrides)
        self.app = create_app(config)
        self.recorder = Recorder(httpx.ASGITransport(app=self.app))
        self.admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL)
        self.client = BambooClient(
            base_url=BASE_URL, client_id=config.client_id, client_secret=config.client_secret,
            transport=self.recorder,
        )

    async def post(self, path: str, body: Any = None) -> Any:
        response = await self.admin.post(f"/_sim{path}", json=body if body is not None else {})
        assert response.status_code == 200, response.text
        return response.json()

    async def delete(self, path: str) -> Any:
        response = await self.admin.delete(f"/_sim{path}")
        assert response.status_code == 200, response.text
        return response.json()

    async def stats(self) -> dict[str, Any]:
        return (await self.admin.get("/_sim/stats")).json()

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.admin.aclose()
        await self.app.state.sim.aclose()
