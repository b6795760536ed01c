"""Fixtures for the Bamboo client tests: mock transports and a throwaway Redis key space."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio

from core.vendors.bamboo import BambooClient, SharedRateLimiter

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
BASE_URL = "http://bamboo.test"
CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret-Zq9"

Handler = Callable[[httpx.Request], httpx.Response]


def json_response(
    status: int, payload: Any, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A response whose body is `payload` as JSON text (str payloads are sent as raw text)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return httpx.Response(
        status, text=text, headers={"Content-Type": "application/json", **(headers or {})}
    )


class Recorder:
    """A MockTransport handler that remembers every request and answers from `respond`."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., BambooClient]]:
    """make_client(handler, **overrides): a BambooClient over httpx.MockTransport, unthrottled."""
    clients: list[BambooClient] = []

    def factory(handler: Handler, **overrides: Any) -> BambooClient:
        options: dict[str, Any] = {
            "base_url": BASE_URL,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "timeout_seconds": 5.0,
            "transport": httpx.MockTransport(handler),
        }
        options.update(overrides)
        client = BambooClient(**options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
async def redis() -> AsyncIterator[redis_asyncio.Redis]:
    client = redis_asyncio.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment without Redis
        await client.aclose()
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL}: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
async def key_prefix(redis: redis_asyncio.Redis) -> AsyncIterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"test:steller:bamboo:rl:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def in_memory_limiter() -> SharedRateLimiter:
    return SharedRateLimiter.in_memory()


# Helpers reach the tests as fixtures: importing from conftest breaks under --import-mode=importlib.
@pytest.fixture(name="json_response")
def json_response_fixture() -> Callable[..., httpx.Response]:
    return json_response


@pytest.fixture
def record() -> Callable[[Handler], Recorder]:
    """record(respond) -> a Recorder to pass as the client's handler."""
    return Recorder
