"""Invites: single and multi use, expiry, cap, revoke, and exactly-once redemption."""

from __future__ import annotations

from core.access.actor import Actor
from datetime import UTC, datetime, timedelta

import pytest

from core.db import atomic
from core.errors import ValidationFailed
from core.parties import invites
from core.parties.errors import (
    AlreadyMember,
    DepthExceeded,
    InviteExpired,
    InviteInvalid,
    InviteRevoked,
    InviteUsedUp,
    NotYourChild,
    PartyInactive,
)
from core.parties.models import Invite, InviteRedemption, Member, Party, PartyKind, PartyStatus
from tests.factories import ADMIN, member_actor, make_party

pytestmark = pytest.mark.usefixtures("db")


async def _invite(inviter: Party | None, **kwargs) -> invites.CreatedInvite:
    async with atomic():
        return await invites.create_invite(actor=Actor.admin(label="tg:1"), inviter_party_id=inviter.id if inviter else None, **kwargs)


async def _redeem(code: str, user: int) -> tuple[Party, Member]:
    async with atomic():
        return await invites.redeem_invite(code=code, telegram_user_id=user, display_name=f"user {user}")


async def test_code_has_at_least_96_random_bits_and_only_its_hash_is_stored():
    created = await _invite(None)
    assert len(created.code) >= 16  # urlsafe base64 of 16 bytes: 128 bits
    row = await Invite.get(id=created.invite.id)
    assert created.code not in (row.code_hash, row.code_hint) and len(row.code_hint) < len(created.code)
    assert created.link("steller_bot") == f"https://t.me/steller_bot?start=inv_{created.code}"
    assert len({(await _invite(None)).code for _ in range(20)}) == 20


async def test_admin_invite_creates_active_top_level_agent_and_owner():
    created = await _invite(None)
    preview = await invites.preview_invite(code=created.start_payload)
    assert (preview.inviter_name, preview.child_kind) == ("Steller", PartyKind.AGENT)
    party, member = await _redeem(created.start_payload, 100)
    assert (party.kind, party.status, party.parent_id, party.depth) == (PartyKind.AGENT, PartyStatus.ACTIVE, None, 1)
    assert member.telegram_user_id == 100 and member.party_id == party.id


async def test_agent_invite_creates_subagent_under_the_agent():
    agent = await make_party(name="Top Agent")
    created = await _invite(agent)
    assert (await invites.preview_invite(code=created.code)).inviter_name == "Top Agent"
    party, _ = await _redeem(created.code, 200)
    assert (party.kind, party.parent_id) == (PartyKind.SUBAGENT, agent.id)


async def test_single_use_is_used_up_after_one_redemption_and_creates_nothing_more():
    created = await _invite(await make_party())
    await _redeem(created.code, 300)
    with pytest.raises(InviteUsedUp):
        await _redeem(created.code, 301)
    assert await Member.filter(telegram_user_id=301).count() == 0
    assert await Party.filter(kind=PartyKind.SUBAGENT).count() == 1


async def test_multi_use_invite_respects_its_cap():
    created = await _invite(await make_party(), max_uses=3)
    for user in (400, 401, 402):
        await _redeem(created.code, user)
    with pytest.raises(InviteUsedUp):
        await _redeem(created.code, 403)
    assert await InviteRedemption.filter(invite_id=created.invite.id).count() == 3


async def test_expired_revoked_and_unknown_codes_get_clear_answers():
    agent = await make_party()
    expired = await _invite(agent)
    await Invite.filter(id=expired.invite.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(InviteExpired):
        await _redeem(expired.code, 500)
    revoked = await _invite(agent)
    async with atomic():
        await invites.revoke_invite(invite_id=revoked.invite.id, actor=await member_actor(agent))
    with pytest.raises(InviteRevoked):
        await invites.preview_invite(code=revoked.code)
    with pytest.raises(InviteRevoked):
        await _redeem(revoked.code, 501)
    with pytest.raises(InviteInvalid):
        await _redeem("inv_doesnotexist", 502)
    assert not await Member.filter(telegram_user_id__in=[500, 501, 502]).exists()


async def test_only_the_inviter_revokes_and_open_invites_are_listed():
    agent, other = await make_party(), await make_party()
    first, second = await _invite(agent), await _invite(agent, max_uses=5)
    owner = await member_actor(agent)
    with pytest.raises(NotYourChild):
        async with atomic():
            await invites.revoke_invite(invite_id=first.invite.id, actor=await member_actor(other))
    async with atomic():
        await invites.revoke_invite(invite_id=first.invite.id, actor=owner)
    assert [i.id for i in await invites.open_invites(actor=owner, inviter_party_id=agent.id)] == [second.invite.id]
    admin_invite = await _invite(None)
    assert [i.id for i in await invites.open_invites(actor=ADMIN, inviter_party_id=None)] == [admin_invite.invite.id]


async def test_invite_limits_are_validated():
    agent = await make_party()
    with pytest.raises(ValidationFailed):
        await _invite(agent, max_uses=0)
    with pytest.raises(ValidationFailed):
        await _invite(agent, ttl_hours=0)
    frozen = await make_party(status=PartyStatus.FROZEN)
    with pytest.raises(PartyInactive):
        await _invite(frozen)


async def test_invite_beyond_max_depth_is_refused_when_created(monkeypatch):
    from core.config import reset_settings_cache

    agent = await make_party()
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    monkeypatch.setenv("MAX_DEPTH", "2")
    reset_settings_cache()
    try:
        with pytest.raises(DepthExceeded):
            await _invite(sub)
    finally:
        monkeypatch.delenv("MAX_DEPTH")
        reset_settings_cache()


async def test_a_member_cannot_join_a_second_party():
    created = await _invite(await make_party(), max_uses=2)
    await _redeem(created.code, 600)
    with pytest.raises(AlreadyMember):
        await _redeem(created.code, 600)
    assert (await Invite.get(id=created.invite.id)).uses == 1


async def test_inviter_frozen_after_creating_the_link_blocks_redemption():
    from core.parties import service as parties

    agent = await make_party()
    created = await _invite(agent)
    async with atomic():
        await parties.freeze(party_id=agent.id, actor=Actor.admin(label="admin"))
    with pytest.raises(PartyInactive):
        await _redeem(created.code, 700)


async def test_no_part_of_the_code_is_stored_in_clear():
    created = await _invite(None)
    row = await Invite.get(id=created.invite.id)
    assert row.code_hint == invites.hint_of(row.code_hash)
    assert not created.code.startswith(row.code_hint[:4])
    assert all(created.code[i:i + 5] not in row.code_hint for i in range(len(created.code) - 4))
