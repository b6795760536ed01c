"""Every error code of the partner API contract, each provoked once over HTTP: the status, the
problem+json body, the request id — and nothing moved (no money, order, key, party or stored answer)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.app import create_app
from core.access import api_keys
from core.access.models import ApiKey
from core.audit.models import AuditEntry
from core.db import atomic
from core.idempotency.models import IdempotencyKey
from core.ledger.models import Hold, Transfer
from core.orders.models import Order
from core.parties import service as parties
from core.parties.models import Party, PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")

RANGE, SOLD_OUT = 900_001, 900_002
# The codes of the contract (Conventions and Endpoints) and what this API adds beside them.
CONTRACT_CODES = {
    "auth.missing", "auth.invalid", "party.inactive", "auth.ip_not_allowed", "validation_failed", "not_found",
    "method_not_allowed", "rate_limited", "idempotency.mismatch", "signup.email_taken",
    "order.insufficient_funds", "order.invalid_face_value", "order.product_unavailable", "order.price_changed",
    "order.reference_conflict", "order.not_completed", "api_key.last_live_key",
}


async def _snapshot() -> dict:
    return {model.__name__: await model.all().count()
            for model in (Order, Hold, Transfer, ApiKey, Party, IdempotencyKey)} | {
        "audit_writes": await AuditEntry.exclude(action="card.reveal").count(),
        "wallets": sorted((await Party.all().values_list("id", flat=True)))}


async def _key(party, *, livemode: bool = True) -> str:
    async with atomic():
        return (await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode)).secret


@pytest.fixture
async def world():
    await make_product(RANGE, face=("1", "1000"))
    await make_product(SOLD_OUT, face=("1", "1000"), brand_name="Gone", stock=0)
    partner = await make_party(PartyKind.PARTNER, funds=50_00)
    frozen = await make_party(PartyKind.PARTNER)
    fenced = await make_party(PartyKind.PARTNER)
    keys = {"live": await _key(partner), "frozen": await _key(frozen), "fenced": await _key(fenced)}
    async with atomic():
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=ADMIN)
        await parties.freeze(actor=ADMIN, party_id=frozen.id)
        await Party.filter(id=fenced.id).update(ip_allowlist=["203.0.113.0/24"])
    app = create_app(manage_db=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            auth = {"Authorization": f"Bearer {keys['live']}"}
            # Things that exist before the refusals: an order by reference and by idempotency key, a signup.
            first = await client.post("/v1/orders", headers={**auth, "Idempotency-Key": "idem-1"},
                                      json={"product_id": RANGE, "face_value": "10.00", "quantity": 1,
                                            "reference": "ref-1"})
            assert first.status_code == 202, first.text
            assert (await client.post("/v1/signup", json={"company_name": "Taken",
                                                          "email": "taken@x.example"})).status_code == 201
            yield {"client": client, "keys": keys, "auth": auth, "order_id": first.json()["id"]}


def _cases(w: dict) -> list[tuple[str, int, str, str, dict]]:
    """(code, status, method, path, request kwargs)."""
    auth, order = w["auth"], {"product_id": RANGE, "face_value": "10.00", "quantity": 1}
    return [
        ("auth.missing", 401, "GET", "/v1/me", {}),
        ("auth.invalid", 401, "GET", "/v1/me", {"headers": {"Authorization": "Bearer sk_live_" + "A" * 43}}),
        ("party.inactive", 403, "POST", "/v1/orders",
         {"headers": {"Authorization": f"Bearer {w['keys']['frozen']}"}, "json": order}),
        ("auth.ip_not_allowed", 403, "POST", "/v1/orders",
         {"headers": {"Authorization": f"Bearer {w['keys']['fenced']}"}, "json": order}),
        ("validation_failed", 422, "POST", "/v1/orders", {"headers": auth, "json": {**order, "face_value": 10.0}}),
        ("not_found", 404, "GET", f"/v1/orders/{uuid.uuid4()}", {"headers": auth}),
        ("not_found", 404, "POST", "/v1/orders", {"headers": auth, "json": {**order, "product_id": 424242}}),
        ("method_not_allowed", 405, "DELETE", "/v1/wallet", {"headers": auth}),
        ("idempotency.mismatch", 409, "POST", "/v1/orders",
         {"headers": {**auth, "Idempotency-Key": "idem-1"}, "json": {**order, "quantity": 2}}),
        ("signup.email_taken", 409, "POST", "/v1/signup", {"json": {"company_name": "Again",
                                                                     "email": "TAKEN@x.example"}}),
        ("order.insufficient_funds", 402, "POST", "/v1/orders", {"headers": auth, "json": {**order, "quantity": 6}}),
        ("order.invalid_face_value", 422, "POST", "/v1/orders",
         {"headers": auth, "json": {**order, "face_value": "1000.01"}}),
        ("order.product_unavailable", 409, "POST", "/v1/orders",
         {"headers": auth, "json": {**order, "product_id": SOLD_OUT}}),
        ("order.price_changed", 409, "POST", "/v1/orders",
         {"headers": auth, "json": {**order, "expected_total": "9.49"}}),
        ("order.reference_conflict", 409, "POST", "/v1/orders",
         {"headers": auth, "json": {**order, "quantity": 2, "reference": "ref-1"}}),
        ("order.not_completed", 409, "GET", f"/v1/orders/{w['order_id']}/cards", {"headers": auth}),
        ("api_key.last_live_key", 409, "DELETE", "/v1/api-keys/{own}", {"headers": auth}),
    ]


async def test_every_contract_code_is_a_problem_and_nothing_moves(world):
    client = world["client"]
    own = (await client.get("/v1/api-keys", headers=world["auth"])).json()["data"][0]["id"]
    seen = set()
    for code, status, method, path, kwargs in _cases(world):
        before = await _snapshot()
        response = await client.request(method, path.replace("{own}", str(own)), **kwargs)
        where = f"{method} {path} → {code}"
        assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json"), where
        body = response.json()
        assert body["code"] == code and body["status"] == status, f"{where}: {body}"
        assert body["title"] and body["detail"] and body["type"].endswith(code), where
        assert body["request_id"] == response.headers["X-Request-Id"], where
        assert "Traceback" not in response.text, where
        if code == "validation_failed":
            assert body["errors"] and all({"field", "message"} <= set(e) for e in body["errors"]), body
        assert await _snapshot() == before, f"{where} changed something"
        seen.add(code)
    rate_limited = await _rate_limited(world)
    seen.add(rate_limited)
    assert seen == CONTRACT_CODES


async def _rate_limited(world) -> str:
    import os

    os.environ["API_RATE_LIMIT_BURST"], os.environ["API_RATE_LIMIT_PER_SECOND"] = "2", "0.01"
    try:
        app = create_app(manage_db=False)
    finally:
        del os.environ["API_RATE_LIMIT_BURST"], os.environ["API_RATE_LIMIT_PER_SECOND"]
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            await client.get("/v1/me", headers=world["auth"])
            await client.get("/v1/me", headers=world["auth"])
            before = await _snapshot()
            limited = await client.post("/v1/orders", headers=world["auth"],
                                        json={"product_id": RANGE, "face_value": "10.00", "quantity": 1})
            assert await _snapshot() == before
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["RateLimit-Remaining"] == "0" and "RateLimit-Limit" in limited.headers
    assert limited.json()["code"] == "rate_limited"
    return "rate_limited"
