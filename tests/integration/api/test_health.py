from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

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


async def test_unknown_paths_wrong_methods_and_invalid_input_are_problem_json(client):
    missing = await client.get("/v1/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/problem+json")
    assert missing.json()["code"] == "not_found" and missing.json()["request_id"] == missing.headers["X-Request-Id"]
    wrong = await client.post("/health/live")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed"
    assert wrong.headers.get("allow") == "GET"


class EchoBody(BaseModel):
    quantity: int
    face_value: str


async def test_validation_errors_list_each_field(db):
    app = create_app(manage_db=False)
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: EchoBody):
        return body

    app.include_router(router)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            bad = await c.post("/echo", json={"quantity": "many"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    body = bad.json()
    assert body["code"] == "validation_failed"
    assert {e["field"] for e in body["errors"]} == {"quantity", "face_value"}


async def test_a_clients_request_id_is_kept_only_when_short_and_plain(client):
    kept = await client.get("/health/live", headers={"X-Request-Id": "order-42.retry:1"})
    assert kept.headers["X-Request-Id"] == "order-42.retry:1"
    for unsafe in ("x" * 65, "a b", "<script>", "id\\n"):
        replaced = await client.get("/health/live", headers={"X-Request-Id": unsafe})
        assert replaced.headers["X-Request-Id"] != unsafe and len(replaced.headers["X-Request-Id"]) == 32
