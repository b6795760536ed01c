"""Per-key token buckets in Redis: headers on every /v1 response, 429 when empty, one bucket for every
API process, signup limited per IP, fail open without Redis. The Lua arithmetic is checked against a
Python model with hypothesis."""

from __future__ import annotations

import asyncio
import math
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest
import redis as sync_redis
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import ratelimit
from api.app import create_app
from core.access import api_keys
from core.db import atomic
from core.parties.models import PartyKind
from tests.conftest import TEST_REDIS_URL
from tests.factories import ADMIN, make_party

pytestmark = pytest.mark.usefixtures("db", "redis")

HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@asynccontextmanager
async def api(monkeypatch, *, per_second: float = 1.0, burst: int = 5, signup_per_hour: int = 10,
              client_ip: str = "127.0.0.1"):
    monkeypatch.setenv("API_RATE_LIMIT_PER_SECOND", str(per_second))
    monkeypatch.setenv("API_RATE_LIMIT_BURST", str(burst))
    monkeypatch.setenv("SIGNUP_RATE_LIMIT_PER_HOUR", str(signup_per_hour))
    app = create_app(manage_db=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            client.app = app
            yield client


async def _key(party=None) -> str:
    party = party or await make_party(PartyKind.PARTNER)
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=True, name="rl")
    return created.secret


def _auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _limits(response) -> tuple[int, int, int]:
    return tuple(int(response.headers[h]) for h in HEADERS)


async def test_headers_on_successes_and_the_bucket_counts_down(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, per_second=0.5, burst=5) as client:
        seen = []
        for _ in range(3):
            response = await client.get("/v1/me", headers=_auth(secret))
            assert response.status_code == 200
            seen.append(_limits(response))
        assert [remaining for _, remaining, _ in seen] == [4, 3, 2]
        assert all(limit == 5 for limit, _, _ in seen)
        # Reset: seconds until the bucket is full again (3 tokens at 0.5/s ≈ 6 s, a little less by now).
        assert 5 <= seen[-1][2] <= 6
        # The X-Api-Key header is the same key, so the same bucket.
        other_header = await client.get("/v1/me", headers={"X-API-Key": secret})
        assert _limits(other_header)[1] == 1


async def test_headers_on_error_responses_too(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, burst=50) as client:
        cases = [
            (await client.get("/v1/me"), 401),  # no key: limited per client IP
            (await client.get("/v1/me", headers=_auth("sk_live_" + "x" * 43)), 401),
            (await client.get("/v1/nothing-here", headers=_auth(secret)), 404),
            (await client.post("/v1/me", headers=_auth(secret)), 405),
            (await client.get("/v1/catalog", params={"limit": 0}, headers=_auth(secret)), 422),
        ]
        for response, status in cases:
            assert response.status_code == status
            assert response.headers["content-type"] == "application/problem+json"
            assert all(h in response.headers for h in HEADERS), (status, dict(response.headers))
            assert response.headers["X-Request-Id"]


async def test_an_unexpected_error_still_carries_the_headers_and_no_stack_trace(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, burst=5) as client:
        async def boom():
            raise RuntimeError("secret internals")

        client.app.add_api_route("/v1/boom-for-test", boom)
        response = await client.get("/v1/boom-for-test", headers=_auth(secret))
        assert response.status_code == 500 and response.json()["code"] == "internal"
        assert "secret internals" not in response.text and "Traceback" not in response.text
        assert _limits(response)[:2] == (5, 4) and response.headers["X-Request-Id"]


