"""Authorization fails closed: every core use case × every kind of actor × a stranger.

The world: agent A (funded) with sub-agents S1 and S2, S1 with a sub-agent G (A's grandchild), and
another agent O with its sub-agent O1. Actors: an admin, A's owner / manager / viewer, A's API key, a
removed member of A, S1's owner, O's owner (a stranger), a plain string and None.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core.access.actor import Actor
from core.access.policy import AccessDenied
from core.catalog import cardlists
from core.db import atomic
from core.errors import DomainError, PermissionDenied
from core.ledger import service as ledger
from core.orders import service as orders
from core.orders.errors import OrderNotFound
from core.parties import invites
from core.parties import service as parties
from core.parties.errors import (
    FrozenByAdmin,
    InvalidTransition,
    NotAdmin,
    NotAMember,
    PartyInactive,
    RoleNotAllowed,
)
from core.parties.models import InvitePurpose, Member, MemberRole, PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product, member_actor, next_ref

pytestmark = pytest.mark.usefixtures("db")

PRODUCT = 7001


@pytest.fixture
async def world():
    a = await make_party(PartyKind.AGENT, name="A", funds=1_000_00)
    s1 = await make_party(PartyKind.SUBAGENT, parent=a, name="S1", funds=50_00)
    s2 = await make_party(PartyKind.SUBAGENT, parent=a, name="S2")
    g = await make_party(PartyKind.SUBAGENT, parent=s1, name="G")
    o = await make_party(PartyKind.AGENT, name="O", funds=100_00)
    o1 = await make_party(PartyKind.SUBAGENT, parent=o, name="O1", funds=10_00)
    await make_product(PRODUCT, face=("1", "100"))
    async with atomic():
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=PRODUCT, actor=ADMIN)
    removed = await member_actor(a, role="manager")
    owner = await member_actor(a)
    async with atomic():
        await parties.remove_member(member_id=removed.member_id, actor=owner)
    return {
        "A": a, "S1": s1, "S2": s2, "G": g, "O": o, "O1": o1,
        "admin": ADMIN,
        "owner": owner,
        "manager": await member_actor(a, role="manager"),
        "viewer": await member_actor(a, role="viewer"),
        "key": Actor.api_key(key_id=1, party_id=a.id, prefix="sk_live_test0001", livemode=True),
        "removed": removed,
        "child_owner": await member_actor(s1),
        "stranger": await member_actor(o),
        "string": "admin",
        "none": None,
    }


async def _run(call):
    async with atomic():
        return await call()


async def _refused(call, error=PermissionDenied):
    with pytest.raises(error):
        await _run(call)


def _everyone_but(world, *allowed: str) -> list[str]:
    names = ["admin", "owner", "manager", "viewer", "key", "removed", "child_owner", "stranger", "string", "none"]
    return [n for n in names if n not in allowed]


# --- Money ------------------------------------------------------------------------------------


async def test_topup_adjust_and_credit_limit_are_for_admins_only(world):
    a = world["A"]
    for name in _everyone_but(world, "admin"):
        actor = world[name]
        await _refused(lambda: ledger.topup(actor=actor, party_id=a.id, amount=1_00, reference=next_ref()))
        await _refused(lambda: ledger.adjust(actor=actor, party_id=a.id, amount=1_00, reason="r",
                                             idempotency_key=next_ref()))
        await _refused(lambda: ledger.set_credit_limit(actor=actor, party_id=a.id, limit=10_00))
    assert (await ledger.read_wallet(party_id=a.id)).available == 1_000_00
    await _run(lambda: ledger.topup(actor=ADMIN, party_id=a.id, amount=1_00, reference=next_ref()))
    assert (await ledger.read_wallet(party_id=a.id)).available == 1_001_00


async def test_allocate_and_reclaim_need_the_parents_owner_manager_or_key(world):
    a, s1 = world["A"], world["S1"]
    for name in ("owner", "manager", "key", "admin"):
        actor = world[name]
        await _run(lambda: ledger.allocate(actor=actor, parent_id=a.id, child_id=s1.id, amount=1_00,
                                           idempotency_key=next_ref()))
        await _run(lambda: ledger.reclaim(actor=actor, child_id=s1.id, amount=1_00, idempotency_key=next_ref()))
    await _refused(lambda: ledger.allocate(actor=world["viewer"], parent_id=a.id, child_id=s1.id, amount=1_00,
                                           idempotency_key=next_ref()), RoleNotAllowed)
    for name in ("removed", "child_owner", "stranger", "string", "none"):
        actor = world[name]
        await _refused(lambda: ledger.allocate(actor=actor, parent_id=a.id, child_id=s1.id, amount=1_00,
                                               idempotency_key=next_ref()), AccessDenied)
        await _refused(lambda: ledger.reclaim(actor=actor, child_id=s1.id, amount=1_00,
                                              idempotency_key=next_ref()), AccessDenied)
    # A's owner cannot reach its grandchild, nor another agent's child.
    for child in (world["G"], world["O1"]):
        await _refused(lambda: ledger.reclaim(actor=world["owner"], child_id=child.id, amount=1_00,
                                              idempotency_key=next_ref()))
    assert (await ledger.read_wallet(party_id=s1.id)).available == 50_00
    assert (await ledger.read_wallet(party_id=world["O1"].id)).available == 10_00


async def test_wallet_is_read_by_its_members_its_direct_parent_and_admins_only(world):
    s1 = world["S1"]
    for name in ("admin", "owner", "manager", "viewer", "key", "child_owner"):
        assert (await ledger.wallet_summary(actor=world[name], party_id=s1.id)).available == 50_00
    for name in ("removed", "stranger", "string", "none"):
        with pytest.raises(AccessDenied):
            await ledger.wallet_summary(actor=world[name], party_id=s1.id)
    with pytest.raises(AccessDenied):  # a child never reads its parent
        await ledger.wallet_summary(actor=world["child_owner"], party_id=world["A"].id)
    with pytest.raises(AccessDenied):  # nor a grandparent its grandchild
        await ledger.wallet_statement(actor=world["owner"], party_id=world["G"].id)


# --- Status changes --------------------------------------------------------------------------


async def test_approve_reject_and_status_changes_are_for_admins_only(world):
    async with atomic():
        pending = await parties.apply_as_agent(telegram_user_id=777, display_name="Applicant")
    for name in _everyone_but(world, "admin"):
        actor = world[name]
        await _refused(lambda: parties.approve(actor=actor, party_id=pending.id))
        await _refused(lambda: parties.reject(actor=actor, party_id=pending.id))
        await _refused(lambda: parties.change_status(actor=actor, party_id=world["O"].id, to=PartyStatus.CLOSED))
    assert (await parties.get_party(pending.id)).status == PartyStatus.PENDING
    await _run(lambda: parties.approve(actor=ADMIN, party_id=pending.id))


async def test_a_parent_freezes_its_direct_children_and_lifts_only_its_own_freeze(world):
    s1, s2 = world["S1"], world["S2"]
    await _refused(lambda: parties.freeze(actor=world["manager"], party_id=s1.id), RoleNotAllowed)
    await _refused(lambda: parties.freeze(actor=world["viewer"], party_id=s1.id), RoleNotAllowed)
    await _refused(lambda: parties.freeze(actor=world["child_owner"], party_id=s1.id), InvalidTransition)
    for name in ("removed", "stranger", "string", "none"):
        actor = world[name]
        await _refused(lambda: parties.freeze(actor=actor, party_id=s1.id), AccessDenied)
    await _refused(lambda: parties.freeze(actor=world["owner"], party_id=world["G"].id), AccessDenied)
    assert (await parties.get_party(s1.id)).status == PartyStatus.ACTIVE

    frozen = await _run(lambda: parties.freeze(actor=world["owner"], party_id=s1.id))
    assert (frozen.status, frozen.frozen_by) == (PartyStatus.FROZEN, "parent")
    await _refused(lambda: parties.unfreeze(actor=world["stranger"], party_id=s1.id), AccessDenied)
    assert (await _run(lambda: parties.unfreeze(actor=world["owner"], party_id=s1.id))).status == PartyStatus.ACTIVE

    await _run(lambda: parties.freeze(actor=ADMIN, party_id=s2.id))
    await _refused(lambda: parties.unfreeze(actor=world["owner"], party_id=s2.id), FrozenByAdmin)
    assert (await parties.get_party(s2.id)).status == PartyStatus.FROZEN
    assert (await _run(lambda: parties.unfreeze(actor=ADMIN, party_id=s2.id))).status == PartyStatus.ACTIVE


async def test_a_frozen_party_reads_but_cannot_freeze_invite_or_move_money(world):
    a, s1 = world["A"], world["S1"]
    owner = world["owner"]
    await _run(lambda: parties.freeze(actor=owner, party_id=s1.id))
    await _run(lambda: parties.freeze(actor=ADMIN, party_id=a.id))
    await _refused(lambda: parties.unfreeze(actor=owner, party_id=s1.id), PartyInactive)
    await _refused(lambda: parties.freeze(actor=owner, party_id=world["S2"].id), PartyInactive)
    await _refused(lambda: invites.create_invite(actor=owner, inviter_party_id=a.id), PartyInactive)
    await _refused(lambda: ledger.allocate(actor=world["manager"], parent_id=a.id, child_id=world["S2"].id,
                                           amount=1_00, idempotency_key=next_ref()), PartyInactive)
    assert (await ledger.wallet_summary(actor=world["viewer"], party_id=a.id)).available == 1_000_00
    assert (await parties.get_party(world["S2"].id)).status == PartyStatus.ACTIVE


# --- Invites and team --------------------------------------------------------------------------


async def test_invites_are_made_and_revoked_by_the_owner_or_an_admin(world):
    a = world["A"]
    await _refused(lambda: invites.create_invite(actor=world["manager"], inviter_party_id=a.id), RoleNotAllowed)
    await _refused(lambda: invites.create_invite(actor=world["viewer"], inviter_party_id=a.id), RoleNotAllowed)
    for name in ("removed", "child_owner", "stranger", "string", "none"):
        actor = world[name]
        await _refused(lambda: invites.create_invite(actor=actor, inviter_party_id=a.id), AccessDenied)
    for name in _everyone_but(world, "admin"):  # top-level invites are the platform's
        actor = world[name]
        await _refused(lambda: invites.create_invite(actor=actor, inviter_party_id=None))
    created = await _run(lambda: invites.create_invite(actor=world["owner"], inviter_party_id=a.id))
    await _refused(lambda: invites.revoke_invite(actor=world["stranger"], invite_id=created.invite.id))
    await _refused(lambda: invites.revoke_invite(actor=world["manager"], invite_id=created.invite.id), RoleNotAllowed)
    assert (await _run(lambda: invites.revoke_invite(actor=world["owner"], invite_id=created.invite.id))).revoked_at


async def test_a_team_member_joins_only_by_accepting_a_member_invite(world):
    a = world["A"]
    await _refused(lambda: invites.create_member_invite(actor=world["manager"], party_id=a.id,
                                                        role=MemberRole.VIEWER), RoleNotAllowed)
    await _refused(lambda: invites.create_member_invite(actor=world["stranger"], party_id=a.id,
                                                        role=MemberRole.VIEWER), AccessDenied)
    with pytest.raises(DomainError):  # an owner is never added this way
        await _run(lambda: invites.create_member_invite(actor=world["owner"], party_id=a.id, role=MemberRole.OWNER))
    created = await _run(lambda: invites.create_member_invite(actor=world["owner"], party_id=a.id,
                                                              role=MemberRole.MANAGER))
    preview = await invites.preview_invite(code=created.code)
    assert (preview.purpose, preview.member_role, preview.inviter_name) == (InvitePurpose.MEMBER, "manager", "A")
    assert not await Member.filter(telegram_user_id=4242).exists()  # nothing until the user accepts
    party, member = await _run(lambda: invites.redeem_invite(code=created.code, telegram_user_id=4242,
                                                             display_name="New manager"))
    assert (party.id, member.role, member.party_id) == (a.id, MemberRole.MANAGER, a.id)
    assert await parties.Party.filter(parent_id=a.id).count() == 2  # no new child party was made


async def test_renaming_and_removing_members_are_for_the_owner(world):
    a = world["A"]
    await _refused(lambda: parties.rename(actor=world["manager"], party_id=a.id, name="X"), RoleNotAllowed)
    await _refused(lambda: parties.rename(actor=world["stranger"], party_id=a.id, name="X"), AccessDenied)
    await _refused(lambda: parties.remove_member(actor=world["stranger"], member_id=world["viewer"].member_id),
                   NotAMember)
    from core.parties.errors import LastOwner

    await _refused(lambda: parties.remove_member(actor=world["owner"], member_id=world["owner"].member_id), LastOwner)
    assert (await _run(lambda: parties.rename(actor=world["owner"], party_id=a.id, name="A Trading"))).name == "A Trading"


async def test_admin_rights_are_granted_and_revoked_by_admins_only(world):
    for name in _everyone_but(world, "admin"):
        actor = world[name]
        await _refused(lambda: parties.grant_admin(actor=actor, telegram_user_id=31337))
    assert not await parties.is_admin(31337)
    await _run(lambda: parties.grant_admin(actor=ADMIN, telegram_user_id=31337))
    await _refused(lambda: parties.revoke_admin(actor=world["owner"], telegram_user_id=31337))
    assert await _run(lambda: parties.revoke_admin(actor=ADMIN, telegram_user_id=31337))
    assert not await parties.is_admin(31337)


async def test_pricing_and_card_lists_are_for_admins_only(world):
    for name in _everyone_but(world, "admin"):
        actor = world[name]
        await _refused(lambda: pricing.set_discount(actor=actor, rate="0.05", party_kind=PartyKind.AGENT))
        await _refused(lambda: cardlists.default_agent_list(actor=actor))
        await _refused(lambda: cardlists.party_list(actor=actor, party_id=world["A"].id))
    assert not await pricing.Discount.exists()


# --- Orders ----------------------------------------------------------------------------------


def _order(actor, party, reference=None):
    return lambda: orders.create_order(actor=actor, party_id=party.id, product_id=PRODUCT,
                                       face_value=Decimal("10"), quantity=1, reference=reference)


async def test_only_the_buyers_owner_manager_key_or_an_admin_order_and_the_member_is_the_actor(world):
    a, s1 = world["A"], world["S1"]
    await _refused(_order(world["viewer"], a), RoleNotAllowed)
    for name in ("removed", "child_owner", "stranger", "string", "none"):
        await _refused(_order(world[name], a), AccessDenied)
    await _refused(_order(world["owner"], s1), AccessDenied)  # a parent never orders on a child's behalf
    assert not await orders.Order.exists()
    created = await _run(_order(world["manager"], a))
    assert created.order.member_id == world["manager"].member_id and created.order.actor == world["manager"].label
    by_key = await _run(_order(world["key"], a))
    assert by_key.order.member_id is None and by_key.order.livemode is True


async def test_orders_are_seen_by_the_buyer_and_its_parent_and_codes_by_the_buyer_only(world):
    a, s1 = world["A"], world["S1"]
    child_order = (await _run(_order(world["child_owner"], s1))).order
    assert (await orders.get_order(actor=world["owner"], order_id=child_order.id)).id == child_order.id
    assert [o.id for o in await orders.list_orders(actor=world["viewer"], party_id=s1.id)] == [child_order.id]
    for name in ("stranger", "removed", "string", "none"):
        with pytest.raises(OrderNotFound):  # the same answer as for an order that does not exist
            await orders.get_order(actor=world[name], order_id=child_order.id)
    with pytest.raises(PermissionDenied):
        await orders.list_orders(actor=world["stranger"], party_id=s1.id)
    with pytest.raises(PermissionDenied):  # everyone's orders: admins only
        await orders.list_orders(actor=world["owner"])
    await orders.Order.filter(id=child_order.id).update(status="completed", cards_delivered=1)
    for name in ("owner", "viewer", "stranger"):  # not the parent, not a viewer, not a stranger
        with pytest.raises(OrderNotFound):
            await _run(lambda: orders.reveal_cards(actor=world[name], order_id=child_order.id))
    assert await _run(lambda: orders.reveal_cards(actor=world["child_owner"], order_id=child_order.id)) == []


async def test_a_test_key_never_sees_a_live_order_nor_a_live_key_a_test_one(world):
    a = world["A"]
    live = (await _run(_order(world["key"], a))).order
    test_key = Actor.api_key(key_id=2, party_id=a.id, prefix="sk_test_test0001", livemode=False)
    with pytest.raises(OrderNotFound):
        await orders.get_order(actor=test_key, order_id=live.id)
    assert await orders.list_orders(actor=test_key, party_id=a.id) == []
    assert [o.id for o in await orders.list_orders(actor=world["key"], party_id=a.id)] == [live.id]


# --- Races: read under the lock that is written under ------------------------------------------


async def test_concurrent_approve_and_reject_of_one_application_let_exactly_one_win(world):
    for round_ in range(5):
        async with atomic():
            pending = await parties.apply_as_agent(telegram_user_id=880 + round_, display_name="Applicant")

        async def attempt(use_case):
            try:
                await _run(lambda: use_case(actor=ADMIN, party_id=pending.id))
                return "ok"
            except InvalidTransition:
                return "refused"

        results = await asyncio.gather(attempt(parties.approve), attempt(parties.reject))
        assert sorted(results) == ["ok", "refused"]
        from core.audit.models import AuditEntry

        assert await AuditEntry.filter(object_id=str(pending.id), action__startswith="party.status").count() == 1


async def test_concurrent_adjustments_audit_the_balance_each_one_really_started_from(world):
    o1 = world["O1"]
    await asyncio.gather(*[
        _run(lambda: ledger.adjust(actor=ADMIN, party_id=o1.id, amount=1_00, reason="bonus",
                                   idempotency_key=next_ref()))
        for _ in range(12)
    ])
    from core.audit.models import AuditEntry

    befores = sorted([e.before["balance"] async for e in AuditEntry.filter(action="ledger.adjustment",
                                                                            object_id=str(o1.id))])
    assert befores == [10_00 + i * 1_00 for i in range(12)]


async def test_a_child_uses_its_parents_currency(world):
    from core.parties.errors import CurrencyNotParents

    with pytest.raises(CurrencyNotParents):
        await _run(lambda: parties.create_party(actor=ADMIN, kind=PartyKind.SUBAGENT, name="EUR child",
                                                parent_id=world["A"].id, currency="EUR"))
    child = await _run(lambda: parties.create_party(actor=ADMIN, kind=PartyKind.SUBAGENT, name="child",
                                                    parent_id=world["A"].id))
    assert child.currency == world["A"].currency
    top = await _run(lambda: parties.create_party(actor=ADMIN, kind=PartyKind.AGENT, name="EUR agent",
                                                  currency="EUR"))
    assert top.currency == "EUR"
    for name in _everyone_but(world, "admin"):
        await _refused(lambda: parties.create_party(actor=world[name], kind=PartyKind.AGENT, name="x"))


async def test_a_frozen_or_unfrozen_party_is_told(world):
    from core.notifications.models import Notification

    outbox: list = []
    await _run(lambda: parties.freeze(actor=world["owner"], party_id=world["S1"].id, outbox=outbox))
    child_owner = world["child_owner"].telegram_user_id
    assert [n.event_type for n in outbox] == ["party.frozen"]
    assert [n.telegram_user_id for n in outbox] == [child_owner]
    await _run(lambda: parties.unfreeze(actor=world["owner"], party_id=world["S1"].id))
    told = await Notification.filter(telegram_user_id=child_owner).order_by("id").values_list("event_type", flat=True)
    assert told == ["party.frozen", "party.unfrozen"]


async def test_a_member_removed_in_the_same_transaction_is_refused_at_once(world):
    from core.access.policy import note_active_member
    from core.parties.models import Member

    manager = world["manager"]

    async def remove_then_act():
        note_active_member(await Member.get(id=manager.member_id))  # as the bot's middleware does
        await parties.remove_member(actor=world["owner"], member_id=manager.member_id)
        await ledger.allocate(actor=manager, parent_id=world["A"].id, child_id=world["S1"].id, amount=1_00,
                              idempotency_key=next_ref())

    await _refused(remove_then_act, AccessDenied)
