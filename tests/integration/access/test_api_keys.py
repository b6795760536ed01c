"""Partner API keys: creation (shown once, stored as a keyed hash), authentication, rotation of the
hash key, revocation with the last-live-key rule, who may do what, and the batched last-used time."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from core.access import api_keys
from core.access.actor import Actor, ActorKind
from core.access.models import ApiKey
from core.audit.models import AuditEntry
from core.config import reset_settings_cache
from core.db import atomic
from core.errors import DomainError
from core.parties import service as parties
from core.parties.models import PartyKind, PartyStatus
from tests.factories import ADMIN, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(autouse=True)
def _no_pending_uses():
    api_keys._used.clear()
    yield
    api_keys._used.clear()


async def create(party_id: int, *, livemode: bool = True, name: str | None = None, actor: Actor = ADMIN):
    async with atomic():
        return await api_keys.create_key(actor=actor, party_id=party_id, livemode=livemode, name=name)


async def revoke(key_id: int, *, actor: Actor = ADMIN, force: bool = False):
    async with atomic():
        return await api_keys.revoke_key(actor=actor, key_id=key_id, force=force)


async def refused(code: str, coro):
    with pytest.raises(DomainError) as caught:
        await coro
    assert caught.value.code == code, caught.value
    return caught.value


async def test_create_gives_a_key_shown_once_with_256_random_bits_and_stores_only_its_hash():
    partner = await make_party(PartyKind.PARTNER)
    created = await create(partner.id, name="  shop backend ")
    secret = created.secret
    assert re.fullmatch(r"sk_live_[A-Za-z0-9_-]{43}", secret)
    random_part = secret.removeprefix("sk_live_")
    assert len(random_part) * math.log2(64) >= 192  # 43 url-safe characters: 256 bits from token_urlsafe(32)
    row = await ApiKey.get(id=created.key.id)
    assert row.prefix == random_part[:8] and row.mode == "live" and row.name == "shop backend"
    assert row.key_hash.startswith("dev:") and len(row.key_hash) <= 81 and secret not in row.key_hash
    assert random_part not in row.key_hash and row.created_by == "test-admin"
    assert row.last_used_at is None and row.revoked_at is None
    test_key = await create(partner.id, livemode=False)
    assert test_key.secret.startswith("sk_test_") and test_key.secret != secret
    entry = await AuditEntry.filter(action="api_key.create", object_id=str(row.id)).first()
    assert entry.after["prefix"] == f"sk_live_{row.prefix}" and secret not in str(entry.after)


async def test_views_never_carry_the_hash_and_the_display_prefix_is_not_redacted_from_logs():
    from core.logging import redact_secrets

    partner = await make_party(PartyKind.PARTNER)
    created = await create(partner.id)
    [view] = await api_keys.list_keys(actor=ADMIN, party_id=partner.id)
    assert not hasattr(view, "key_hash") and created.secret not in str(view)
    assert view.prefix == created.key.prefix and view.display == created.key.display_prefix
    assert created.secret.startswith(view.display) and view.mode == "live"
    logged = redact_secrets(None, "", {"note": f"used {created.secret}", "who": f"api:{view.display}"})
    assert created.secret not in logged["note"] and logged["who"] == f"api:{view.display}"


async def test_authenticate_returns_the_key_actor():
    partner = await make_party(PartyKind.PARTNER)
    live = await create(partner.id)
    actor = await api_keys.authenticate(secret=live.secret, request_id="req-1")
    assert actor.kind == ActorKind.API_KEY and actor.party_id == partner.id and actor.api_key_id == live.key.id
    assert actor.livemode and actor.label == f"api:sk_live_{live.key.prefix}" and actor.request_id == "req-1"
    test = await create(partner.id, livemode=False)
    assert not (await api_keys.authenticate(secret=test.secret)).livemode


@pytest.mark.parametrize("secret", ["", "sk_live_", "sk_live_short", "pk_live_" + "a" * 43, "sk_prod_" + "a" * 43,
                                    "sk_live_" + "a" * 42 + "!", "Bearer sk_live_" + "a" * 43, None])
async def test_malformed_keys_are_auth_invalid(secret):
    await refused("auth.invalid", api_keys.authenticate(secret=secret))


async def test_unknown_revoked_and_mode_mismatched_keys_are_auth_invalid():
    partner = await make_party(PartyKind.PARTNER)
    await refused("auth.invalid", api_keys.authenticate(secret=api_keys.new_secret(True)))
    first, second = await create(partner.id), await create(partner.id)
    await api_keys.authenticate(secret=first.secret)
    await revoke(first.key.id)
    await refused("auth.invalid", api_keys.authenticate(secret=first.secret))  # at once
    await api_keys.authenticate(secret=second.secret)
    # A key whose stored mode does not match its prefix (a test key presented as live) never passes.
    test = await create(partner.id, livemode=False)
    await ApiKey.filter(id=test.key.id).update(mode="live")
    await refused("auth.invalid", api_keys.authenticate(secret=test.secret))


async def test_a_frozen_party_is_inactive_and_a_pending_partner_may_use_only_test_keys():
    partner = await make_party(PartyKind.PARTNER)
    live, test = await create(partner.id), await create(partner.id, livemode=False)
    async with atomic():
        await parties.change_status(party_id=partner.id, to=PartyStatus.FROZEN, actor=ADMIN)
    await refused("party.inactive", api_keys.authenticate(secret=live.secret))
    await refused("party.inactive", api_keys.authenticate(secret=test.secret))
    await refused("party.inactive", create(partner.id, livemode=False))

    pending = await make_party(PartyKind.PARTNER, status=PartyStatus.PENDING)
    await refused("party.inactive", create(pending.id))  # live keys need an active party
    pending_test = await create(pending.id, livemode=False)
    assert (await api_keys.authenticate(secret=pending_test.secret)).party_id == pending.id
    async with atomic():  # approved: now live keys
        await parties.change_status(party_id=pending.id, to=PartyStatus.ACTIVE, actor=ADMIN)
    await api_keys.authenticate(secret=(await create(pending.id)).secret)


async def test_only_partners_get_keys():
    agent = await make_party(PartyKind.AGENT)
    await refused("api_key.not_a_partner", create(agent.id))
    await refused("api_key.not_a_partner", create(agent.id, livemode=False))
    await refused("party.not_found", create(987654))


async def test_a_key_made_before_a_hash_key_rotation_still_authenticates(monkeypatch):
    partner = await make_party(PartyKind.PARTNER)
    monkeypatch.setenv("STELLER_API_KEY_HASH_KEYS", "old:" + "o" * 40)
    reset_settings_cache()
    try:
        before = await create(partner.id)
        assert (await ApiKey.get(id=before.key.id)).key_hash.startswith("old:")
        monkeypatch.setenv("STELLER_API_KEY_HASH_KEYS", "new:" + "n" * 40 + ",old:" + "o" * 40)
        reset_settings_cache()
        after = await create(partner.id)
        assert (await ApiKey.get(id=after.key.id)).key_hash.startswith("new:")
        assert (await api_keys.authenticate(secret=before.secret)).api_key_id == before.key.id
        assert (await api_keys.authenticate(secret=after.secret)).api_key_id == after.key.id
        monkeypatch.setenv("STELLER_API_KEY_HASH_KEYS", "new:" + "n" * 40)  # old key dropped
        reset_settings_cache()
        await refused("auth.invalid", api_keys.authenticate(secret=before.secret))
    finally:
        monkeypatch.delenv("STELLER_API_KEY_HASH_KEYS", raising=False)
        reset_settings_cache()


async def test_the_last_live_key_is_revoked_only_on_purpose_and_revoking_is_idempotent():
    partner = await make_party(PartyKind.PARTNER)
    first, second = await create(partner.id), await create(partner.id)
    test = await create(partner.id, livemode=False)
    await revoke(first.key.id)
    await refused("api_key.last_live_key", revoke(second.key.id))  # the test key does not count
    await revoke(test.key.id)  # test keys are never "the last live key"
    await api_keys.authenticate(secret=second.secret)  # the refused revoke changed nothing
    view = await revoke(second.key.id, force=True)
    assert view.revoked_at is not None
    await refused("auth.invalid", api_keys.authenticate(secret=second.secret))
    again = await revoke(second.key.id)  # idempotent, no second audit entry
    assert again.revoked_at == view.revoked_at
    assert await AuditEntry.filter(action="api_key.revoke", object_id=str(second.key.id)).count() == 1
    row = await ApiKey.get(id=second.key.id)
    assert row.revoked_by == "test-admin"
    await refused("api_key.not_found", revoke(424242))


async def test_a_key_manages_its_own_party_and_a_test_key_only_test_keys():
    partner = await make_party(PartyKind.PARTNER)
    live = await api_keys.authenticate(secret=(await create(partner.id)).secret)
    made = await create(partner.id, actor=live, name="rotated")
    assert made.key.created_by == live.label
    test = await api_keys.authenticate(secret=(await create(partner.id, livemode=False)).secret)
    await refused("api_key.test_only", create(partner.id, actor=test))
    test_made = await create(partner.id, livemode=False, actor=test)
    assert test_made.secret.startswith("sk_test_")
    # A test key sees and revokes test keys only.
    assert {v.mode for v in await api_keys.list_keys(actor=test, party_id=partner.id)} == {"test"}
    await refused("api_key.test_only", revoke(made.key.id, actor=test))
    await revoke(test_made.key.id, actor=test)
    # The live key revokes another live key, and itself only with force once it is the last one.
    await revoke(made.key.id, actor=live)
    await refused("api_key.last_live_key", revoke(live.api_key_id, actor=live))


async def test_strangers_viewers_and_other_parties_are_refused():
    partner = await make_party(PartyKind.PARTNER)
    other = await make_party(PartyKind.PARTNER)
    key = await create(partner.id)
    other_key = await api_keys.authenticate(secret=(await create(other.id)).secret)
    await refused("access.denied", create(partner.id, actor=other_key))
    await refused("access.denied", api_keys.list_keys(actor=other_key, party_id=partner.id))
    await refused("access.denied", revoke(key.key.id, actor=other_key))
    await refused("access.denied", revoke(424242, actor=other_key))  # unknown looks like not yours
    viewer = await member_actor(partner, role="viewer")
    assert len(await api_keys.list_keys(actor=viewer, party_id=partner.id)) == 1
    await refused("member.role_not_allowed", create(partner.id, actor=viewer))
    await refused("member.role_not_allowed", revoke(key.key.id, actor=viewer))
    stranger = await member_actor(other, role="owner")
    await refused("access.denied", api_keys.list_keys(actor=stranger, party_id=partner.id))
    await refused("access.denied", create(partner.id, actor=stranger))
    with pytest.raises(DomainError):
        await create(partner.id, actor="cli")  # a string is never an actor
    assert await ApiKey.filter(party_id=partner.id).count() == 1


async def test_last_used_is_noted_in_memory_and_flushed_in_one_update(db):
    partner = await make_party(PartyKind.PARTNER)
    first, second = await create(partner.id), await create(partner.id, livemode=False)
    for _ in range(3):
        await api_keys.authenticate(secret=first.secret)
    await api_keys.authenticate(secret=second.secret)
    assert (await ApiKey.get(id=first.key.id)).last_used_at is None  # nothing written per request
    assert set(api_keys.pending_last_used()) == {first.key.id, second.key.id}

    statements = []
    original = type(db).execute_query

    async def counting(self, query, values=None):
        if "api_key" in query and query.lstrip().upper().startswith("UPDATE"):
            statements.append(query)
        return await original(self, query, values)

    from unittest.mock import patch

    with patch.object(type(db), "execute_query", counting):
        assert await api_keys.flush_last_used() == 2
    assert len(statements) == 1
    first_used = (await ApiKey.get(id=first.key.id)).last_used_at
    assert first_used is not None and (await ApiKey.get(id=second.key.id)).last_used_at is not None
    assert datetime.now(UTC) - first_used < timedelta(minutes=1)
    assert api_keys.pending_last_used() == {} and await api_keys.flush_last_used() == 0
    # Never moves backwards: an older note does not overwrite a newer time.
    api_keys.note_used(first.key.id, first_used - timedelta(hours=1))
    await api_keys.flush_last_used()
    assert (await ApiKey.get(id=first.key.id)).last_used_at == first_used
    [view] = [v for v in await api_keys.list_keys(actor=ADMIN, party_id=partner.id) if v.id == first.key.id]
    assert view.last_used_at == first_used
