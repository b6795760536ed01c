"""Parties, members, admins and the visibility rule. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from core.audit import service as audit
from core.config import get_settings
from core.db import require_transaction
from core.errors import ValidationFailed
from core.ledger.accounts import open_party_accounts
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
    PartyNotFound,
)
from core.parties.models import (
    AdminUser,
    Member,
    MemberRole,
    MemberStatus,
    Party,
    PartyKind,
    PartyStatus,
)

# Which kind a child of a given parent is. None = directly under the platform.
_ALLOWED_CHILD_KINDS: dict[PartyKind | None, set[PartyKind]] = {
    None: {PartyKind.PARTNER, PartyKind.AGENT},
    PartyKind.PARTNER: {PartyKind.AGENT},
    PartyKind.AGENT: {PartyKind.SUBAGENT},
    PartyKind.SUBAGENT: {PartyKind.SUBAGENT},
}

_TRANSITIONS: dict[PartyStatus, set[PartyStatus]] = {
    PartyStatus.PENDING: {PartyStatus.ACTIVE, PartyStatus.CLOSED},
    PartyStatus.ACTIVE: {PartyStatus.FROZEN, PartyStatus.CLOSED},
    PartyStatus.FROZEN: {PartyStatus.ACTIVE, PartyStatus.CLOSED},
    PartyStatus.CLOSED: set(),
}


def child_kind_for(parent: Party | None) -> PartyKind:
    """The kind a party's invitees become: agents under the platform or a partner, else sub-agents."""
    if parent is None or parent.kind == PartyKind.PARTNER:
        return PartyKind.AGENT
    return PartyKind.SUBAGENT


def check_child_allowed(parent: Party | None, kind: PartyKind) -> int:
    """Raise unless a `kind` may sit under `parent`; return the child's depth."""
    parent_kind = parent.kind if parent else None
    if kind not in _ALLOWED_CHILD_KINDS[parent_kind]:
        where = f"under a {parent_kind}" if parent_kind else "at the top level"
        raise InvalidKind(f"a {kind} cannot be created {where}", kind=kind)
    depth = (parent.depth + 1) if parent else 1
    max_depth = get_settings().max_depth
    if depth > max_depth:
        raise DepthExceeded(f"the network is at most {max_depth} levels deep", max_depth=max_depth)
    return depth


def party_snapshot(party: Party) -> dict:
    return {"kind": party.kind, "name": party.name, "status": party.status,
            "parent_id": party.parent_id, "depth": party.depth}


async def get_party(party_id: int) -> Party:
    party = await Party.get_or_none(id=party_id)
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return party


async def create_party(
    *,
    kind: PartyKind,
    name: str,
    actor: str,
    parent_id: int | None = None,
    email: str | None = None,
    status: PartyStatus = PartyStatus.ACTIVE,
    currency: str | None = None,
) -> Party:
    require_transaction()
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("a party needs a name of 1–200 characters", code="party.invalid_name")
    parent = None
    if parent_id is not None:
        parent = await Party.filter(id=parent_id).select_for_update().first()
        if parent is None:
            raise PartyNotFound(f"no party {parent_id}", party_id=parent_id)
        if parent.status != PartyStatus.ACTIVE:
            raise PartyInactive("the parent party is not active", party_id=parent_id)
    depth = check_child_allowed(parent, PartyKind(kind))
    currency = (currency or (parent.currency if parent else get_settings().default_currency)).upper()
    email = email.strip().lower() if email else None
    if email and await Party.filter(email=email).exists():
        raise EmailTaken("that email is already registered")
    try:
        party = await Party.create(
            kind=PartyKind(kind), name=name, email=email, parent_id=parent_id, depth=depth,
            status=status, currency=currency,
        )
    except IntegrityError as exc:  # a concurrent signup with the same email
        raise EmailTaken("that email is already registered") from exc
    await open_party_accounts(party.id, currency)
    await audit.record(actor=actor, action="party.create", object_type="party", object_id=party.id,
                       after=party_snapshot(party))
    return party


