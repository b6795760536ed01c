"""`/v1/api-keys`: list (never the hash), create (secret shown once), revoke (at once)."""

from __future__ import annotations

import pytest
import structlog

from core.access import api_keys
from core.access.models import ApiKey
from core.db import atomic
from core.parties.models import PartyKind, PartyStatus
from tests.factories import ADMIN, make_party

pytestmark = pytest.mark.usefixtures("db", "redis")


async def _secret(party, *, livemode: bool = True, name: str = "seed") -> str:
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name=name)
    return created.secret


def _auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


async def test_the_list_shows_each_key_without_its_secret_or_hash(client):
    partner = await make_party(PartyKind.PARTNER)
    live, test = await _secret(partner, name="server"), await _secret(partner, livemode=False, name="ci")
    response = await client.get("/v1/api-keys", headers=_auth(live))
    assert response.status_code == 200, response.text
    listed = response.json()["data"]
    rows = {row.id: row for row in await ApiKey.filter(party_id=partner.id)}
    assert [k["mode"] for k in listed] == ["test", "live"]  # newest first
    for item in listed:
        row = rows[item["id"]]
        assert set(item) == {"id", "prefix", "name", "mode", "created_at", "last_used_at", "revoked_at"}
        assert item["prefix"] == f"sk_{row.mode}_{row.prefix}" and len(row.prefix) == 8
        assert item["revoked_at"] is None and item["created_at"].endswith("Z")
        assert row.key_hash not in response.text and row.key_hash.rpartition(":")[2] not in response.text
    assert live.startswith(listed[1]["prefix"]) and listed[1]["name"] == "server"
    assert live not in response.text and test not in response.text
    # The calling key was used just now (noted in memory, flushed later): the list already says so.
    assert listed[1]["last_used_at"] is not None and listed[0]["last_used_at"] is None
    # A test key sees the test keys only.
    assert [k["mode"] for k in (await client.get("/v1/api-keys", headers=_auth(test))).json()["data"]] == ["test"]


async def test_a_created_key_is_shown_once_and_works_at_once(client):
    partner = await make_party(PartyKind.PARTNER)
    live = await _secret(partner)
    with structlog.testing.capture_logs() as logs:
        response = await client.post("/v1/api-keys", json={"name": "billing", "mode": "live"}, headers=_auth(live))
    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("sk_live_") and secret.startswith(created["prefix"])
    assert (created["name"], created["mode"], created["last_used_at"], created["revoked_at"]) == (
        "billing", "live", None, None)
    assert secret not in repr(logs)
    me = await client.get("/v1/me", headers=_auth(secret))
    assert me.status_code == 200 and me.json()["id"] == partner.id
    # Never shown again: the list has its prefix only.
    listed = (await client.get("/v1/api-keys", headers=_auth(live))).text
    assert created["prefix"] in listed and secret not in listed
    # No body at all: a key of the caller's own mode, unnamed.
    bare = await client.post("/v1/api-keys", headers=_auth(live))
    assert bare.status_code == 201 and (bare.json()["mode"], bare.json()["name"]) == ("live", None)
    test = await client.post("/v1/api-keys", json={"mode": "test"}, headers=_auth(live))
    assert test.status_code == 201 and test.json()["secret"].startswith("sk_test_")


async def test_a_test_key_creates_test_keys_only_and_a_pending_partner_gets_test_keys(client):
    pending = await make_party(PartyKind.PARTNER, status=PartyStatus.PENDING)
    test = await _secret(pending, livemode=False)
    made = await client.post("/v1/api-keys", json={"name": "ci"}, headers=_auth(test))
    assert made.status_code == 201 and made.json()["mode"] == "test"
    refused = await client.post("/v1/api-keys", json={"mode": "live"}, headers=_auth(test))
    assert (refused.status_code, refused.json()["code"]) == (403, "api_key.test_only")
    assert await ApiKey.filter(party_id=pending.id, mode="live").count() == 0


async def test_invalid_bodies_are_refused(client):
    live = await _secret(await make_party(PartyKind.PARTNER))
    for body in ({"mode": "sandbox"}, {"name": "x" * 101}, {"name": "a", "scopes": ["all"]}, {"name": 5}):
        response = await client.post("/v1/api-keys", json=body, headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), body


