"""What admins read and decide about parties: naming one by id or name, the tree with balances, a party's
details, the applications waiting, and the applicant told of the decision."""

from __future__ import annotations

import pytest

from core.audit.models import AuditEntry
from core.db import atomic
from core.errors import PermissionDenied
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties import tree
from core.parties.errors import InvalidTransition, PartyNotFound
from core.parties.models import PartyKind, PartyStatus
from tests.factories import ADMIN, make_member, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def test_find_party_by_id_hash_id_exact_name_and_other_case():
    agent = await make_party(PartyKind.AGENT, name="Top Agent")
    assert (await parties.find_party(actor=ADMIN, ref=str(agent.id))).id == agent.id
    assert (await parties.find_party(actor=ADMIN, ref=f"#{agent.id}")).id == agent.id
    assert (await parties.find_party(actor=ADMIN, ref=" Top Agent ")).id == agent.id
    assert (await parties.find_party(actor=ADMIN, ref='"Top Agent"')).id == agent.id
    assert (await parties.find_party(actor=ADMIN, ref="top agent")).id == agent.id


async def test_find_party_refuses_unknown_and_shared_names_listing_the_ids():
    first = await make_party(PartyKind.AGENT, name="Twin")
    second = await make_party(PartyKind.AGENT, name="Twin")
    with pytest.raises(PartyNotFound):
        await parties.find_party(actor=ADMIN, ref="Nobody")
    with pytest.raises(PartyNotFound):
        await parties.find_party(actor=ADMIN, ref="999999")
    with pytest.raises(parties.AmbiguousParty) as refused:
        await parties.find_party(actor=ADMIN, ref="Twin")
    assert refused.value.details["ids"] == [first.id, second.id]


async def test_find_party_and_the_tree_are_for_admins_only():
    agent = await make_party(PartyKind.AGENT, name="Shop")
    owner = await member_actor(agent)
    with pytest.raises(PermissionDenied):
        await parties.find_party(actor=owner, ref="Shop")
    with pytest.raises(PermissionDenied):
        await tree.tree_level(actor=owner)
    with pytest.raises(PermissionDenied):
        await tree.party_details(actor=owner, party_id=agent.id)
    with pytest.raises(PermissionDenied):
        await tree.pending_applications(actor=owner)


async def test_tree_level_pages_the_top_level_with_balances_and_child_counts():
    agent = await make_party(PartyKind.AGENT, name="A", funds=50_00)
    await make_party(PartyKind.SUBAGENT, parent=agent)
    await make_party(PartyKind.SUBAGENT, parent=agent)
    others = [await make_party(PartyKind.AGENT) for _ in range(3)]
    level = await tree.tree_level(actor=ADMIN, page=0, per_page=2)
    assert (level.total, level.pages, level.parent) == (4, 2, None)
    first = level.nodes[0]
    assert (first.id, first.available, first.children, first.currency) == (agent.id, 50_00, 2, "USD")
    last = await tree.tree_level(actor=ADMIN, page=9, per_page=2)  # clamped to the last page
    assert last.page == 1 and [n.id for n in last.nodes] == [others[1].id, others[2].id]
    below = await tree.tree_level(actor=ADMIN, parent_id=agent.id)
    assert below.parent.id == agent.id and below.total == 2 and all(n.parent_id == agent.id for n in below.nodes)


async def test_party_details_show_the_path_up_members_and_wallet():
    agent = await make_party(PartyKind.AGENT, name="Root", funds=10_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent, name="Mid")
    leaf = await make_party(PartyKind.SUBAGENT, parent=sub, name="Leaf")
    await make_member(leaf)
    details = await tree.party_details(actor=ADMIN, party_id=leaf.id)
    assert [p.name for p in details.path] == ["Root", "Mid"]
    assert (details.depth, details.members, details.node.children, details.orders) == (3, 1, 0, [])
    with pytest.raises(PartyNotFound):
        await tree.party_details(actor=ADMIN, party_id=987654)


async def test_pending_applications_list_who_applied_oldest_first():
    async with atomic():
        first = await parties.apply_as_agent(telegram_user_id=5101, display_name="Rana")
        second = await parties.apply_as_agent(telegram_user_id=5102, display_name="Omar")
    await make_party(PartyKind.AGENT)  # active: not an application
    page = await tree.pending_applications(actor=ADMIN)
    assert [(a.id, a.applicant, a.telegram_user_id) for a in page.items] == [(first.id, "Rana", 5101),
                                                                              (second.id, "Omar", 5102)]
    assert page.total == 2


async def test_approving_tells_the_applicant_in_the_same_transaction_and_audits():
    async with atomic():
        party = await parties.apply_as_agent(telegram_user_id=5201, display_name="Lina")
    outbox: list = []
    async with atomic():
        approved = await parties.approve(actor=ADMIN.with_request("tg:7:9"), party_id=party.id, outbox=outbox)
    assert approved.status == PartyStatus.ACTIVE
    told = await Notification.filter(telegram_user_id=5201).values_list("event_type", flat=True)
    assert told == ["party.approved"] and [r.id for r in outbox] == [
        n.id for n in await Notification.filter(telegram_user_id=5201)]
    entry = await AuditEntry.get(object_id=str(party.id), action="party.status.active")
    assert entry.request_id == "tg:7:9"


async def test_rejecting_tells_the_applicant_and_a_decided_application_stays_decided():
    async with atomic():
        party = await parties.apply_as_agent(telegram_user_id=5301, display_name="Sami")
    async with atomic():
        await parties.reject(actor=ADMIN, party_id=party.id)
    assert await Notification.filter(telegram_user_id=5301, event_type="party.rejected").count() == 1
    with pytest.raises(InvalidTransition):
        async with atomic():
            await parties.approve(actor=ADMIN, party_id=party.id)
    assert await Notification.filter(telegram_user_id=5301).count() == 1
