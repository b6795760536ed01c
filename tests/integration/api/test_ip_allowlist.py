"""The IP allowlist: enforced on every request of every key of the party, IPv4 and IPv6."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, strategies as st

from api.app import create_app
from core.access import api_keys
from core.access.allowlist import allows
from core.audit.models import AuditEntry
from core.db import atomic
from core.parties.models import Party, PartyKind
from tests.factories import ADMIN, make_party

pytestmark = pytest.mark.usefixtures("db", "redis")


@pytest.fixture
async def app():
    application = create_app(manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


def client_from(app, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://api")


async def _keys(party) -> tuple[str, str]:
    async with atomic():
        live = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=True)
        test = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=False)
    return live.secret, test.secret


async def test_an_allowlist_admits_its_networks_only_for_every_key_of_the_party(app):
    partner = await make_party(PartyKind.PARTNER)
    live, test = await _keys(partner)
    office, v6_office, stranger = client_from(app, "203.0.113.5"), client_from(app, "2001:db8::7"), client_from(
        app, "198.51.100.7")
    async with office, v6_office, stranger:
        assert (await stranger.get("/v1/me", headers={"X-API-Key": live})).status_code == 200  # empty: any
        put = await office.put("/v1/settings/ip-allowlist", headers={"X-API-Key": live},
                               json={"cidrs": ["203.0.113.9/24", "2001:db8::/32", "203.0.113.0/24"]})
        assert put.status_code == 200, put.text
        assert put.json() == {"cidrs": ["203.0.113.0/24", "2001:db8::/32"]}
        for key in (live, test):
            refused = await stranger.get("/v1/me", headers={"X-API-Key": key})
            assert (refused.status_code, refused.json()["code"]) == (403, "auth.ip_not_allowed")
            assert (await office.get("/v1/me", headers={"X-API-Key": key})).status_code == 200
            assert (await v6_office.get("/v1/me", headers={"X-API-Key": key})).status_code == 200
        assert (await office.get("/v1/settings/ip-allowlist", headers={"X-API-Key": live})).json()["cidrs"] == [
            "203.0.113.0/24", "2001:db8::/32"]
        cleared = await office.put("/v1/settings/ip-allowlist", headers={"X-API-Key": live}, json={"cidrs": []})
        assert cleared.json() == {"cidrs": []}
        assert (await stranger.get("/v1/me", headers={"X-API-Key": live})).status_code == 200
    assert await AuditEntry.filter(action="party.ip_allowlist", object_id=str(partner.id)).count() == 2


async def test_a_list_that_shuts_out_the_caller_or_does_not_parse_is_refused_and_nothing_changes(app):
    partner = await make_party(PartyKind.PARTNER)
    live, _ = await _keys(partner)
    async with client_from(app, "203.0.113.5") as office:
        locked_out = await office.put("/v1/settings/ip-allowlist", headers={"X-API-Key": live},
                                      json={"cidrs": ["198.51.100.0/24"]})
        assert (locked_out.status_code, locked_out.json()["code"]) == (422, "ip_allowlist.excludes_you")
        garbage = await office.put("/v1/settings/ip-allowlist", headers={"X-API-Key": live},
                                   json={"cidrs": ["203.0.113.0/24", "not-a-network"]})
        assert (garbage.status_code, garbage.json()["code"]) == (422, "ip_allowlist.invalid")
    assert (await Party.get(id=partner.id)).ip_allowlist is None


async def test_another_partys_allowlist_is_not_ours(app):
    mine, other = await make_party(PartyKind.PARTNER), await make_party(PartyKind.PARTNER)
    live, _ = await _keys(mine)
    other_live, _ = await _keys(other)
    async with client_from(app, "203.0.113.5") as office:
        await office.put("/v1/settings/ip-allowlist", headers={"X-API-Key": other_live},
                         json={"cidrs": ["203.0.113.0/24"]})
        async with client_from(app, "198.51.100.7") as stranger:
            assert (await stranger.get("/v1/me", headers={"X-API-Key": live})).status_code == 200
            assert (await stranger.get("/v1/me", headers={"X-API-Key": other_live})).status_code == 403


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_an_address_is_allowed_exactly_when_its_network_is_listed(address, prefix):
    import ipaddress

    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert allows([str(network)], str(address))
    assert allows([str(network)], f"::ffff:{address}")  # the same address, IPv4-mapped
    outside = int(network.broadcast_address) + 1
    if outside < 2**32:
        assert not allows([str(network)], str(ipaddress.IPv4Address(outside)))
    assert allows([], str(address)) and allows(None, str(address))
