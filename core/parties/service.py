"""Parties, members, admins and the visibility rule. Every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from core.access.actor import Actor, actor_label
from core.access.policy import AccessDenied, Permission, authorize, forget_member, is_privileged, require_admin
from core.audit import service as audit
from core.config import get_settings
from core.db import require_transaction
from core.errors import ValidationFailed
from core.ledger.accounts import open_party_accounts
from core.parties.errors import (
    AlreadyMember,
    CurrencyNotParents,
    LastOwner,
    DepthExceeded,
    EmailTaken,
    InvalidKind,
    InvalidTransition,
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

# Who froze a party decides who may unfreeze it.
FROZEN_BY_ADMIN = "admin"
FROZEN_BY_PARENT = "parent"

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


async def list_parties(*, actor: Actor, kind: str | None = None, status: str | None = None,
                       parent_id: int | None = None, limit: int = 1000) -> list[Party]:
    """Admins list every party (filters narrow it); members see their children through visible_children."""
    require_admin(actor)
    filters = {"kind": kind, "status": status, "parent_id": parent_id}
    query = Party.filter(**{k: v for k, v in filters.items() if v is not None})
    return await query.order_by("id").limit(max(1, min(limit, 10_000)))


async def get_party(party_id: int) -> Party:
    party = await Party.get_or_none(id=party_id)
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return party


class AmbiguousParty(ValidationFailed):
    """More than one party has the name an admin typed: they name it by id instead (`ids` lists them)."""

    code = "party.ambiguous"


_QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»"}


async def find_party(*, actor: Actor, ref: str) -> Party:
    """The party an admin names by id ("42", "#42") or by its exact name (then, if none, the same name in
    another letter case). A name several parties share is refused with their ids; nothing found →
    PartyNotFound. Admins only: members reach parties through their own party, never by name."""
    require_admin(actor)
    text = (ref or "").strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:  # "Top Agent" → Top Agent
        text = text[1:-1].strip()
    if not text:
        raise PartyNotFound("no party named", ref=text)
    digits = text.removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        party = await Party.get_or_none(id=int(digits))
        if party is not None:
            return party
    matches = await Party.filter(name=text).order_by("id").limit(10)
    if not matches:
        matches = await Party.filter(name__iexact=text).order_by("id").limit(10)
    if not matches:
        raise PartyNotFound(f"no party {text!r}", ref=text)
    if len(matches) > 1:
        raise AmbiguousParty(f"{len(matches)} parties are named {text!r}: name one by id",
                             ref=text, ids=[p.id for p in matches])
    return matches[0]


async def create_party(
    *,
    actor: Actor,
    kind: PartyKind,
    name: str,
    parent_id: int | None = None,
    email: str | None = None,
    status: PartyStatus = PartyStatus.ACTIVE,
    currency: str | None = None,
) -> Party:
    """An admin (or the operator's shell) creates a party anywhere in the tree."""
    require_admin(actor)
    return await insert_party(kind=kind, name=name, actor=actor, parent_id=parent_id, email=email,
                              status=status, currency=currency)


async def insert_party(
    *,
    kind: PartyKind,
    name: str,
    actor: Actor | str,
    parent_id: int | None = None,
    email: str | None = None,
    status: PartyStatus = PartyStatus.ACTIVE,
    currency: str | None = None,
) -> Party:
    """The insert behind every way a party comes to be (admin, invite, application, signup).

    A child always keeps its parent's currency: its orders' revenue share is booked in the parent's
    commission account, which exists in the parent's currency only.
    """
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
    if parent is not None and currency is not None and currency.upper() != parent.currency:
        raise CurrencyNotParents(f"a child party uses its parent's currency ({parent.currency})",
                                 currency=currency.upper(), parent_currency=parent.currency)
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


async def _lock_party(party_id: int) -> Party:
    party = await Party.filter(id=party_id).select_for_update().first()
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return party


async def _move_status(party: Party, to: PartyStatus, *, actor: Actor, reason: str | None = None,
                       frozen_by: str | None = None) -> Party:
    """On a row the caller locked: check the transition, write it and its audit entry."""
    if to not in _TRANSITIONS[party.status]:
        raise InvalidTransition(f"a {party.status} party cannot become {to}", party_id=party.id)
    before = {"status": party.status, "frozen_by": party.frozen_by}
    party.status = to
    party.frozen_by = frozen_by if to == PartyStatus.FROZEN else None
    await party.save(update_fields=["status", "frozen_by", "updated_at"])
    await audit.record(actor=actor, action=f"party.status.{to}", object_type="party", object_id=party.id,
                       before=before, after={"status": to, "frozen_by": party.frozen_by, "reason": reason})
    return party


async def change_status(*, actor: Actor, party_id: int, to: PartyStatus, reason: str | None = None) -> Party:
    """Admins move a party through pending → active → frozen → closed."""
    require_transaction()
    require_admin(actor)
    party = await _lock_party(party_id)
    if to == party.status:
        return party
    return await _move_status(party, to, actor=actor, reason=reason,
                              frozen_by=FROZEN_BY_ADMIN if to == PartyStatus.FROZEN else None)


async def approve(*, actor: Actor, party_id: int, outbox: list | None = None) -> Party:
    """A pending application becomes active. Checked and written under one row lock.

    The applicant (the party's members) is told in the same transaction ("party.approved"); the outbox
    rows are appended to `outbox` for the caller to enqueue after commit (the sweeper delivers them otherwise).
    """
    require_transaction()
    require_admin(actor)
    party = await _lock_party(party_id)
    if party.status != PartyStatus.PENDING:
        raise InvalidTransition("only a pending application can be approved", party_id=party_id)
    party = await _move_status(party, PartyStatus.ACTIVE, actor=actor)
    from core.notifications import service as notifications

    rows = await notifications.notify_party_members(party_id=party.id, message_key="party.approved",
                                                    params={"name": party.name})
    if outbox is not None:
        outbox.extend(rows)
    return party


async def reject(*, actor: Actor, party_id: int, reason: str | None = None, outbox: list | None = None) -> Party:
    """A pending application is closed; the applicant is told ("party.rejected"), as for `approve`."""
    require_transaction()
    require_admin(actor)
    party = await _lock_party(party_id)
    if party.status != PartyStatus.PENDING:
        raise InvalidTransition("only a pending application can be rejected", party_id=party_id)
    party = await _move_status(party, PartyStatus.CLOSED, actor=actor, reason=reason)
    from core.notifications import service as notifications

    rows = await notifications.notify_party_members(party_id=party.id, message_key="party.rejected",
                                                    params={"name": party.name})
    if outbox is not None:
        outbox.extend(rows)
    return party


async def _tell_members(party: Party, message_key: str, outbox: list | None) -> None:
    from core.notifications import service as notifications

    rows = await notifications.notify_party_members(party_id=party.id, message_key=message_key,
                                                    params={"name": party.name})
    if outbox is not None:
        outbox.extend(rows)


async def freeze(*, actor: Actor, party_id: int, reason: str | None = None, outbox: list | None = None) -> Party:
    """Admins freeze anyone; a parent's owner freezes its direct children (never itself).

    The frozen party's members are told ("party.frozen"), rows appended to `outbox` as for `approve`.
    """
    require_transaction()
    if not is_privileged(actor):
        if getattr(actor, "party_id", None) == party_id:
            raise InvalidTransition("a party cannot freeze itself", party_id=party_id)
        await authorize(actor, party_id=party_id, permission=Permission.MANAGE, parent_may=True)
    party = await _lock_party(party_id)
    if party.status == PartyStatus.FROZEN:
        return party
    frozen_by = FROZEN_BY_ADMIN if is_privileged(actor) else FROZEN_BY_PARENT
    party = await _move_status(party, PartyStatus.FROZEN, actor=actor, reason=reason, frozen_by=frozen_by)
    await _tell_members(party, "party.frozen", outbox)
    return party


async def unfreeze(*, actor: Actor, party_id: int, outbox: list | None = None) -> Party:
    """A parent lifts only its own freeze: what an admin froze, only an admin unfreezes."""
    require_transaction()
    if not is_privileged(actor):
        await authorize(actor, party_id=party_id, permission=Permission.MANAGE, parent_may=True)
    party = await _lock_party(party_id)
    if party.status != PartyStatus.FROZEN:
        raise InvalidTransition("only a frozen party can be unfrozen", party_id=party_id)
    if party.frozen_by != FROZEN_BY_PARENT and not is_privileged(actor):
        from core.parties.errors import FrozenByAdmin

        raise FrozenByAdmin("an admin froze this party: only an admin can unfreeze it", party_id=party_id)
    party = await _move_status(party, PartyStatus.ACTIVE, actor=actor)
    await _tell_members(party, "party.unfrozen", outbox)
    return party


async def rename(*, actor: Actor, party_id: int, name: str) -> Party:
    """The owner renames its party (a party made by joining is named after its owner until then)."""
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("a party needs a name of 1–200 characters", code="party.invalid_name")
    party = await _lock_party(party_id)
    before = party.name
    if before != name:
        party.name = name
        await party.save(update_fields=["name", "updated_at"])
        await audit.record(actor=actor, action="party.rename", object_type="party", object_id=party_id,
                           before={"name": before}, after={"name": name})
    return party


async def apply_as_agent(*, telegram_user_id: int, display_name: str, language: str | None = None,
                         outbox: list | None = None) -> Party:
    """An unknown Telegram user applies: a pending agent with that user as owner.

    Admins are told in the same transaction; the outbox rows are appended to `outbox` so the caller
    can enqueue their delivery after commit (the sweeper delivers them otherwise).
    """
    require_transaction()
    await lock_telegram_user(telegram_user_id)
    if await Member.filter(telegram_user_id=telegram_user_id, status=MemberStatus.ACTIVE).exists():
        raise AlreadyMember("you already belong to a party")
    party = await insert_party(
        kind=PartyKind.AGENT, name=display_name or f"Agent {telegram_user_id}",
        actor=f"tg:{telegram_user_id}", status=PartyStatus.PENDING,
    )
    await bind_member(party_id=party.id, telegram_user_id=telegram_user_id, role=MemberRole.OWNER,
                      display_name=display_name, language=language, actor=f"tg:{telegram_user_id}")
    from core.notifications import service as notifications

    rows = await notifications.notify_admins(
        message_key="admin.new_application", params={"name": party.name, "party_id": party.id},
        buttons=[{"text_key": "button.open_applications", "data": "adm:pending"}])
    if outbox is not None:
        outbox.extend(rows)
    return party


# --- Members ---------------------------------------------------------------------------------


async def lock_telegram_user(telegram_user_id: int) -> None:
    """Serialize everything that binds one Telegram user, so two taps never bind them twice."""
    from tortoise.connection import get_connection

    await get_connection("default").execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [f"tg:{telegram_user_id}"]
    )


