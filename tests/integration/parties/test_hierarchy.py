"""The party tree, statuses, members, admins and the visibility rule."""

from __future__ import annotations

import pytest

from core.access.actor import Actor
from core.access.policy import AccessDenied, admin_actor
from core.audit.models import AuditEntry
from core.config import reset_settings_cache
from core.db import atomic
from core.errors import ValidationFailed
from core.parties import service as parties
from core.parties.errors import (
    AlreadyMember,
    DepthExceeded,
    EmailTaken,
    InvalidKind,
    InvalidTransition,
    NotAdmin,
    NotAMember,
    NotYourChild,
    PartyInactive,
)
from core.ledger.models import Account
from core.parties.models import MemberRole, PartyKind, PartyStatus
from tests.factories import make_party, make_tree, member_actor

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def max_depth(monkeypatch):
    def set_depth(value: int) -> None:
        monkeypatch.setenv("MAX_DEPTH", str(value))
        reset_settings_cache()

    yield set_depth
    monkeypatch.delenv("MAX_DEPTH", raising=False)
    reset_settings_cache()


async def test_party_gets_wallet_holds_and_commission_accounts_and_an_audit_entry():
    agent = await make_party(PartyKind.AGENT, name="Acme")
    kinds = sorted([a.kind.value async for a in Account.filter(party_id=agent.id)])
    assert kinds == ["commission", "holds", "wallet"]
    entry = await AuditEntry.get(action="party.create", object_id=str(agent.id))
    assert entry.after["name"] == "Acme" and entry.actor == "test"


async def test_kinds_follow_the_tree():
    partner = await make_party(PartyKind.PARTNER)
    agent_under_partner = await make_party(PartyKind.AGENT, parent=partner)
    assert agent_under_partner.depth == 2
    sub = await make_party(PartyKind.SUBAGENT, parent=agent_under_partner)
    assert sub.depth == 3
    with pytest.raises(InvalidKind):
        await make_party(PartyKind.SUBAGENT)  # a sub-agent needs an agent above it
    with pytest.raises(InvalidKind):
        await make_party(PartyKind.PARTNER, parent=partner)
    with pytest.raises(InvalidKind):
        await make_party(PartyKind.AGENT, parent=agent_under_partner)


async def test_third_level_subagent_refused_when_max_depth_forbids_it(max_depth):
    max_depth(2)
    agent, sub, _ = await make_tree()
    with pytest.raises(DepthExceeded):
        await make_party(PartyKind.SUBAGENT, parent=sub)
    max_depth(3)
    deeper = await make_party(PartyKind.SUBAGENT, parent=sub)
    assert deeper.depth == 3


async def test_child_of_inactive_parent_refused_and_emails_unique():
    agent = await make_party(status=PartyStatus.FROZEN)
    with pytest.raises(PartyInactive):
        await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await parties.create_party(kind=PartyKind.PARTNER, name="P", email="Ops@Example.com", actor=Actor.admin(label="t"))
    with pytest.raises(EmailTaken):
        async with atomic():
            await parties.create_party(kind=PartyKind.PARTNER, name="Q", email="ops@example.com", actor=Actor.admin(label="t"))
    with pytest.raises(ValidationFailed):
        async with atomic():
            await parties.create_party(kind=PartyKind.PARTNER, name="  ", actor=Actor.admin(label="t"))


async def test_status_transitions_are_guarded_and_audited():
    agent = await make_party()
    async with atomic():
        await parties.freeze(party_id=agent.id, actor=Actor.admin(label="tg:1"))
    async with atomic():
        await parties.unfreeze(party_id=agent.id, actor=Actor.admin(label="tg:1"))
    async with atomic():
        await parties.change_status(party_id=agent.id, to=PartyStatus.CLOSED, actor=Actor.admin(label="tg:1"))
    for target in (PartyStatus.ACTIVE, PartyStatus.FROZEN, PartyStatus.PENDING):
        with pytest.raises(InvalidTransition):
            async with atomic():
                await parties.change_status(party_id=agent.id, to=target, actor=Actor.admin(label="tg:1"))
    trail = [(e.before["status"], e.after["status"]) async for e in
             AuditEntry.filter(object_id=str(agent.id), action__startswith="party.status").order_by("id")]
    assert trail == [("active", "frozen"), ("frozen", "active"), ("active", "closed")]


async def test_parent_freezes_direct_children_only():
    agent, sub, _ = await make_tree()
    grandchild = await make_party(PartyKind.SUBAGENT, parent=sub)
    other, other_sub, _ = await make_tree()
    owner = await member_actor(agent)
    for target in (grandchild, other_sub, other):
        with pytest.raises(AccessDenied):
            async with atomic():
                await parties.freeze(party_id=target.id, actor=owner)
    async with atomic():
        frozen = await parties.freeze(party_id=sub.id, actor=owner)
    assert frozen.status == PartyStatus.FROZEN and frozen.frozen_by == "parent"


