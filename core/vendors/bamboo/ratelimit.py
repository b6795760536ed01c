"""Bamboo's per-endpoint rate limits, shared by every process of a deployment through Redis.

Algorithm: a sliding-window log per endpoint (a Redis sorted set of grant times, on Redis's own
clock), checked and appended by one Lua script so concurrent processes cannot both take the last
slot. It guarantees at most `count` grants in ANY window of `period_seconds` (no burst beyond
`count`), plus an optional minimum gap between consecutive grants (Place Order: 500 ms). A
vendor-imposed wait (after a 429) is a per-endpoint "blocked until" key that the same script
honours. Grant times come back on Redis's clock (or time.monotonic in memory-only mode).

Bamboo counts requests when they ARRIVE, we count them when we SEND: two requests granted exactly
one period apart can arrive less than a period apart (the first one paid for a new connection, or
was delayed by a busy event loop or network), and the second gets a 429. So every period of up
to a minute, and every minimum gap, is paced `safety_margin_seconds` longer than Bamboo's figure
(hourly budgets are left exact: there the margin is noise, and a refusal's wait stays Bamboo's).
The limits themselves, as shown in `state()`, stay Bamboo's.

Within a process, an aiolimiter per endpoint smooths bursts of coroutines before they reach Redis;
the Redis budget decides. If Redis is unreachable the limiter falls back to the same algorithm in
process memory (logged), so a Redis outage slows nothing down but may cost a 429.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiolimiter import AsyncLimiter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.logging import get_logger
from core.vendors.bamboo.errors import VendorRateLimited

DEFAULT_KEY_PREFIX = "steller:bamboo:rl:"


class BambooEndpoint(StrEnum):
    CATALOG_V1 = "catalog_v1"
    CATALOG = "catalog"
    CATEGORIES = "categories"
    ACCOUNTS = "accounts"
    EXCHANGE_RATES = "exchange_rates"
    PLACE_ORDER = "place_order"
    GET_ORDER = "get_order"
    ORDERS_REPORT = "orders_report"
    TRANSACTIONS = "transactions"
    NOTIFICATION = "notification"
    # Per-product budget of Place Order, keyed "place_order_product:<productId>".
    PLACE_ORDER_PRODUCT = "place_order_product"


def product_endpoint(product_id: int) -> str:
    """The limiter key of Bamboo's "6 orders for the same product within 1 minute" rule."""
    return f"{BambooEndpoint.PLACE_ORDER_PRODUCT}:{product_id}"


@dataclass(frozen=True)
class RateLimit:
    """At most `count` calls in any `period_seconds`, and `min_interval_seconds` between calls."""

    count: int
    period_seconds: float
    min_interval_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.count < 1 or self.period_seconds <= 0 or self.min_interval_seconds < 0:
            raise ValueError(f"invalid rate limit {self!r}")

    @classmethod
    def of(cls, value: "RateLimit | tuple[int, float] | tuple[int, float, float]") -> "RateLimit":
        return value if isinstance(value, RateLimit) else cls(*value)


# bamboo-api.md §3. "All other APIs, including catalog v2: 1 per second", applied per endpoint.
OTHER_ENDPOINTS_LIMIT = RateLimit(1, 1.0)
DEFAULT_LIMITS: dict[str, RateLimit] = {
    BambooEndpoint.CATALOG_V1: RateLimit(2, 3600.0),
    BambooEndpoint.GET_ORDER: RateLimit(120, 60.0),
    BambooEndpoint.PLACE_ORDER: RateLimit(2, 1.0, min_interval_seconds=0.5),
    BambooEndpoint.PLACE_ORDER_PRODUCT: RateLimit(6, 60.0),
    BambooEndpoint.EXCHANGE_RATES: RateLimit(20, 60.0),
    BambooEndpoint.TRANSACTIONS: RateLimit(4, 3600.0),
    BambooEndpoint.CATALOG: OTHER_ENDPOINTS_LIMIT,
    BambooEndpoint.CATEGORIES: OTHER_ENDPOINTS_LIMIT,
    BambooEndpoint.ACCOUNTS: OTHER_ENDPOINTS_LIMIT,
    BambooEndpoint.ORDERS_REPORT: OTHER_ENDPOINTS_LIMIT,
    BambooEndpoint.NOTIFICATION: OTHER_ENDPOINTS_LIMIT,
}
# The in-process smoothing front only pays off for short periods; for hourly budgets it would
# just park coroutines for half an hour instead of letting the Redis answer raise at once.
_SMOOTHING_MAX_PERIOD = 60.0
# Spread the retries of processes woken by the same answer.
_RETRY_JITTER_SECONDS = 0.01
# Headroom added to every period and minimum gap for grant-to-arrival latency jitter (see above).
# 25 ms covers a new connection's head start on loopback (23 ms measured) while placing still
# sustains 1/0.525 s = 95 % of Bamboo's 2 orders/s (TARGETS.md S4); a rarer 429 is handled anyway.
DEFAULT_SAFETY_MARGIN_SECONDS = 0.025
_MARGIN_MAX_PERIOD = 60.0
# Redis being unreachable falls back to the in-process budget; any other Redis error is a bug.
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