async def change_status(*, party_id: int, to: PartyStatus, actor: str, reason: str | None = None) -> Party:
    require_transaction()
    party = await Party.filter(id=party_id).select_for_update().first()
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    if to == party.status:
        return party
    if to not in _TRANSITIONS[party.status]:
        raise InvalidTransition(f"a {party.status} party cannot become {to}", party_id=party_id)
    before = party.status
    party.status = to
    await party.save(update_fields=["status", "updated_at"])
    await audit.record(actor=actor, action=f"party.status.{to}", object_type="party", object_id=party_id,
                       before={"status": before}, after={"status": to, "reason": reason})
    return party


async def approve(*, party_id: int, actor: str) -> Party:
    party = await get_party(party_id)
    if party.status != PartyStatus.PENDING:
        raise InvalidTransition("only a pending application can be approved", party_id=party_id)
    return await change_status(party_id=party_id, to=PartyStatus.ACTIVE, actor=actor)


async def reject(*, party_id: int, actor: str, reason: str | None = None) -> Party:
    party = await get_party(party_id)
    if party.status != PartyStatus.PENDING:
        raise InvalidTransition("only a pending application can be rejected", party_id=party_id)
    return await change_status(party_id=party_id, to=PartyStatus.CLOSED, actor=actor, reason=reason)


async def freeze(*, party_id: int, actor: str, by_party_id: int | None = None) -> Party:
    """Admins (by_party_id None) freeze anyone; a parent freezes its direct children only."""
    if by_party_id is not None:
        await get_direct_child(parent_id=by_party_id, child_id=party_id)
    return await change_status(party_id=party_id, to=PartyStatus.FROZEN, actor=actor)


async def unfreeze(*, party_id: int, actor: str, by_party_id: int | None = None) -> Party:
    if by_party_id is not None:
        await get_direct_child(parent_id=by_party_id, child_id=party_id)
    party = await get_party(party_id)
    if party.status != PartyStatus.FROZEN:
        raise InvalidTransition("only a frozen party can be unfrozen", party_id=party_id)
    return await change_status(party_id=party_id, to=PartyStatus.ACTIVE, actor=actor)


async def apply_as_agent(*, telegram_user_id: int, display_name: str, language: str | None = None) -> Party:
    """An unknown Telegram user applies: a pending agent with that user as owner."""
    require_transaction()
    await _lock_telegram_user(telegram_user_id)
    if await Member.filter(telegram_user_id=telegram_user_id, status=MemberStatus.ACTIVE).exists():
        raise AlreadyMember("you already belong to a party")
    party = await create_party(
        kind=PartyKind.AGENT, name=display_name or f"Agent {telegram_user_id}",
        actor=f"tg:{telegram_user_id}", status=PartyStatus.PENDING,
    )
    await bind_member(party_id=party.id, telegram_user_id=telegram_user_id, role=MemberRole.OWNER,
                      display_name=display_name, language=language, actor=f"tg:{telegram_user_id}")
    return party


# --- Members ---------------------------------------------------------------------------------


async def _lock_telegram_user(telegram_user_id: int) -> None:
    """Serialize everything that binds one Telegram user, so two taps never bind them twice."""
    from tortoise.connection import get_connection

    await get_connection("default").execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [f"tg:{telegram_user_id}"]
    )


async def bind_member(
    *, party_id: int, telegram_user_id: int, role: MemberRole, actor: str,
    display_name: str = "", language: str | None = None,
) -> Member:
    require_transaction()
    existing = await Member.get_or_none(telegram_user_id=telegram_user_id)
    if existing and existing.status == MemberStatus.ACTIVE:
        raise AlreadyMember("this Telegram user already belongs to a party")
    if existing:  # a removed member joins again: the row is reused, its history stays audited
        before = {"party_id": existing.party_id, "status": existing.status}
        existing.party_id, existing.role, existing.status = party_id, role, MemberStatus.ACTIVE
        existing.display_name, existing.language = display_name, language
        await existing.save()
        member = existing
    else:
        before = None
        member = await Member.create(party_id=party_id, telegram_user_id=telegram_user_id, role=role,
                                     display_name=display_name, language=language)
    await audit.record(actor=actor, action="member.bind", object_type="member", object_id=member.id,
                       before=before, after={"party_id": party_id, "role": role,
                                             "telegram_user_id": telegram_user_id})
    return member


