"""`POST /v1/signup`: a pending partner, a working test key, a funded sandbox, admins told."""

from __future__ import annotations

import asyncio

import pytest

from core.access.models import ApiKey
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.models import Account
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties.models import Party, PartyKind, PartyStatus
from tests.factories import ADMIN

pytestmark = pytest.mark.usefixtures("db", "redis")

ADMIN_TG = 555_001


async def test_signup_gives_a_pending_partner_a_test_key_and_a_funded_sandbox(client):
    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN_TG, actor=ADMIN)
    response = await client.post("/v1/signup", json={"company_name": "Acme Gifts", "email": " API@Acme.example ",
                                                     "use_case": "loyalty rewards"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending" and body["livemode"] is False
    assert body["test_key"].startswith("sk_test_") and len(body["test_key"]) >= 8 + 43
    party = await Party.get(id=body["party_id"])
    assert (party.kind, party.status, party.email) == (PartyKind.PARTNER, PartyStatus.PENDING, "api@acme.example")
    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {body['test_key']}"})
    assert me.status_code == 200 and me.json()["livemode"] is False and me.json()["status"] == "pending"
    sandbox = await ledger.read_wallet(party_id=party.id, livemode=False)
    live = await ledger.read_wallet(party_id=party.id)
    assert (sandbox.available, live.available) == (1000_00, 0)
    told = await Notification.filter(telegram_user_id=ADMIN_TG, event_type="admin.new_partner_signup").count()
    assert told == 1
    # The key is stored hashed: the secret appears in no column.
    assert not await ApiKey.filter(key_hash__contains=body["test_key"][8:20]).exists()


async def test_a_taken_email_is_refused_whatever_its_case_and_nothing_is_created(client):
    first = await client.post("/v1/signup", json={"company_name": "Acme", "email": "ops@acme.example"})
    assert first.status_code == 201
    parties_before, accounts_before = await Party.all().count(), await Account.all().count()
    again = await client.post("/v1/signup", json={"company_name": "Acme 2", "email": "OPS@acme.example"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "signup.email_taken"
    assert (await Party.all().count(), await Account.all().count()) == (parties_before, accounts_before)


async def test_concurrent_signups_with_one_email_make_one_partner(client):
    responses = await asyncio.gather(*[
        client.post("/v1/signup", json={"company_name": f"Racer {i}", "email": "race@acme.example"})
        for i in range(6)])
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert await Party.filter(email="race@acme.example").count() == 1


@pytest.mark.parametrize("payload, field", [
    ({"company_name": "Acme", "email": "not-an-email"}, None),
    ({"company_name": "", "email": "a@b.example"}, "company_name"),
    ({"email": "a@b.example"}, "company_name"),
])
async def test_invalid_signups_are_refused_with_problem_details(client, payload, field):
    response = await client.post("/v1/signup", json=payload)
    assert response.status_code == 422
    body = response.json()
    if field is None:
        assert body["code"] == "signup.invalid_email"
    else:
        assert body["code"] == "validation_failed" and any(field in e["field"] for e in body["errors"])
    assert await Party.all().count() == 0


async def test_a_clients_request_id_reaches_the_audit_rows_and_the_log_of_its_request(client):
    from structlog.testing import capture_logs

    from core.audit.models import AuditEntry

    with capture_logs() as logs:
        response = await client.post("/v1/signup", json={"company_name": "Traced", "email": "t@trace.example"},
                                     headers={"X-Request-Id": "client-req-42"})
    assert response.status_code == 201 and response.headers["X-Request-Id"] == "client-req-42"
    audited = await AuditEntry.filter(object_type="party", object_id=str(response.json()["party_id"]))
    assert audited and all(row.request_id == "client-req-42" for row in audited)
    lines = [e for e in logs if e.get("event") == "http_request"]
    assert lines == [{"event": "http_request", "request_id": "client-req-42", "method": "POST",
                      "route": "/v1/signup", "status": 201, "ms": lines[0]["ms"], "log_level": "info"}]
    # An unsafe value is replaced, never echoed.
    odd = await client.post("/v1/signup", json={"company_name": "Odd", "email": "o@trace.example"},
                            headers={"X-Request-Id": "x" * 65})
    assert odd.headers["X-Request-Id"] != "x" * 65


async def test_a_retried_signup_with_its_idempotency_key_returns_the_same_test_key(client):
    body = {"company_name": "Retry Ltd", "email": "retry@acme.example"}
    first = await client.post("/v1/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    again = await client.post("/v1/signup", json=body, headers={"Idempotency-Key": "signup-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    other = await client.post("/v1/signup", json={**body, "company_name": "Other"},
                              headers={"Idempotency-Key": "signup-1"})
    assert (other.status_code, other.json()["code"]) == (409, "idempotency.mismatch")
    assert await Party.filter(email="retry@acme.example").count() == 1
