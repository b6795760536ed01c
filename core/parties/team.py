"""A party's settings and team as one screen shows them: who is on it, and what the acting member may
change. The fronts ask here instead of deciding by role themselves; the changes are
`service.rename` and `service.remove_member`, which check again."""

from __future__ import annotations

from dataclasses import dataclass

from core.access.actor import Actor
from core.access.errors import AccessDenied, PartyInactive
from core.access.policy import Permission, authorize
from core.errors import PermissionDenied
from core.parties.models import Member, MemberStatus, Party


@dataclass(frozen=True)
class TeamView:
    party: Party
    members: list[Member]  # active members, oldest first
    may_manage: bool  # rename the party, invite and remove members (the party's owner, while active)


async def team_view(*, actor: Actor, party_id: int) -> TeamView:
    """Any member reads their party's name and team; `may_manage` says whether the actor may change them."""
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    party = await Party.get(id=party_id)
    members = await Member.filter(party_id=party_id, status=MemberStatus.ACTIVE).order_by("id")
    try:
        await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
        may_manage = True
    except (PermissionDenied, PartyInactive):
        may_manage = False
    return TeamView(party=party, members=list(members), may_manage=may_manage)


async def check_may_manage(*, actor: Actor, party_id: int) -> None:
    """Raise the core's own refusal unless the actor may change the party's settings and team."""
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)


async def managed_member(*, actor: Actor, member_id: int) -> Member:
    """An active member of a party the actor manages (to name them before removing them).

    One answer (AccessDenied) for a member that does not exist, was removed, or is someone else's."""
    member = await Member.get_or_none(id=member_id, status=MemberStatus.ACTIVE)
    if member is None:
        raise AccessDenied("no such member")
    await authorize(actor, party_id=member.party_id, permission=Permission.MANAGE)
    return member
