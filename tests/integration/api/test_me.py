"""`GET /v1/me` through the API key dependency: both headers, every auth refusal as API.md names it."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from core.db import atomic
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party

pytestmark = pytest.mark.usefixtures("db", "redis")


async def _key(party, *, livemode: bool = True) -> str:
    from core.access import api_keys

    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="test")
    return created.secret


async def test_me_answers_for_the_calling_party_with_either_header(client):
    partner = await make_party(PartyKind.PARTNER, name="Acme Gifts")
    live, test = await _key(partner), await _key(partner, livemode=False)
    by_bearer = await client.get("/v1/me", headers={"Authorization": f"Bearer {live}"})
    assert by_bearer.status_code == 200
    assert by_bearer.json() == {"id": partner.id, "name": "Acme Gifts", "kind": "partner", "status": "active",
                                "livemode": True, "currency": "USD"}
    by_header = await client.get("/v1/me", headers={"X-API-Key": test})
    assert by_header.status_code == 200 and by_header.json()["livemode"] is False


async def test_missing_unknown_revoked_keys_and_inactive_parties_are_refused(client):
    from core.access import api_keys

    partner = await make_party(PartyKind.PARTNER)
    missing = await client.get("/v1/me")
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing")
    unknown = await client.get("/v1/me", headers={"Authorization": "Bearer sk_live_" + "x" * 43})
    assert (unknown.status_code, unknown.json()["code"]) == (401, "auth.invalid")
    spare, key = await _key(partner), await _key(partner)
    async with atomic():
        [listed] = [k for k in await api_keys.list_keys(actor=ADMIN, party_id=partner.id)
                    if key.split("_", 2)[2].startswith(k.prefix)]
        await api_keys.revoke_key(actor=ADMIN, key_id=listed.id)
    revoked = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert (revoked.status_code, revoked.json()["code"]) == (401, "auth.invalid")
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=partner.id)
    frozen = await client.get("/v1/me", headers={"Authorization": f"Bearer {spare}"})
    assert (frozen.status_code, frozen.json()["code"]) == (403, "party.inactive")
    assert frozen.headers["content-type"] == "application/problem+json" and spare not in frozen.text


async def test_the_openapi_document_names_both_key_schemes(client):
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= schemes.keys()


async def test_last_used_is_written_in_batches_by_the_api():
    import asyncio

    from core.access.models import ApiKey

    partner = await make_party(PartyKind.PARTNER)
    secret = await _key(partner)
    app = create_app(manage_db=False, key_use_flush_seconds=0.1)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
            assert (await c.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})).status_code == 200
            for _ in range(50):
                if (await ApiKey.get(party_id=partner.id)).last_used_at is not None:
                    break
                await asyncio.sleep(0.05)
    assert (await ApiKey.get(party_id=partner.id)).last_used_at is not None