async def bind_member(
    *, party_id: int, telegram_user_id: int, role: MemberRole, actor: Actor | str,
    display_name: str = "", language: str | None = None,
) -> Member:
    """Bind a Telegram user who asked for it (an accepted invite or an application). Internal: the
    callers have checked the consent; the caller holds `lock_telegram_user`."""
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


async def remove_member(*, actor: Actor, member_id: int) -> Member:
    """The party's owner (or an admin) removes a member; the last owner stays."""
    require_transaction()
    member = await Member.filter(id=member_id, status=MemberStatus.ACTIVE).select_for_update().first()
    if member is None:
        raise NotAMember("no such member")
    try:
        await authorize(actor, party_id=member.party_id, permission=Permission.MANAGE)
    except AccessDenied as exc:
        raise NotAMember("no such member") from exc  # the same answer as for a member that does not exist
    if member.role == MemberRole.OWNER:
        owners = await Member.filter(party_id=member.party_id, role=MemberRole.OWNER,
                                     status=MemberStatus.ACTIVE).select_for_update().count()
        if owners <= 1:
            raise LastOwner("a party keeps at least one owner")
    member.status = MemberStatus.REMOVED
    await member.save(update_fields=["status"])
    forget_member(member)
    await audit.record(actor=actor, action="member.remove", object_type="member", object_id=member_id,
                       before={"status": MemberStatus.ACTIVE}, after={"status": MemberStatus.REMOVED})
    return member


