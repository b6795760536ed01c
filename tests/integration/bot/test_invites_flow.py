"""/invite through the real dispatcher: single- and multi-use links, team links, the open list, revoking,
and the refusals (a manager, a frozen party, someone else's invite, a second press)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.audit.models import AuditEntry
from core.db import atomic
from core.parties import invites
from core.parties.models import Invite, InvitePurpose, Member, MemberRole, PartyKind, PartyStatus
from tests.factories import make_member, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")

LINK = re.compile(r"https://t\.me/steller_test_bot\?start=(inv_[A-Za-z0-9_-]+)")


async def _owner(user_id: int, **kwargs):
    party = await make_party(PartyKind.AGENT, **kwargs)
    await make_member(party, telegram_user_id=user_id)
    return party


async def _open_invite(party, **kwargs) -> invites.CreatedInvite:
    actor = await member_actor(party)
    async with atomic():
        return await invites.create_invite(actor=actor, inviter_party_id=party.id, **kwargs)


def _payload(text: str) -> str:
    found = LINK.search(text)
    assert found, text
    return found.group(1)


async def test_an_owner_makes_a_single_use_link_in_one_tap_and_a_newcomer_joins_with_it(harness):
    agent = await _owner(700, name="Top Agent")
    await harness.send(700, "/invite")
    assert "Invites for Top Agent" in harness.last_text(700)
    await harness.press(700, harness.button(700, "single-use"))
    text = harness.last_text(700)
    payload = _payload(text)
    assert "one new sub-agent" in text and "only time it is shown" in text
    [invite] = await Invite.filter(inviter_id=agent.id)
    assert (invite.max_uses, invite.purpose, invite.child_kind) == (1, InvitePurpose.PARTY, PartyKind.SUBAGENT)
    assert payload.removeprefix("inv_") not in (invite.code_hash, invite.code_hint)  # only a hash is kept
    assert any(text.startswith("📤") for text, _ in harness.buttons(700))  # a share button with the link

    await harness.send(701, f"/start {payload}", first_name="Newcomer")
    await harness.press(701, harness.button(701, "Join"))
    joined = await Member.get(telegram_user_id=701).prefetch_related("party")
    assert (joined.party.parent_id, joined.party.kind) == (agent.id, PartyKind.SUBAGENT)


async def test_more_invites_opens_a_new_menu_and_leaves_the_link_readable(harness):
    await _owner(702)
    await harness.send(702, "/invite")
    await harness.press(702, harness.button(702, "single-use"))
    await harness.press(702, harness.button(702, "More invites"))
    texts = harness.api.texts(702)
    assert LINK.search(texts[-2]) and "Invites for" in texts[-1]


async def test_a_multi_use_link_takes_its_cap_and_lifetime_from_the_buttons(harness):
    agent = await _owner(703)
    await harness.send(703, "/invite")
    await harness.press(703, harness.button(703, "multi-use"))
    assert [text for text, _ in harness.buttons(703)][:4] == ["5", "10", "25", "50"]
    await harness.press(703, harness.button(703, "25"))
    assert "up to 25 people" in harness.last_text(703)
    await harness.press(703, harness.button(703, "7 days"))
    assert "up to 25 new sub-agents" in harness.last_text(703)
    invite = await Invite.get(inviter_id=agent.id)
    assert invite.max_uses == 25
    lifetime = invite.expires_at - datetime.now(UTC)
    assert timedelta(days=7) - timedelta(minutes=5) < lifetime <= timedelta(days=7)


async def test_a_forged_cap_outside_the_offered_choices_is_refused(harness):
    from bot.flows.invites.router import InviteCb

    agent = await _owner(704)
    await harness.send(704, "/invite")
    await harness.press(704, InviteCb(action="make", uses=1000, days=90).pack())
    assert "no longer valid" in harness.toasts()[-1]
    assert not await Invite.filter(inviter_id=agent.id).exists()


async def test_a_team_link_lets_one_person_join_the_same_party_as_a_viewer(harness):
    agent = await _owner(705, name="Shop")
    await harness.send(705, "/invite")
    await harness.press(705, harness.button(705, "team member"))
    await harness.press(705, harness.button(705, "Viewer"))
    text = harness.last_text(705)
    assert "joins Shop as a viewer" in text and LINK.search(text.splitlines()[-1])
    invite = await Invite.get(inviter_id=agent.id)
    assert (invite.purpose, invite.member_role, invite.max_uses) == (InvitePurpose.MEMBER, MemberRole.VIEWER, 1)

    await harness.send(706, f"/start {_payload(text)}")
    await harness.press(706, harness.button(706, "Join"))
    member = await Member.get(telegram_user_id=706)
    assert (member.party_id, member.role) == (agent.id, MemberRole.VIEWER)


async def test_a_manager_cannot_create_invites(harness):
    from bot.flows.invites.router import InviteCb

    agent = await make_party(PartyKind.AGENT)
    await make_member(agent, telegram_user_id=707, role="manager")
    await harness.send(707, "/invite")
    assert "Your role in this account does not allow that" in harness.last_text(707)
    await harness.press(707, InviteCb(action="single").pack())
    await harness.press(707, InviteCb(action="member", role="viewer").pack())
    await harness.press(707, InviteCb(action="multi").pack())
    await harness.press(707, InviteCb(action="team").pack())
    assert len(harness.toasts()) == 4
    assert all("does not allow" in toast for toast in harness.toasts())
    assert not await Invite.filter(inviter_id=agent.id).exists()


async def test_a_frozen_party_cannot_invite(harness):
    from bot.flows.invites.router import InviteCb

    agent = await _owner(708, status=PartyStatus.FROZEN)
    await harness.send(708, "/invite")
    assert "not active right now" in harness.last_text(708)
    await harness.press(708, InviteCb(action="single").pack())
    assert "not active right now" in harness.toasts()[-1]
    assert not await Invite.filter(inviter_id=agent.id).exists()


async def test_a_stranger_gets_no_invite_menu(harness):
    await harness.send(709, "/invite")
    assert "not a member of any party" in harness.last_text(709)


async def test_open_invites_are_paged_and_leave_out_expired_used_up_and_revoked_ones(harness):
    agent = await _owner(710)
    live = [await _open_invite(agent) for _ in range(6)]
    expired = await _open_invite(agent)
    await Invite.filter(id=expired.invite.id).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    used = await _open_invite(agent)
    await Invite.filter(id=used.invite.id).update(uses=1)
    revoked = await _open_invite(agent)
    async with atomic():
        await invites.revoke_invite(actor=await member_actor(agent), invite_id=revoked.invite.id)

    await harness.send(710, "/invite")
    assert "Open invites (6)" in [text for text, _ in harness.buttons(710)][-2]
    await harness.press(710, harness.button(710, "Open invites"))
    first = harness.last_text(710)
    assert "Open invites: 6 (page 1 of 2)" in first and "one use left of 1" in first
    await harness.press(710, harness.button(710, "Next"))
    second = harness.last_text(710)
    shown = first + second
    assert all(created.invite.code_hint in shown for created in live)
    assert not any(gone.invite.code_hint in shown for gone in (expired, used, revoked))


async def test_revoking_asks_first_and_a_second_press_changes_nothing(harness):
    agent = await _owner(711)
    created = await _open_invite(agent, max_uses=5)
    await harness.send(711, "/invite")
    await harness.press(711, harness.button(711, "Open invites"))
    await harness.press(711, harness.button(711, f"Revoke {created.invite.code_hint}"))
    assert f"Revoke the invite {created.invite.code_hint}?" in harness.last_text(711)
    assert (await Invite.get(id=created.invite.id)).revoked_at is None  # nothing yet
    confirm = harness.button(711, "Yes, revoke")
    await harness.press(711, confirm)
    assert "revoked" in harness.last_text(711) and "no open invites" in harness.last_text(711)
    assert (await Invite.get(id=created.invite.id)).revoked_at is not None
    await harness.press(711, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await AuditEntry.filter(action="invite.revoke").count() == 1
    await harness.send(712, f"/start inv_{created.code}")
    assert "revoked" in harness.last_text(712)


async def test_cancelling_a_revoke_keeps_the_invite(harness):
    agent = await _owner(713)
    created = await _open_invite(agent)
    await harness.send(713, "/invite")
    await harness.press(713, harness.button(713, "Open invites"))
    await harness.press(713, harness.button(713, "Revoke"))
    await harness.press(713, harness.button(713, "Cancel"))
    assert created.invite.code_hint in harness.last_text(713)
    assert (await Invite.get(id=created.invite.id)).revoked_at is None


async def test_nobody_revokes_someone_elses_invite_with_forged_buttons(harness):
    from bot.flows.invites.router import InviteCb

    owner = await _owner(714)
    created = await _open_invite(owner)
    await _owner(715)  # another agent's owner
    forged = InviteCb(action="revoke", invite_id=created.invite.id).pack()
    await harness.send(715, "/invite")
    await harness.press(715, forged)
    assert "no longer open" in harness.toasts()[-1]
    await harness.send(716, "/start")  # someone who belongs to no party
    await harness.press(716, forged)
    assert "not a member" in harness.toasts()[-1]

    # The rightful owner's confirmation pressed by someone else finds nothing under their own id.
    await harness.send(714, "/invite")
    await harness.press(714, harness.button(714, "Open invites"))
    await harness.press(714, harness.button(714, "Revoke"))
    confirm = harness.button(714, "Yes, revoke")
    message_id = harness.api.sent_messages(714)[-1]["message_id"]
    await harness.press(715, confirm, message_id=message_id, chat_id=714)
    assert "already used or has expired" in harness.toasts()[-1]
    assert (await Invite.get(id=created.invite.id)).revoked_at is None
    await harness.press(714, confirm)
    assert (await Invite.get(id=created.invite.id)).revoked_at is not None


async def test_a_party_that_cannot_have_subagents_offers_team_links_only(harness):
    agent = await make_party(PartyKind.AGENT)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    leaf = await make_party(PartyKind.SUBAGENT, parent=sub)  # depth 3: the default MAX_DEPTH
    await make_member(leaf, telegram_user_id=717)
    await harness.send(717, "/invite")
    labels = [text for text, _ in harness.buttons(717)]
    assert not any("single-use" in label or "multi-use" in label for label in labels)
    assert any("team member" in label for label in labels)


async def test_the_main_menus_invite_button_opens_the_same_menu_in_place(harness):
    await _owner(718, name="Menu Shop")
    await harness.send(718, "/menu")
    await harness.press(718, harness.button(718, "✉️ Invite"))
    assert len(harness.api.sent_messages(718)) == 1 and "Invites for Menu Shop" in harness.last_text(718)
