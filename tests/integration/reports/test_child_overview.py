"""One direct child as its parent sees it: the same figures as its line in children_overview, no one else's."""

from __future__ import annotations

import pytest

from core.access.errors import AccessDenied, NotYourChild
from core.db import atomic
from core.parties import service as parties
from core.parties.models import PartyKind, PartyStatus
from core.reports.children import child_overview
from core.reports.service import children_overview
from tests.factories import ADMIN, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def test_the_card_matches_the_childs_line_in_the_list():
    agent = await make_party(PartyKind.AGENT, name="Agent")
    child = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sara", funds=12_50)
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=child.id, to=PartyStatus.FROZEN)
    viewer = await member_actor(agent, role="viewer")
    async with atomic():
        card = await child_overview(actor=viewer, parent_id=agent.id, child_id=child.id)
        [line] = await children_overview(actor=viewer, party_id=agent.id)
    assert card == line
    assert (card.name, card.status, card.available, card.currency) == ("Sara", "frozen", 12_50, "USD")


async def test_only_a_direct_child_of_the_actors_own_party_opens():
    agent = await make_party(PartyKind.AGENT)
    child = await make_party(PartyKind.SUBAGENT, parent=agent)
    grandchild = await make_party(PartyKind.SUBAGENT, parent=child)
    other = await make_party(PartyKind.AGENT)
    owner, stranger = await member_actor(agent), await member_actor(other)
    async with atomic():
        for actor, parent_id, child_id in ((owner, agent.id, grandchild.id),  # never a grandchild
                                           (owner, agent.id, 999_999),  # the same answer for no party at all
                                           (stranger, other.id, child.id)):  # another agent's child
            with pytest.raises(NotYourChild):
                await child_overview(actor=actor, parent_id=parent_id, child_id=child_id)
        for actor in (stranger, await member_actor(child)):  # nobody acts for a parent it is not a member of
            with pytest.raises(AccessDenied):
                await child_overview(actor=actor, parent_id=agent.id, child_id=child.id)