async def set_language(*, actor: Actor, language: str) -> Member:
    """A member's own language for the bot's texts and notifications."""
    require_transaction()
    await authorize(actor, party_id=actor.party_id, permission=Permission.READ)
    language = (language or "").strip().lower()
    if not language.isalpha() or len(language) > 8:
        raise ValidationFailed("not a language code", code="member.invalid_language")
    member = await Member.filter(id=actor.member_id).select_for_update().first()
    if member is None:
        raise NotAMember("you are not a member of any party")
    if member.language != language:
        member.language = language
        await member.save(update_fields=["language"])
    return member


async def members_of(*, actor: Actor, party_id: int) -> list[Member]:
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    return await Member.filter(party_id=party_id, status=MemberStatus.ACTIVE).order_by("id")


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


async def grant_admin(*, actor: Actor, telegram_user_id: int) -> AdminUser:
    require_transaction()
    require_admin(actor)
    admin, created = await AdminUser.get_or_create(telegram_user_id=telegram_user_id,
                                                   defaults={"granted_by": actor_label(actor)})
    if created:
        await audit.record(actor=actor, action="admin.grant", object_type="admin",
                           object_id=telegram_user_id, after={"telegram_user_id": telegram_user_id})
    return admin


async def revoke_admin(*, actor: Actor, telegram_user_id: int) -> bool:
    """Admins granted in the database can be revoked; ADMIN_TELEGRAM_IDS are the environment's to change."""
    require_transaction()
    require_admin(actor)
    if actor.telegram_user_id == telegram_user_id:
        raise ValidationFailed("an admin cannot revoke themselves", code="admin.self_revoke")
    deleted = await AdminUser.filter(telegram_user_id=telegram_user_id).delete()
    if deleted:
        await audit.record(actor=actor, action="admin.revoke", object_type="admin",
                           object_id=telegram_user_id, before={"telegram_user_id": telegram_user_id})
    return bool(deleted)


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


async def visible_children(*, actor: Actor, viewer_party_id: int) -> list[ChildView]:
    await authorize(actor, party_id=viewer_party_id, permission=Permission.READ)
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