async def test_application_is_pending_until_an_admin_approves():
    async with atomic():
        party = await parties.apply_as_agent(telegram_user_id=555, display_name="Newbie")
    assert party.status == PartyStatus.PENDING
    member = await parties.member_for(telegram_user_id=555)
    assert member.party_id == party.id and member.role == MemberRole.OWNER
    with pytest.raises(AlreadyMember):
        async with atomic():
            await parties.apply_as_agent(telegram_user_id=555, display_name="Again")
    async with atomic():
        approved = await parties.approve(party_id=party.id, actor=Actor.admin(label="tg:1"))
    assert approved.status == PartyStatus.ACTIVE
    with pytest.raises(InvalidTransition):
        async with atomic():
            await parties.reject(party_id=party.id, actor=Actor.admin(label="tg:1"))


async def test_rejected_application_is_closed():
    async with atomic():
        party = await parties.apply_as_agent(telegram_user_id=556, display_name="Spammer")
    async with atomic():
        rejected = await parties.reject(party_id=party.id, actor=Actor.admin(label="tg:1"), reason="spam")
    assert rejected.status == PartyStatus.CLOSED


async def test_members_roles_and_removal():
    agent = await make_party()
    owner = await member_actor(agent, telegram_user_id=10)
    viewer_actor = await member_actor(agent, role="viewer", telegram_user_id=11)
    with pytest.raises(AlreadyMember):  # one Telegram user, one party
        async with atomic():
            await parties.bind_member(party_id=(await make_party()).id, telegram_user_id=11,
                                      role=MemberRole.OWNER, actor=Actor.admin(label="t"))
    viewer = await parties.member_for(telegram_user_id=11)
    from core.parties.errors import RoleNotAllowed

    with pytest.raises(RoleNotAllowed):
        await parties.member_for(telegram_user_id=11, roles={MemberRole.OWNER, MemberRole.MANAGER})
    with pytest.raises(RoleNotAllowed):  # a viewer cannot remove anyone
        async with atomic():
            await parties.remove_member(member_id=owner.member_id, actor=viewer_actor)
    with pytest.raises(NotAMember):  # nor can an owner of another party
        async with atomic():
            await parties.remove_member(member_id=viewer.id, actor=await member_actor(await make_party()))
    async with atomic():
        await parties.remove_member(member_id=viewer.id, actor=owner)
    with pytest.raises(NotAMember):  # a removed member is treated as unknown
        await parties.member_for(telegram_user_id=11)
    other = await make_party()
    async with atomic():  # and may join elsewhere later
        rebound = await parties.bind_member(party_id=other.id, telegram_user_id=11, role=MemberRole.OWNER, actor=Actor.admin(label="t"))
    assert rebound.id == viewer.id and rebound.party_id == other.id


async def test_admins_from_environment_and_database(monkeypatch):
    assert not await parties.is_admin(42)
    with pytest.raises(NotAdmin):
        await admin_actor(telegram_user_id=42)
    async with atomic():
        await parties.grant_admin(telegram_user_id=42, actor=Actor.admin(label="cli"))
    assert await parties.is_admin(42)
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "7, 8")
    reset_settings_cache()
    try:
        assert await parties.is_admin(8)
    finally:
        monkeypatch.delenv("ADMIN_TELEGRAM_IDS")
        reset_settings_cache()


async def test_visibility_parent_sees_direct_children_only():
    agent, sub1, sub2 = await make_tree()
    grandchild = await make_party(PartyKind.SUBAGENT, parent=sub1)
    other, other_sub, _ = await make_tree()
    children = await parties.visible_children(actor=await member_actor(agent, role="viewer"),
                                              viewer_party_id=agent.id)
    assert [c.id for c in children] == [sub1.id, sub2.id]
    assert not hasattr(children[0], "email")
    assert await parties.can_view(viewer_party_id=agent.id, target_party_id=agent.id)
    assert await parties.can_view(viewer_party_id=agent.id, target_party_id=sub1.id)
    for hidden in (grandchild, other, other_sub):
        assert not await parties.can_view(viewer_party_id=agent.id, target_party_id=hidden.id)
    assert not await parties.can_view(viewer_party_id=sub1.id, target_party_id=agent.id)
    with pytest.raises(NotYourChild):
        await parties.ensure_can_view(viewer_party_id=sub1.id, target_party_id=sub2.id)
    with pytest.raises(NotYourChild):  # an id that does not exist answers the same way
        await parties.get_direct_child(parent_id=agent.id, child_id=999_999)
