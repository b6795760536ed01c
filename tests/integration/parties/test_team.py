"""The team screen's reads: who is on a party's team, and whether the acting member may change it."""

from __future__ import annotations

import pytest

from core.access.errors import AccessDenied, PartyInactive, RoleNotAllowed
from core.db import atomic
from core.parties import service as parties
from core.parties import team
from core.parties.models import PartyKind, PartyStatus
from tests.factories import ADMIN, make_member, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def test_every_member_reads_the_team_and_only_an_active_owner_may_manage_it():
    party = await make_party(PartyKind.AGENT, name="Shop")
    owner = await member_actor(party)
    manager = await member_actor(party, role="manager")
    viewer = await member_actor(party, role="viewer")
    view = await team.team_view(actor=viewer, party_id=party.id)
    assert view.party.name == "Shop" and [m.id for m in view.members] == [owner.member_id, manager.member_id,
                                                                            viewer.member_id]
    assert [(await team.team_view(actor=a, party_id=party.id)).may_manage for a in (owner, manager, viewer)] == [
        True, False, False]
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=party.id, to=PartyStatus.FROZEN)
    frozen = await team.team_view(actor=owner, party_id=party.id)
    assert not frozen.may_manage and len(frozen.members) == 3
    with pytest.raises(PartyInactive):
        await team.check_may_manage(actor=owner, party_id=party.id)


async def test_removed_members_leave_the_team_list():
    party = await make_party()
    owner = await member_actor(party)
    gone = await make_member(party, role="viewer")
    async with atomic():
        await parties.remove_member(actor=owner, member_id=gone.id)
    assert [m.id for m in (await team.team_view(actor=owner, party_id=party.id)).members] == [owner.member_id]


async def test_nobody_reads_another_partys_team():
    party, other = await make_party(), await make_party()
    with pytest.raises(AccessDenied):
        await team.team_view(actor=await member_actor(other), party_id=party.id)


async def test_managed_member_is_one_answer_for_missing_removed_and_someone_elses():
    party, other = await make_party(), await make_party()
    owner = await member_actor(party)
    viewer = await make_member(party, role="viewer")
    assert (await team.managed_member(actor=owner, member_id=viewer.id)).id == viewer.id
    with pytest.raises(RoleNotAllowed):
        await team.managed_member(actor=await member_actor(party, role="manager"), member_id=viewer.id)
    stranger = await member_actor(other)
    for member_id in (viewer.id, 999_999):
        with pytest.raises(AccessDenied):
            await team.managed_member(actor=stranger, member_id=member_id)
    async with atomic():
        await parties.remove_member(actor=owner, member_id=viewer.id)
    with pytest.raises(AccessDenied):
        await team.managed_member(actor=owner, member_id=viewer.id)
