"""What an actor may do to which party. Fails closed: anything not granted here is refused.

Roles (PRODUCT.md §1): an `owner` does everything for its party; a `manager` orders and moves money
to the party's children; a `viewer` reads. An API key acts as its party's owner. A parent reaches
its *direct* children only, and only where a rule says so (`parent_may`). A party that is not active
reads but does nothing else. Admins and the platform's own workers may do anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.access.actor import Actor, ActorKind
from core.access.errors import AccessDenied, NotAdmin, PartyInactive, RoleNotAllowed

__all__ = ["AccessDenied", "Permission", "authorize", "admin_actor", "is_privileged", "require_admin"]


class Permission(StrEnum):
    READ = "read"  # see the party's wallet, orders, statement, children
    ORDER = "order"  # buy cards, reveal codes
    MOVE_MONEY = "move_money"  # allocate to / reclaim from children
    MANAGE = "manage"  # invites, team, freeze children, settings, webhooks, keys


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "owner": frozenset(Permission),
    "manager": frozenset({Permission.READ, Permission.ORDER, Permission.MOVE_MONEY}),
    "viewer": frozenset({Permission.READ}),
}


@dataclass(frozen=True)
class _PartyFacts:
    id: int
    parent_id: int | None
    status: str


async def _facts(party_id: int) -> _PartyFacts | None:
    from core.parties.models import Party

    row = await Party.filter(id=party_id).values("id", "parent_id", "status")
    return _PartyFacts(row[0]["id"], row[0]["parent_id"], str(row[0]["status"])) if row else None


def _verified_in_this_transaction() -> set | None:
    """Memberships already read as active in the caller's transaction (None outside one)."""
    from tortoise.connection import get_connection

    from core.db import in_transaction_now

    if not in_transaction_now():
        return None
    connection = get_connection("default")
    verified = getattr(connection, "_steller_verified_members", None)
    if verified is None:
        verified = set()
        connection._steller_verified_members = verified
    return verified


def note_active_member(member) -> None:
    """A front that read this active membership in the current transaction says so: the use cases
    of the same transaction need not read it again."""
    verified = _verified_in_this_transaction()
    if verified is not None:
        verified.add((member.id, member.party_id, str(member.role)))


def forget_member(member) -> None:
    """A membership removed or changed in this transaction is read again by the next check."""
    verified = _verified_in_this_transaction()
    if verified is not None:
        for key in [k for k in verified if k[0] == member.id]:
            verified.discard(key)


async def _member_still_active(actor: Actor) -> bool:
    """A removed member (or one moved to another party or role) is a stranger from that moment."""
    from core.parties.models import Member, MemberStatus

    key = (actor.member_id, actor.party_id, actor.role)
    verified = _verified_in_this_transaction()
    if verified is not None and key in verified:
        return True
    active = await Member.filter(id=actor.member_id, party_id=actor.party_id, role=actor.role,
                                 status=MemberStatus.ACTIVE).exists()
    if active and verified is not None:
        verified.add(key)
    return active


def _check_type(actor: object) -> Actor:
    if not isinstance(actor, Actor):  # a bare string or None never means "admin"
        raise AccessDenied("no acting party given")
    return actor


def is_privileged(actor: object) -> bool:
    """An admin or the platform itself (never a string, never None)."""
    return isinstance(actor, Actor) and actor.kind in (ActorKind.ADMIN, ActorKind.SYSTEM)


def require_admin(actor: Actor) -> Actor:
    actor = _check_type(actor)
    if actor.kind not in (ActorKind.ADMIN, ActorKind.SYSTEM):
        raise NotAdmin("admins only")
    return actor


def _sandbox_key_on_own_party(actor: Actor, party_id: int) -> bool:
    return actor.kind == ActorKind.API_KEY and not actor.livemode and actor.party_id == party_id


async def authorize(actor: Actor, *, party_id: int, permission: Permission, parent_may: bool = False) -> None:
    """Raise unless `actor` may do `permission` on `party_id`.

    A member or key passes for its own party with a role that grants the permission, or — when the
    use case allows it (`parent_may`) — for a direct child of its party. Anything but reading needs
    the acting party to be active (a frozen party reads and does nothing else).
    """
    actor = _check_type(actor)
    if actor.kind in (ActorKind.ADMIN, ActorKind.SYSTEM):
        return
    if actor.kind not in (ActorKind.MEMBER, ActorKind.API_KEY) or actor.party_id is None:
        raise AccessDenied("not allowed")
    if actor.kind == ActorKind.MEMBER and not await _member_still_active(actor):
        raise AccessDenied("you are not a member of this party")
    if permission not in ROLE_PERMISSIONS.get(actor.role or "", frozenset()):
        raise RoleNotAllowed("your role does not allow this")
    if actor.party_id != party_id:
        target = await _facts(party_id)
        if not parent_may or target is None or target.parent_id != actor.party_id:
            raise AccessDenied("that party is not yours")
    if permission != Permission.READ:
        own = await _facts(actor.party_id)
        if own is not None and own.status == "pending" and _sandbox_key_on_own_party(actor, party_id):
            return  # a partner integrates in the sandbox while its application is reviewed
        if own is None or own.status != "active":
            raise PartyInactive("your party is not active: it can read but not act", party_id=actor.party_id)


async def admin_actor(*, telegram_user_id: int, request_id: str | None = None) -> Actor:
    """An admin actor for a Telegram user, after checking the environment list and the database."""
    from core.parties.service import is_admin

    if not await is_admin(telegram_user_id):
        raise NotAdmin("admins only")
    return Actor.admin(label=f"tg:{telegram_user_id}", telegram_user_id=telegram_user_id, request_id=request_id)
