"""The shared rate limiter: one budget per endpoint across processes, kept in a real Redis.

Two `SharedRateLimiter` instances over one Redis stand for two processes. Limits are checked on
the grant times Redis itself hands out, so the assertions do not depend on this box's scheduling;
only the "it did not hang" bounds are timed, and those are generous.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as redis_asyncio

from core.vendors.bamboo import DEFAULT_LIMITS, RateLimit, SharedRateLimiter, VendorRateLimited
from core.vendors.bamboo.ratelimit import BambooEndpoint

# Grant times are Redis µs turned into float seconds: allow for the float rounding only.
EPSILON = 2e-6


def two_processes(redis, key_prefix, **limits) -> tuple[SharedRateLimiter, SharedRateLimiter]:
    return tuple(  # type: ignore[return-value]
        SharedRateLimiter(redis, key_prefix=key_prefix, limits=limits, max_wait_seconds=None)
        for _ in range(2)
    )


def assert_sliding_window(grants: list[float], limit: RateLimit) -> None:
    """No window of `period` holds more than `count` grants; consecutive gaps >= min interval."""
    grants = sorted(grants)
    for first, later in zip(grants, grants[limit.count :]):
        assert later - first >= limit.period_seconds - EPSILON, (first, later)
    for first, second in zip(grants, grants[1:]):
        assert second - first >= limit.min_interval_seconds - EPSILON, (first, second)


async def test_two_processes_together_stay_within_the_limit(redis, key_prefix):
    limit = RateLimit(5, 1.0)
    first, second = two_processes(redis, key_prefix, shared_test=limit)
    grants: dict[str, list[float]] = {"first": [], "second": []}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.6

    async def worker(name: str, limiter: SharedRateLimiter) -> None:
        while loop.time() < deadline:
            grants[name].append(await limiter.acquire("shared_test"))

    started = time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(worker(n, l) for n, l in (("first", first), ("second", second)) for _ in range(3))),
        timeout=15,
    )
    elapsed = time.monotonic() - started

    combined = grants["first"] + grants["second"]
    assert_sliding_window(combined, limit)
    span = max(combined) - min(combined)
    assert len(combined) <= limit.count * (int(span / limit.period_seconds) + 1)
    # Each of the six workers got at least one slot, so the budget refilled after the first window.
    assert len(combined) >= 6 and grants["first"] and grants["second"]
    assert elapsed < 10


async def test_min_interval_spaces_place_orders_across_processes(redis, key_prefix):
    limit = RateLimit(10, 1.0, min_interval_seconds=0.1)
    first, second = two_processes(redis, key_prefix, spaced=limit)

    grants = await asyncio.wait_for(
        asyncio.gather(*(limiter.acquire("spaced") for limiter in (first, second) for _ in range(3))),
        timeout=10,
    )

    assert_sliding_window(list(grants), limit)
    assert max(grants) - min(grants) >= 5 * 0.1 - EPSILON


async def test_block_from_one_process_makes_the_other_wait(redis, key_prefix):
    first, second = two_processes(redis, key_prefix, blocked=RateLimit(100, 1.0))

    blocked_until = await first.block("blocked", 0.5)
    started = time.monotonic()
    granted_at = await asyncio.wait_for(second.acquire("blocked"), timeout=10)
    waited = time.monotonic() - started

    assert granted_at >= blocked_until - EPSILON
    assert 0.3 <= waited < 8


async def test_block_only_extends_and_shows_in_state(redis, key_prefix):
    first, second = two_processes(redis, key_prefix)

    await first.block(BambooEndpoint.CATALOG, 30)
    await first.block(BambooEndpoint.CATALOG, 1)  # a shorter wait never shortens a block

    state = (await second.state())[BambooEndpoint.CATALOG]
    assert 25 < state.blocked_for_seconds <= 30
    assert state.next_slot_in_seconds >= state.blocked_for_seconds
    with pytest.raises(VendorRateLimited) as caught:
        await second.acquire(BambooEndpoint.CATALOG, max_wait_seconds=0.2)
    assert not caught.value.imposed_by_vendor and caught.value.wait_seconds > 25


async def test_spent_budget_raises_instead_of_sleeping_past_max_wait(redis, key_prefix):
    limiter = SharedRateLimiter(redis, key_prefix=key_prefix, limits={"hourly": (2, 3600)}, max_wait_seconds=1)

    await limiter.acquire("hourly")
    await limiter.acquire("hourly")
    started = time.monotonic()
    with pytest.raises(VendorRateLimited) as caught:
        await limiter.acquire("hourly")

    assert 3500 < caught.value.wait_seconds <= 3600
    assert time.monotonic() - started < 5  # answered, not slept
    state = (await limiter.state())["hourly"]
    assert state.used_in_window == 2 and state.granted_here == 2


async def test_state_lists_every_bamboo_endpoint_with_its_limit(redis, key_prefix):
    limiter = SharedRateLimiter(redis, key_prefix=key_prefix)

    await limiter.acquire(BambooEndpoint.GET_ORDER)
    state = await limiter.state()

    assert set(DEFAULT_LIMITS) <= set(state)
    assert state[BambooEndpoint.GET_ORDER].used_in_window == 1
    assert state[BambooEndpoint.GET_ORDER].limit == RateLimit(120, 60.0)
    assert state[BambooEndpoint.PLACE_ORDER].limit == RateLimit(2, 1.0, 0.5)
    assert state[BambooEndpoint.TRANSACTIONS].limit == RateLimit(4, 3600.0)
    assert state[BambooEndpoint.CATALOG].limit == RateLimit(1, 1.0)
    keys = {key.decode() async for key in redis.scan_iter(match=f"{key_prefix}*")}
    assert keys == {f"{key_prefix}{{get_order}}:log"}  # hash-tagged: one cluster slot per endpoint


async def test_a_429_seen_by_one_client_blocks_the_other_process(redis, key_prefix, make_client, json_response):
    first, second = two_processes(redis, key_prefix)
    client = make_client(
        lambda r: json_response(429, {"message": "Please wait for 20 seconds"}), rate_limiter=first
    )

    with pytest.raises(VendorRateLimited):
        await client.get_exchange_rates()

    state = (await second.state())[BambooEndpoint.EXCHANGE_RATES]
    assert 15 < state.blocked_for_seconds <= 20


async def test_in_memory_limiter_applies_the_same_rule():
    limit = RateLimit(3, 0.3)
    limiter = SharedRateLimiter.in_memory(limits={"local": limit}, max_wait_seconds=None)

    grants = [await asyncio.wait_for(limiter.acquire("local"), timeout=10) for _ in range(7)]

    assert_sliding_window(grants, limit)
    assert not limiter.shared


async def test_disabled_limiter_grants_at_once():
    limiter = SharedRateLimiter.disabled()

    started = time.monotonic()
    for _ in range(50):
        await limiter.acquire(BambooEndpoint.CATALOG)

    assert time.monotonic() - started < 2


async def test_unreachable_redis_falls_back_to_the_process_budget():
    dead = redis_asyncio.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    limiter = SharedRateLimiter(dead, limits={"local": (2, 0.2)}, max_wait_seconds=None)
    try:
        grants = [await asyncio.wait_for(limiter.acquire("local"), timeout=10) for _ in range(4)]
        until = await limiter.block("local", 0.05)
        state = (await limiter.state())["local"]
    finally:
        await dead.aclose()

    assert_sliding_window(grants, RateLimit(2, 0.2))
    assert until > 0 and state.granted_here == 4


def test_rate_limit_refuses_nonsense():
    with pytest.raises(ValueError):
        RateLimit(0, 1.0)
    with pytest.raises(ValueError):
        RateLimit(1, 0)
    assert RateLimit.of((2, 1.0, 0.5)) == RateLimit(2, 1.0, min_interval_seconds=0.5)


async def test_per_product_keys_use_their_family_limit():
    limiter = SharedRateLimiter.in_memory()

    assert limiter.limit_for("place_order_product:439685") == RateLimit(6, 60.0)
    assert limiter.limit_for("something_new") == RateLimit(1, 1.0)
