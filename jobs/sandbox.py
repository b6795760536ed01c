"""The vendor of test orders: always a Bamboo simulator, never Bamboo.

- `SANDBOX_BAMBOO_BASE_URL` set: a simulator server there (shared by every worker);
- no Bamboo credentials (development): the same simulator that stands in for Bamboo;
- real Bamboo credentials: a simulator app inside this worker, through `httpx.ASGITransport` (no
  extra server). It accepts Bamboo's product ids. Its orders live in this process's memory, so with
  several workers a test order placed by one may be polled by another that never saw it: a
  deployment with many workers should run `steller simulator` and set SANDBOX_BAMBOO_BASE_URL.
"""

from __future__ import annotations

import httpx

from core.config import Settings
from core.vendors.bamboo import BambooClient, SharedRateLimiter


def sandbox_vendor(settings: Settings, *, live_vendor: BambooClient, redis) -> BambooClient:
    from simulator.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    if settings.sandbox_bamboo_base_url is None and settings.uses_simulator:
        return live_vendor
    limiter = SharedRateLimiter(redis, key_prefix="bamboo:rl:sandbox:", max_wait_seconds=20.0)
    if settings.sandbox_bamboo_base_url is not None:
        return BambooClient(base_url=settings.sandbox_bamboo_base_url, client_id=DEFAULT_CLIENT_ID,
                            client_secret=DEFAULT_CLIENT_SECRET, rate_limiter=limiter)
    from simulator.app import create_app
    from simulator.config import SimulatorConfig

    app = create_app(SimulatorConfig(accept_any_product=True))
    return BambooClient(base_url="http://sandbox-simulator", client_id=DEFAULT_CLIENT_ID,
                        client_secret=DEFAULT_CLIENT_SECRET, rate_limiter=limiter,
                        transport=httpx.ASGITransport(app=app))


def vendor_for(ctx, *, livemode: bool) -> BambooClient:
    if livemode:
        return ctx["vendor"]
    vendor = ctx.get("sandbox_vendor")
    if vendor is None:
        from core.config import get_settings

        if not get_settings().uses_simulator:  # never send a test order to Bamboo
            raise RuntimeError("no sandbox vendor in this worker")
        vendor = ctx["vendor"]
    return vendor