# KEYS[1] grant log (zset, score = grant time in µs), KEYS[2] blocked-until (µs).
# ARGV: count, period_us, min_interval_us, member. Returns {1, now_us} or {0, wait_us}.
_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local count = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local min_interval = tonumber(ARGV[3])
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return {0, blocked_until - now}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local used = redis.call('ZCARD', KEYS[1])
local wait = 0
if used >= count then
  local oldest = redis.call('ZRANGE', KEYS[1], used - count, used - count, 'WITHSCORES')
  wait = tonumber(oldest[2]) + period - now
end
if min_interval > 0 and used > 0 then
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local gap = tonumber(newest[2]) + min_interval - now
  if gap > wait then wait = gap end
end
if wait > 0 then
  return {0, wait}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(period, min_interval) / 1000) + 1000)
return {1, now}
"""

# KEYS[1] blocked-until (µs). ARGV: seconds (µs). Only ever extends a block. Returns until (µs).
_BLOCK_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > until_us then
  return current
end
redis.call('SET', KEYS[1], string.format('%.0f', until_us), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
return until_us
"""


class _UseDefault:
    """Marker: "use the limiter's own max_wait_seconds" (None already means "no limit")."""


_USE_DEFAULT = _UseDefault()


@dataclass
class EndpointState:
    """What the admin `/vendor` view shows for one endpoint."""

    endpoint: str
    limit: RateLimit
    used_in_window: int
    blocked_for_seconds: float
    next_slot_in_seconds: float
    granted_here: int = 0  # by this process since start
    waits_here: int = 0
    last_vendor_block_seconds: float | None = None


@dataclass
class _LocalLog:
    grants: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


@dataclass
class _Counters:
    granted: int = 0
    waits: int = 0
    last_vendor_block: float | None = None


