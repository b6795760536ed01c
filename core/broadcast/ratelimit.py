"""Telegram's sending budget for broadcasts, shared by every worker through Redis.

Telegram allows a bot about 30 messages a second overall; broadcasts take at most `rate` (25) of them,
leaving room for the bot's own replies and notifications. The budget is a sliding-window log in one
Redis sorted set (grant times on Redis's own clock), checked and appended by one Lua script, so any
number of workers together never get more than `rate` grants in any one-second window. A flood-control
answer (429, retry_after) blocks the whole budget for that long: every worker waits, not only the one
that was told.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid

KEY_PREFIX = "steller:telegram:broadcast:"
DEFAULT_RATE = 25  # messages per second, all workers together
_JITTER_SECONDS = 0.005

# KEYS[1] grant log (zset, µs), KEYS[2] blocked-until (µs). ARGV: rate, period_us, member.
# Returns 0 when granted, else how many µs to wait.
_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local blocked_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked_until > now then
  return blocked_until - now
end
local rate = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < rate then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(period / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + period - now)
"""

# KEYS[1] blocked-until (µs). ARGV: seconds in µs. Keeps the later of the current and the new block.
_BLOCK_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_us = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < until_us then
  redis.call('SET', KEYS[1], until_us, 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
  return until_us - now
end
return current - now
"""


class BudgetWaitTooLong(Exception):
    """The next slot is further away than the caller may wait (a long flood wait)."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        super().__init__(f"next broadcast slot in {self.seconds:.1f} s")


class SendBudget:
    """At most `rate` sends a second across every process sharing `redis`."""

    def __init__(self, redis, *, rate: int = DEFAULT_RATE, period_seconds: float = 1.0, key_prefix: str = KEY_PREFIX):
        if rate < 1 or period_seconds <= 0:
            raise ValueError("a send budget needs rate >= 1 and a positive period")
        self.rate, self.period_us = rate, int(period_seconds * 1_000_000)
        self._log_key, self._block_key = f"{key_prefix}log", f"{key_prefix}blocked"
        self._acquire = redis.register_script(_ACQUIRE_LUA)
        self._block = redis.register_script(_BLOCK_LUA)

    async def acquire(self, *, max_wait_seconds: float | None = None) -> None:
        """Wait for a slot; BudgetWaitTooLong instead of sleeping past `max_wait_seconds`."""
        started = time.monotonic()
        while True:
            wait_us = int(await self._acquire(keys=[self._log_key, self._block_key],
                                              args=[self.rate, self.period_us, uuid.uuid4().hex]))
            if wait_us <= 0:
                return
            wait = wait_us / 1_000_000
            if max_wait_seconds is not None and time.monotonic() - started + wait > max_wait_seconds:
                raise BudgetWaitTooLong(wait)
            await asyncio.sleep(wait + random.uniform(0, _JITTER_SECONDS))

    async def block(self, seconds: float) -> float:
        """Telegram said "retry after `seconds`": nobody sends until then. Returns the wait in force."""
        wait_us = await self._block(keys=[self._block_key], args=[math.ceil(max(0.0, seconds) * 1_000_000)])
        return int(wait_us) / 1_000_000