async def add_member(*, owner_telegram_id: int, telegram_user_id: int, role: MemberRole,
                     display_name: str = "") -> Member:
    """An owner adds a manager or viewer to their own party."""
    require_transaction()
    owner = await member_for(telegram_user_id=owner_telegram_id, roles={MemberRole.OWNER})
    await _lock_telegram_user(telegram_user_id)
    return await bind_member(party_id=owner.party_id, telegram_user_id=telegram_user_id, role=role,
                             display_name=display_name, actor=f"tg:{owner_telegram_id}")


async def remove_member(*, member_id: int, actor: str, by_party_id: int | None = None) -> Member:
    require_transaction()
    member = await Member.filter(id=member_id).select_for_update().first()
    if member is None or (by_party_id is not None and member.party_id != by_party_id):
        raise NotAMember("no such member")
    member.status = MemberStatus.REMOVED
    await member.save(update_fields=["status"])
    await audit.record(actor=actor, action="member.remove", object_type="member", object_id=member_id,
                       before={"status": MemberStatus.ACTIVE}, after={"status": MemberStatus.REMOVED})
    return member


async def member_for(*, telegram_user_id: int, roles: set[MemberRole] | None = None) -> Member:
    """The active membership of a Telegram user; a removed member is treated as unknown."""
    member = await Member.get_or_none(telegram_user_id=telegram_user_id, status=MemberStatus.ACTIVE)
    if member is None:
        raise NotAMember("you are not a member of any party")
    if roles is not None and member.role not in roles:
        from core.parties.errors import RoleNotAllowed

        raise RoleNotAllowed("your role does not allow this")
    return member


# --- Admins ----------------------------------------------------------------------------------


async def is_admin(telegram_user_id: int) -> bool:
    if telegram_user_id in get_settings().admin_telegram_ids:
        return True
    return await AdminUser.filter(telegram_user_id=telegram_user_id).exists()


async def require_admin(telegram_user_id: int) -> None:
    if not await is_admin(telegram_user_id):
        raise NotAdmin("admins only")


async def grant_admin(*, telegram_user_id: int, actor: str) -> AdminUser:
    require_transaction()
    admin, created = await AdminUser.get_or_create(telegram_user_id=telegram_user_id,
                                                   defaults={"granted_by": actor})
    if created:
        await audit.record(actor=actor, action="admin.grant", object_type="admin",
                           object_id=telegram_user_id, after={"telegram_user_id": telegram_user_id})
    return admin


# --- Visibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildView:
    """What a parent may see of a child: no email, no personal data, no platform cost."""

    id: int
    kind: str
    name: str
    status: str


async def get_direct_child(*, parent_id: int, child_id: int) -> Party:
    child = await Party.get_or_none(id=child_id)
    # Same answer whether the party does not exist or is someone else's: no probing.
    if child is None or child.parent_id != parent_id:
        raise NotYourChild("that party is not your direct child", child_id=child_id)
    return child


async def visible_children(*, viewer_party_id: int) -> list[ChildView]:
    children = await Party.filter(parent_id=viewer_party_id).order_by("id")
    return [ChildView(id=c.id, kind=c.kind, name=c.name, status=c.status) for c in children]


async def can_view(*, viewer_party_id: int, target_party_id: int) -> bool:
    """A party sees itself and its direct children: never grandchildren or anyone else's."""
    if viewer_party_id == target_party_id:
        return True
    return await Party.filter(id=target_party_id, parent_id=viewer_party_id).exists()


async def ensure_can_view(*, viewer_party_id: int, target_party_id: int) -> None:
    if not await can_view(viewer_party_id=viewer_party_id, target_party_id=target_party_id):
        raise NotYourChild("you cannot see that party", party_id=target_party_id)
