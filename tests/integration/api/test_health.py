from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from api.app import create_app
from core.parties.errors import PartyNotFound

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def client():
    app = create_app(manage_db=False)
    router = APIRouter()

    @router.get("/boom")
    async def boom():
        raise RuntimeError("secret internals sk_live_abcdefghijklmnop")

    @router.get("/missing")
    async def missing():
        raise PartyNotFound("no party 9")

    app.include_router(router)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            yield c


async def test_health_live_and_ready_check_postgres_and_redis(client):
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_every_response_has_a_request_id_and_metrics_count_it(client):
    first = await client.get("/health/live", headers={"X-Request-Id": "abc123"})
    assert first.headers["X-Request-Id"] == "abc123"
    assert len((await client.get("/health/live")).headers["X-Request-Id"]) == 32
    metrics = (await client.get("/metrics")).text
    assert 'steller_http_requests_total{method="GET",route="/health/live",status="200"}' in metrics


async def test_domain_errors_become_problem_json_and_500s_leak_nothing(client):
    missing = await client.get("/missing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    body = missing.json()
    assert body["code"] == "party.not_found" and body["request_id"] == missing.headers["X-Request-Id"]
    boom = await client.get("/boom")
    assert boom.status_code == 500 and boom.json()["code"] == "internal"
    assert boom.json()["request_id"] == boom.headers["X-Request-Id"]
    assert "sk_live" not in boom.text and "Traceback" not in boom.text
