"""Per-key rate limits: a token bucket in Redis, `RateLimit-*` headers on every `/v1` response.

One bucket per API key, shared by every API process: the bucket lives in Redis and one Lua script
refills and takes from it atomically, on Redis's clock (no process memory, no clock skew between
processes). A bucket holds `API_RATE_LIMIT_BURST` tokens and refills at `API_RATE_LIMIT_PER_SECOND`;
each request takes one.

- Which bucket: the key presented (`Authorization: Bearer …` or `X-API-Key`) identified by its keyed
  hash (`core.crypto.api_key_hash`), with no database round trip and never by the raw secret. A
  wrong key gets its own bucket, so it can never drain a valid key's. A request with no key at all
  is limited per client IP with the same numbers, and the unauthenticated `POST /v1/signup` per
  client IP with a much smaller bucket (`SIGNUP_RATE_LIMIT_PER_HOUR`, refilled evenly over the hour).
- Headers on every response of a limited path, errors included: `RateLimit-Limit` (the bucket's
  size), `RateLimit-Remaining` (whole tokens left after this request), `RateLimit-Reset` (seconds
  until the bucket is full again). An empty bucket answers 429 problem+json `rate_limited` with
  `Retry-After` (seconds until the next token).
- Only `/v1` is limited: health, metrics, docs, the OpenAPI document and the Telegram webhook are not.
- Redis down or slow: the request goes through without a limit (fail open) and a warning is logged
  (at most one every `_WARN_EVERY` seconds per process), so an outage of the limiter is not an
  outage of the API.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from core.logging import get_logger

log = get_logger("api.ratelimit")

KEY_PREFIX = "steller:ratelimit:"
_WARN_EVERY = 30.0

# KEYS[1]: the bucket. ARGV: refill rate (tokens/s), capacity, cost, and optionally "now" in seconds
# (tests; otherwise Redis's own clock). Returns {allowed 0|1, whole tokens left, ms until `cost`
# tokens are there (0 when allowed), ms until the bucket is full}.
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now
if ARGV[4] then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local allowed = 0
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait_ms = math.ceil((cost - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, math.floor(tokens), wait_ms, math.ceil((capacity - tokens) / rate * 1000)}
"""


class RateLimitSettings(BaseSettings):
    """Read from the environment (and `.env`) when the app is built."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    per_second: float = Field(default=10.0, gt=0, alias="API_RATE_LIMIT_PER_SECOND")
    burst: int = Field(default=50, ge=1, alias="API_RATE_LIMIT_BURST")
    signup_per_hour: int = Field(default=10, ge=1, alias="SIGNUP_RATE_LIMIT_PER_HOUR")
    # How long a request waits for the limiter before going through unlimited (fail open).
    redis_timeout_seconds: float = Field(default=0.5, gt=0, alias="API_RATE_LIMIT_REDIS_TIMEOUT")


@dataclass(frozen=True)
class Bucket:
    key: str  # the Redis key
    rate: float  # tokens per second
    capacity: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_ms: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(max(0, self.remaining)),
                "RateLimit-Reset": str(math.ceil(self.reset_ms / 1000))}

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.retry_after_ms / 1000))


def _presented_key(scope: Scope) -> str | None:
    """The key as `api.deps.current_actor` reads it: a Bearer credential first, else X-API-Key."""
    authorization = x_api_key = None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-api-key":
            x_api_key = value.decode("latin-1")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return x_api_key.strip() if x_api_key and x_api_key.strip() else None


def _key_id(secret: str) -> str:
    """The presented key's keyed hash (as stored, without the hash key's id): never the secret."""
    from core.crypto import api_key_hash

    return api_key_hash(secret).rpartition(":")[2]


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _limited(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def bucket_for(scope: Scope, settings: RateLimitSettings) -> Bucket:
    path = scope.get("path", "")
    if scope.get("method") == "POST" and path.rstrip("/") == "/v1/signup":
        return Bucket(f"{KEY_PREFIX}signup:{_client_ip(scope)}", settings.signup_per_hour / 3600.0,
                      settings.signup_per_hour)
    secret = _presented_key(scope)
    if secret is not None:
        return Bucket(f"{KEY_PREFIX}key:{_key_id(secret)}", settings.per_second, settings.burst)
    ip_hash = hashlib.sha256(_client_ip(scope).encode()).hexdigest()[:32]
    return Bucket(f"{KEY_PREFIX}anon:{ip_hash}", settings.per_second, settings.burst)


_script = None


async def take(redis, bucket: Bucket, *, now: float | None = None) -> Decision:
    """Take one token from `bucket` (atomically, in Redis: EVALSHA, the script loaded once)."""
    global _script
    if _script is None:
        _script = redis.register_script(TOKEN_BUCKET_LUA)
    args = [repr(float(bucket.rate)), bucket.capacity, 1] + ([repr(float(now))] if now is not None else [])
    allowed, remaining, wait_ms, reset_ms = await _script(keys=[bucket.key], args=args, client=redis)
    return Decision(allowed=bool(allowed), limit=bucket.capacity, remaining=int(remaining),
                    retry_after_ms=int(wait_ms), reset_ms=int(reset_ms))


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: RateLimitSettings, unlimited: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.settings = settings
        self.unlimited = unlimited  # exact paths never limited (the Telegram webhook, wherever it is mounted)
        self._last_warning = 0.0

    def _warn(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY:
            self._last_warning = now
            log.warning("rate_limit_unavailable", error_type=type(error).__name__,
                        detail="requests go through unlimited until Redis answers again")

    async def _decide(self, scope: Scope) -> Decision | None:
        redis = getattr(scope["app"].state, "redis", None) if "app" in scope else None
        if redis is None:
            return None
        try:
            bucket = bucket_for(scope, self.settings)
            return await asyncio.wait_for(take(redis, bucket), timeout=self.settings.redis_timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - fail open: the limiter never takes the API down
            self._warn(exc)
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not _limited(path) or path in self.unlimited:
            await self.app(scope, receive, send)
            return
        decision = await self._decide(scope)
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = decision.headers()
        if not decision.allowed:
            response = problems.problem(Request(scope), status=429, code="rate_limited", title="Too many requests",
                                        detail=f"Slow down: retry in {decision.retry_after} s.")
            response.headers.update({**headers, "Retry-After": str(decision.retry_after)})
            await response(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message).update(headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            # An unexpected error still answers with the limit headers (and no stack trace).
            response = problems.internal_error(Request(scope), exc)
            response.headers.update(headers)
            await response(scope, receive, send)


def install(app: FastAPI, settings: RateLimitSettings | None = None) -> None:
    """Adds the rate-limit middleware to `app` (settings read from the environment now)."""
    from core.config import get_settings

    webhook_url = get_settings().telegram_webhook_url
    unlimited = frozenset({urlsplit(webhook_url).path}) if webhook_url else frozenset()
    app.add_middleware(RateLimitMiddleware, settings=settings or RateLimitSettings(), unlimited=unlimited)