async def test_429_after_the_burst_with_retry_after(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, per_second=0.5, burst=3) as client:
        statuses = [(await client.get("/v1/me", headers=_auth(secret))).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await client.get("/v1/me", headers=_auth(secret))
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "rate_limited" and body["status"] == 429
        assert body["request_id"] == refused.headers["X-Request-Id"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 2  # one token at 0.5/s
        limit, remaining, reset = _limits(refused)
        assert (limit, remaining) == (3, 0) and 5 <= reset <= 6


async def test_the_bucket_refills_at_the_configured_rate(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, per_second=10, burst=1) as client:
        assert (await client.get("/v1/me", headers=_auth(secret))).status_code == 200
        refused = await client.get("/v1/me", headers=_auth(secret))
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        await asyncio.sleep(0.15)  # 1.5 tokens' worth, capped at the burst of 1
        assert (await client.get("/v1/me", headers=_auth(secret))).status_code == 200
        assert (await client.get("/v1/me", headers=_auth(secret))).status_code == 429


async def test_an_invalid_key_cannot_drain_a_valid_keys_bucket(monkeypatch):
    secret = await _key()
    # Same random part, other mode; and a key that differs by one character.
    wrong = ["sk_test_" + secret.split("_", 2)[2], secret[:-1] + ("A" if secret[-1] != "A" else "B")]
    async with api(monkeypatch, per_second=0.1, burst=2) as client:
        for bad in wrong:
            codes = [(await client.get("/v1/me", headers=_auth(bad))).status_code for _ in range(3)]
            assert codes == [401, 401, 429]
        assert [(await client.get("/v1/me")).status_code for _ in range(3)] == [401, 401, 429]  # no key: per IP
        ok = await client.get("/v1/me", headers=_auth(secret))
        assert ok.status_code == 200 and _limits(ok)[1] == 1


async def test_buckets_are_keyed_by_the_keyed_hash_never_the_secret(monkeypatch, redis):
    secret = await _key()
    async with api(monkeypatch) as client:
        await client.get("/v1/me", headers=_auth(secret))
    keys = [k.decode() for k in await redis.keys(ratelimit.KEY_PREFIX + "*")]
    from core.crypto import api_key_hash

    assert keys == [f"{ratelimit.KEY_PREFIX}key:{api_key_hash(secret).rpartition(':')[2]}"]
    assert secret.split("_", 2)[2] not in keys[0]


async def test_two_api_instances_share_one_bucket(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, per_second=0.1, burst=4) as first, api(monkeypatch, per_second=0.1, burst=4) as second:
        assert first.app is not second.app
        remaining = []
        for client in (first, second, first, second):
            response = await client.get("/v1/me", headers=_auth(secret))
            assert response.status_code == 200
            remaining.append(_limits(response)[1])
        assert remaining == [3, 2, 1, 0]
        assert (await first.get("/v1/me", headers=_auth(secret))).status_code == 429
        assert (await second.get("/v1/me", headers=_auth(secret))).status_code == 429


async def test_concurrent_requests_never_get_more_than_the_burst(monkeypatch):
    secret = await _key()
    async with api(monkeypatch, per_second=0.01, burst=7) as first, \
            api(monkeypatch, per_second=0.01, burst=7) as second:
        responses = await asyncio.gather(*[
            (first if i % 2 else second).get("/v1/me", headers=_auth(secret)) for i in range(30)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 7 and statuses.count(429) == 23
    assert sorted(int(r.headers["RateLimit-Remaining"]) for r in responses if r.status_code == 200) == list(range(7))


async def test_health_metrics_and_docs_are_not_limited(monkeypatch):
    async with api(monkeypatch, per_second=0.01, burst=1) as client:
        for path in ("/health/live", "/health/ready", "/metrics", "/openapi.json", "/docs"):
            for _ in range(3):
                response = await client.get(path)
                assert response.status_code == 200, path
                assert not any(h in response.headers for h in HEADERS), path


async def test_signup_is_limited_per_client_ip_with_its_own_small_bucket(monkeypatch):
    body = {"company_name": "Acme", "email": "ops@example.com"}
    async with api(monkeypatch, per_second=100, burst=100, signup_per_hour=2) as client:
        first = await client.post("/v1/signup", json=body)
        assert first.status_code != 429 and _limits(first)[:2] == (2, 1)
        assert 1790 <= _limits(first)[2] <= 1800  # one token back every 30 minutes
        assert (await client.post("/v1/signup", json=body)).status_code != 429
        refused = await client.post("/v1/signup", json=body)
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert 1790 <= int(refused.headers["Retry-After"]) <= 1800
        # Other requests from the same IP use other buckets.
        assert _limits(await client.get("/v1/me"))[0] == 100
    async with api(monkeypatch, per_second=100, burst=100, signup_per_hour=2, client_ip="203.0.113.9") as other:
        assert (await other.post("/v1/signup", json=body)).status_code != 429


async def test_without_redis_requests_go_through_unlimited_with_a_warning(monkeypatch):
    import redis.asyncio as aioredis

    secret = await _key()
    async with api(monkeypatch, per_second=0.01, burst=1) as client:
        working = client.app.state.redis
        client.app.state.redis = aioredis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
        try:
            with structlog.testing.capture_logs() as logs:
                responses = [await client.get("/v1/me", headers=_auth(secret)) for _ in range(3)]
        finally:
            await client.app.state.redis.aclose()
            client.app.state.redis = working
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert not any(h in responses[0].headers for h in HEADERS)
        warnings = [e for e in logs if e["event"] == "rate_limit_unavailable"]
        assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"  # once, not once per request
        assert secret not in repr(logs)
        # Redis back: limited again.
        assert (await client.get("/v1/me", headers=_auth(secret))).status_code == 200
        assert (await client.get("/v1/me", headers=_auth(secret))).status_code == 429


async def test_the_429_is_documented_on_every_operation(monkeypatch):
    async with api(monkeypatch) as client:
        spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/catalog", "/v1/wallet", "/v1/api-keys"):
        assert "rate_limited" in spec["paths"][path]["get"]["responses"]["429"]["description"]


# --- The bucket's arithmetic (the Lua script) against a Python model ---------------------------


class Model:
    def __init__(self, rate: float, capacity: int):
        self.rate, self.capacity = rate, capacity
        self.tokens: float | None = None
        self.ts = 0.0

    def take(self, now: float) -> tuple[int, int, int, int]:
        if self.tokens is None:
            self.tokens, self.ts = float(self.capacity), now
        if now > self.ts:
            self.tokens = min(self.capacity, self.tokens + (now - self.ts) * self.rate)
            self.ts = now
        if self.tokens >= 1:
            self.tokens -= 1
            allowed, wait = 1, 0
        else:
            allowed, wait = 0, math.ceil((1 - self.tokens) / self.rate * 1000)
        return allowed, math.floor(self.tokens), wait, math.ceil((self.capacity - self.tokens) / self.rate * 1000)


@pytest.fixture(scope="module")
def sync_client():
    client = sync_redis.Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.sampled_from([0.1, 0.5, 1.0, 3.0, 10.0, 20.0 / 3600, 250.0]),
    capacity=st.integers(min_value=1, max_value=60),
    gaps=st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=60),  # ms between requests
)
def test_the_lua_bucket_matches_the_model_and_never_over_admits(sync_client, rate, capacity, gaps):
    key = f"{ratelimit.KEY_PREFIX}property:{uuid.uuid4().hex}"
    model = Model(rate, capacity)
    start = 1_700_000_000.0
    now, admitted = start, 0
    try:
        for gap in gaps:
            now += gap / 1000
            got = sync_client.eval(ratelimit.TOKEN_BUCKET_LUA, 1, key, repr(float(rate)), capacity, 1, repr(now))
            assert tuple(int(v) for v in got) == model.take(now)
            allowed, remaining, wait_ms, reset_ms = (int(v) for v in got)
            admitted += allowed
            assert 0 <= remaining <= capacity - allowed
            assert 0 <= reset_ms <= math.ceil(capacity / rate * 1000)
            assert (wait_ms == 0) == bool(allowed) and wait_ms <= math.ceil(1000 / rate)
            # Never more than the burst plus what the rate earned since the first request.
            assert admitted <= capacity + (now - start) * rate + 1e-9
        ttl = sync_client.pttl(key)
        assert 0 < ttl <= math.ceil(capacity / rate * 1000) + 1000  # a full bucket needs no key
    finally:
        sync_client.delete(key)


def test_a_lone_request_after_a_long_idle_finds_a_full_bucket_never_more(sync_client):
    key = f"{ratelimit.KEY_PREFIX}property:{uuid.uuid4().hex}"
    try:
        for _ in range(3):
            sync_client.eval(ratelimit.TOKEN_BUCKET_LUA, 1, key, "1.0", 3, 1, "1000.0")
        got = [int(v) for v in sync_client.eval(ratelimit.TOKEN_BUCKET_LUA, 1, key, "1.0", 3, 1, "100000.0")]
        assert got == [1, 2, 0, 1000]
        # A clock that steps back (another process's "now") refills nothing and breaks nothing.
        got = [int(v) for v in sync_client.eval(ratelimit.TOKEN_BUCKET_LUA, 1, key, "1.0", 3, 1, "99990.0")]
        assert got == [1, 1, 0, 2000]
    finally:
        sync_client.delete(key)