async def test_revoking_takes_effect_at_once_and_the_last_live_key_needs_force(client):
    partner = await make_party(PartyKind.PARTNER)
    first, second = await _secret(partner), await _secret(partner)
    test = await _secret(partner, livemode=False)
    ids = {k.display: k.id for k in await api_keys.list_keys(actor=ADMIN, party_id=partner.id)}
    second_id = next(i for d, i in ids.items() if second.startswith(d))
    first_id = next(i for d, i in ids.items() if first.startswith(d))
    test_id = next(i for d, i in ids.items() if test.startswith(d))

    revoked = await client.delete(f"/v1/api-keys/{second_id}", headers=_auth(first))
    assert revoked.status_code == 200 and revoked.json()["id"] == second_id and revoked.json()["revoked_at"]
    after = await client.get("/v1/me", headers=_auth(second))
    assert (after.status_code, after.json()["code"]) == (401, "auth.invalid")
    again = await client.delete(f"/v1/api-keys/{second_id}", headers=_auth(first))  # idempotent
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    # A test key never touches a live key.
    by_test = await client.delete(f"/v1/api-keys/{first_id}", headers=_auth(test))
    assert (by_test.status_code, by_test.json()["code"]) == (403, "api_key.test_only")
    # The last live key stays unless forced (test keys do not count).
    last = await client.delete(f"/v1/api-keys/{first_id}", headers=_auth(first))
    assert (last.status_code, last.json()["code"]) == (409, "api_key.last_live_key")
    assert (await client.get("/v1/me", headers=_auth(first))).status_code == 200
    forced = await client.delete(f"/v1/api-keys/{first_id}", params={"force": "true"}, headers=_auth(first))
    assert forced.status_code == 200 and forced.json()["revoked_at"]
    assert (await client.get("/v1/me", headers=_auth(first))).json()["code"] == "auth.invalid"
    # The test key still works and may revoke itself.
    assert (await client.delete(f"/v1/api-keys/{test_id}", headers=_auth(test))).status_code == 200
    assert (await client.get("/v1/me", headers=_auth(test))).status_code == 401


async def test_another_partys_key_is_not_found(client):
    mine, theirs = await make_party(PartyKind.PARTNER), await make_party(PartyKind.PARTNER)
    my_key, their_key = await _secret(mine), await _secret(theirs)
    [their_row] = await ApiKey.filter(party_id=theirs.id)
    for key_id in (their_row.id, 424242):
        response = await client.delete(f"/v1/api-keys/{key_id}", headers=_auth(my_key))
        assert (response.status_code, response.json()["code"]) == (404, "api_key.not_found"), key_id
    assert (await client.get("/v1/me", headers=_auth(their_key))).status_code == 200
    listed = (await client.get("/v1/api-keys", headers=_auth(my_key))).json()["data"]
    assert their_row.id not in [k["id"] for k in listed]


async def test_no_key_no_keys(client):
    for method, path in (("GET", "/v1/api-keys"), ("POST", "/v1/api-keys"), ("DELETE", "/v1/api-keys/1")):
        response = await client.request(method, path)
        assert (response.status_code, response.json()["code"]) == (401, "auth.missing"), path


async def test_the_openapi_document_describes_the_key_operations(client):
    spec = (await client.get("/openapi.json")).json()
    operations = {("get", "/v1/api-keys"), ("post", "/v1/api-keys"), ("delete", "/v1/api-keys/{key_id}")}
    for method, path in operations:
        operation = spec["paths"][path][method]
        assert operation["summary"] and {"401", "403", "429"} <= operation["responses"].keys()
    assert "201" in spec["paths"]["/v1/api-keys"]["post"]["responses"]
    delete = spec["paths"]["/v1/api-keys/{key_id}"]["delete"]["responses"]
    assert "api_key.last_live_key" in delete["409"]["description"] and "404" in delete
    assert spec["components"]["schemas"]["NewApiKey"].get("examples")


async def test_a_retried_key_creation_with_its_idempotency_key_returns_the_same_key(client):
    from core.access.models import ApiKey as ApiKeyRow

    partner = await make_party(PartyKind.PARTNER)
    live = await _secret(partner)
    before = await ApiKeyRow.filter(party_id=partner.id).count()
    headers = {"Authorization": f"Bearer {live}", "Idempotency-Key": "new-key-1"}
    first = await client.post("/v1/api-keys", json={"name": "ci"}, headers=headers)
    again = await client.post("/v1/api-keys", json={"name": "ci"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["secret"] == first.json()["secret"]
    assert await ApiKeyRow.filter(party_id=partner.id).count() == before + 1
    # The stored answer that makes the replay possible never holds the secret in clear.
    from core.idempotency.models import IdempotencyKey

    stored = await IdempotencyKey.all().values_list("response_body", flat=True)
    assert stored and all(first.json()["secret"] not in (body or "") for body in stored)