class SharedRateLimiter:
    """Per-endpoint budget shared across processes (Redis), smoothed in-process (aiolimiter).

    `redis=None` keeps the budget in this process only (tests, single-process tools).
    `enabled=False` grants everything at once.
    """

    def __init__(
        self,
        redis: Any | None = None,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        limits: Mapping[str, RateLimit | tuple[int, float] | tuple[int, float, float]] | None = None,
        default_limit: RateLimit = OTHER_ENDPOINTS_LIMIT,
        max_wait_seconds: float | None = 120.0,
        enabled: bool = True,
        smoothing: bool = True,
        safety_margin_seconds: float = DEFAULT_SAFETY_MARGIN_SECONDS,
    ) -> None:
        if safety_margin_seconds < 0:
            raise ValueError("safety_margin_seconds must be >= 0")
        self._redis = redis
        self.key_prefix = key_prefix
        self.limits: dict[str, RateLimit] = dict(DEFAULT_LIMITS)
        for endpoint, limit in (limits or {}).items():
            self.limits[str(endpoint)] = RateLimit.of(limit)
        self.default_limit = default_limit
        self.max_wait_seconds = max_wait_seconds
        self.enabled = enabled
        self.safety_margin_seconds = float(safety_margin_seconds)
        self._smoothing = smoothing
        self._fronts: dict[str, AsyncLimiter] = {}
        self._local: dict[str, _LocalLog] = {}
        self._counters: dict[str, _Counters] = {}
        self._acquire_script = redis.register_script(_ACQUIRE_LUA) if redis is not None else None
        self._block_script = redis.register_script(_BLOCK_LUA) if redis is not None else None
        self._redis_down_logged = False
        self._log = get_logger(__name__).bind(component="bamboo.ratelimit")

    @classmethod
    def in_memory(cls, **kwargs: Any) -> "SharedRateLimiter":
        return cls(None, **kwargs)

    @classmethod
    def disabled(cls) -> "SharedRateLimiter":
        return cls(None, enabled=False)

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def limit_for(self, endpoint: str) -> RateLimit:
        """The endpoint's limit; "family:detail" keys fall back to the family's limit."""
        endpoint = str(endpoint)
        if endpoint in self.limits:
            return self.limits[endpoint]
        return self.limits.get(endpoint.split(":", 1)[0], self.default_limit)

    def _paced(self, limit: RateLimit) -> RateLimit:
        """The limit as we pace it: Bamboo's period (up to a minute) and gap plus the margin."""
        margin = self.safety_margin_seconds
        if margin <= 0:
            return limit
        return RateLimit(
            limit.count,
            limit.period_seconds + (margin if limit.period_seconds <= _MARGIN_MAX_PERIOD else 0.0),
            limit.min_interval_seconds + margin if limit.min_interval_seconds > 0 else 0.0,
        )

    # ------------------------------------------------------------ acquire / block

    async def acquire(
        self, endpoint: str, *, max_wait_seconds: float | None | _UseDefault = _USE_DEFAULT
    ) -> float:
        """Wait for a slot on `endpoint`; returns the grant time (seconds, on the limiter's clock).

        Raises VendorRateLimited (imposed_by_vendor=False) instead of sleeping when the wait would
        exceed `max_wait_seconds` (default: the limiter's); None means wait however long it takes.
        """
        endpoint = str(endpoint)
        if not self.enabled:
            return time.monotonic()
        max_wait = (
            self.max_wait_seconds if isinstance(max_wait_seconds, _UseDefault) else max_wait_seconds
        )
        limit = self.limit_for(endpoint)
        counters = self._counters.setdefault(endpoint, _Counters())
        started = time.monotonic()
        front = self._front(endpoint, limit)
        if front is not None:
            try:
                if max_wait is None:
                    await front.acquire()
                else:
                    await asyncio.wait_for(front.acquire(), timeout=max_wait)
            except TimeoutError:
                raise VendorRateLimited(
                    max_wait or 0.0, endpoint=endpoint, imposed_by_vendor=False
                ) from None
        while True:
            granted, value = await self._try_acquire(endpoint, self._paced(limit))
            if granted:
                counters.granted += 1
                return value
            waited = time.monotonic() - started
            if max_wait is not None and waited + value > max_wait:
                raise VendorRateLimited(value, endpoint=endpoint, imposed_by_vendor=False)
            counters.waits += 1
            await asyncio.sleep(value + random.uniform(0, _RETRY_JITTER_SECONDS))

    async def block(self, endpoint: str, seconds: float) -> float:
        """Record a vendor-imposed wait so every process backs off; returns blocked-until time."""
        endpoint = str(endpoint)
        seconds = max(0.0, float(seconds))
        self._counters.setdefault(endpoint, _Counters()).last_vendor_block = seconds
        self._log.warning("bamboo.rate_limit.blocked", endpoint=endpoint, seconds=seconds)
        if self._block_script is not None:
            try:
                until_us = await self._block_script(
                    keys=[self._key(endpoint, "block")], args=[math.ceil(seconds * 1_000_000)]
                )
                return int(until_us) / 1_000_000
            except _REDIS_DOWN as exc:  # still back off in this process
                self._redis_unavailable(exc)
        local = self._local.setdefault(endpoint, _LocalLog())
        local.blocked_until = max(local.blocked_until, time.monotonic() + seconds)
        return local.blocked_until

    # ------------------------------------------------------------ state for the admin view

    async def state(self) -> dict[str, EndpointState]:
        """Per-endpoint usage and blocks; one Redis round trip."""
        endpoints = sorted(set(self.limits) | set(self._counters))
        snapshots: dict[str, tuple[list[float], float]] = {}
        now: float
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline(transaction=False)
                pipe.time()
                for endpoint in endpoints:
                    pipe.zrange(self._key(endpoint, "log"), 0, -1, withscores=True)
                    pipe.get(self._key(endpoint, "block"))
                results = await pipe.execute()
                seconds, micros = results[0]
                now = seconds + micros / 1_000_000
                for i, endpoint in enumerate(endpoints):
                    entries, blocked = results[1 + 2 * i], results[2 + 2 * i]
                    grants = sorted(score / 1_000_000 for _member, score in entries)
                    snapshots[endpoint] = (grants, int(blocked) / 1_000_000 if blocked else 0.0)
            except _REDIS_DOWN as exc:
                self._redis_unavailable(exc)
                snapshots.clear()
        if not snapshots:
            now = time.monotonic()
            for endpoint in endpoints:
                local = self._local.get(endpoint, _LocalLog())
                snapshots[endpoint] = (list(local.grants), local.blocked_until)
        states = {}
        for endpoint in endpoints:
            limit = self.limit_for(endpoint)
            paced = self._paced(limit)
            grants, blocked_until = snapshots[endpoint]
            in_window = [g for g in grants if now - g < limit.period_seconds]
            in_paced_window = [g for g in grants if now - g < paced.period_seconds]
            counters = self._counters.get(endpoint, _Counters())
            states[endpoint] = EndpointState(
                endpoint=endpoint,
                limit=limit,
                used_in_window=len(in_window),
                blocked_for_seconds=max(0.0, blocked_until - now),
                next_slot_in_seconds=max(
                    _wait_seconds(in_paced_window, paced, now), blocked_until - now, 0.0
                ),
                granted_here=counters.granted,
                waits_here=counters.waits,
                last_vendor_block_seconds=counters.last_vendor_block,
            )
        return states

    # ------------------------------------------------------------ internals

    def _key(self, endpoint: str, kind: str) -> str:
        # The hash tag keeps an endpoint's two keys in one Redis Cluster slot (one script).
        return f"{self.key_prefix}{{{endpoint}}}:{kind}"

    def _front(self, endpoint: str, limit: RateLimit) -> AsyncLimiter | None:
        if not self._smoothing or limit.period_seconds > _SMOOTHING_MAX_PERIOD:
            return None
        front = self._fronts.get(endpoint)
        if front is None:
            front = self._fronts[endpoint] = AsyncLimiter(limit.count, limit.period_seconds)
        return front

    async def _try_acquire(self, endpoint: str, limit: RateLimit) -> tuple[bool, float]:
        """(True, grant time) or (False, seconds to wait)."""
        if self._acquire_script is not None:
            try:
                granted, value = await self._acquire_script(
                    keys=[self._key(endpoint, "log"), self._key(endpoint, "block")],
                    args=[
                        limit.count,
                        math.ceil(limit.period_seconds * 1_000_000),
                        math.ceil(limit.min_interval_seconds * 1_000_000),
                        uuid.uuid4().hex,
                    ],
                )
                self._redis_down_logged = False
                return bool(int(granted)), int(value) / 1_000_000
            except _REDIS_DOWN as exc:  # fall back to this process's memory
                self._redis_unavailable(exc)
        return self._try_acquire_locally(endpoint, limit)

    def _try_acquire_locally(self, endpoint: str, limit: RateLimit) -> tuple[bool, float]:
        local = self._local.setdefault(endpoint, _LocalLog())
        now = time.monotonic()
        if local.blocked_until > now:
            return False, local.blocked_until - now
        while local.grants and now - local.grants[0] >= limit.period_seconds:
            local.grants.popleft()
        wait = _wait_seconds(list(local.grants), limit, now)
        if wait > 0:
            return False, wait
        local.grants.append(now)
        return True, now

    def _redis_unavailable(self, exc: Exception) -> None:
        if not self._redis_down_logged:
            self._redis_down_logged = True
            self._log.error(
                "bamboo.rate_limit.redis_unavailable",
                error=type(exc).__name__,
                fallback="in-process budget only",
            )


def _wait_seconds(grants_in_window: list[float], limit: RateLimit, now: float) -> float:
    """The sliding-window rule, the same as the Lua script (grants sorted, all inside the window)."""
    wait = 0.0
    used = len(grants_in_window)
    if used >= limit.count:
        wait = grants_in_window[used - limit.count] + limit.period_seconds - now
    if limit.min_interval_seconds > 0 and used:
        wait = max(wait, grants_in_window[-1] + limit.min_interval_seconds - now)
    return max(wait, 0.0)
