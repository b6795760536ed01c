"""Invite links: `https://t.me/<bot>?start=inv_<code>`. Only a hash of the code is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.access.actor import Actor
from core.access.policy import AccessDenied, Permission, authorize, require_admin
from core.audit import service as audit
from core.config import get_settings
from core.db import require_transaction
from core.errors import ValidationFailed
from core.parties import service as parties
from core.parties.errors import (
    InviteExpired,
    InviteInvalid,
    InviteRevoked,
    InviteUsedUp,
    NotYourChild,
    PartyInactive,
)
from core.parties.models import (
    Invite,
    InvitePurpose,
    InviteRedemption,
    Member,
    MemberRole,
    Party,
    PartyKind,
    PartyStatus,
)

INVITE_PREFIX = "inv_"
CODE_BYTES = 16  # 128 random bits (the spec asks for at least 96)
MAX_USES_CAP = 1000


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def hint_of(code_hash: str) -> str:
    """What a list shows to tell invites apart: from the hash, so no part of the code is stored."""
    return code_hash[:8]


def strip_prefix(code_or_payload: str) -> str:
    text = (code_or_payload or "").strip()
    return text[len(INVITE_PREFIX):] if text.startswith(INVITE_PREFIX) else text


@dataclass(frozen=True)
class CreatedInvite:
    invite: Invite
    code: str  # shown once

    @property
    def start_payload(self) -> str:
        return f"{INVITE_PREFIX}{self.code}"

    def link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.start_payload}"


@dataclass(frozen=True)
class InvitePreview:
    invite_id: int
    inviter_name: str  # "Steller" for admin invites
    purpose: InvitePurpose
    child_kind: PartyKind | None  # party invites: what the user becomes
    member_role: MemberRole | None  # member invites: the role in the inviter's party
    expires_at: datetime


def _check_limits(max_uses: int, ttl_hours: int | None) -> int:
    if not 1 <= max_uses <= MAX_USES_CAP:
        raise ValidationFailed(f"uses must be between 1 and {MAX_USES_CAP}", code="invite.invalid_uses")
    ttl = ttl_hours if ttl_hours is not None else get_settings().invite_default_ttl_hours
    if not 1 <= ttl <= 24 * 90:
        raise ValidationFailed("an invite lives between 1 hour and 90 days", code="invite.invalid_ttl")
    return ttl


async def _insert(*, actor: Actor, inviter_party_id: int | None, purpose: InvitePurpose, max_uses: int, ttl: int,
                  child_kind: PartyKind | None = None, member_role: MemberRole | None = None) -> CreatedInvite:
    code = secrets.token_urlsafe(CODE_BYTES)
    code_hash = hash_code(code)
    invite = await Invite.create(
        code_hash=code_hash, code_hint=hint_of(code_hash), purpose=purpose, inviter_id=inviter_party_id,
        child_kind=child_kind, member_role=member_role, created_by=actor.label, max_uses=max_uses,
        expires_at=datetime.now(UTC) + timedelta(hours=ttl),
    )
    await audit.record(actor=actor, action="invite.create", object_type="invite", object_id=invite.id,
                       after={"inviter_party_id": inviter_party_id, "purpose": purpose, "child_kind": child_kind,
                              "member_role": member_role, "max_uses": max_uses, "expires_at": invite.expires_at})
    return CreatedInvite(invite=invite, code=code)


async def create_invite(
    *,
    actor: Actor,
    inviter_party_id: int | None,
    max_uses: int = 1,
    ttl_hours: int | None = None,
    child_kind: PartyKind | None = None,
) -> CreatedInvite:
    """A link that founds a child party. `inviter_party_id` None = an admin invite for a top-level
    party (agent by default); otherwise the inviting party's owner (or an admin) asks."""
    require_transaction()
    if inviter_party_id is None:
        require_admin(actor)
    else:
        await authorize(actor, party_id=inviter_party_id, permission=Permission.MANAGE)
    ttl = _check_limits(max_uses, ttl_hours)
    inviter = None
    if inviter_party_id is not None:
        inviter = await parties.get_party(inviter_party_id)
        if inviter.status != PartyStatus.ACTIVE:
            raise PartyInactive("only an active party can invite", party_id=inviter_party_id)
    kind = child_kind or parties.child_kind_for(inviter)
    parties.check_child_allowed(inviter, kind)  # refuse now, not when someone taps the link
    return await _insert(actor=actor, inviter_party_id=inviter_party_id, purpose=InvitePurpose.PARTY,
                         max_uses=max_uses, ttl=ttl, child_kind=kind)


async def create_member_invite(
    *, actor: Actor, party_id: int, role: MemberRole, ttl_hours: int | None = None,
) -> CreatedInvite:
    """A single-use link that lets one Telegram user join `party_id` as a manager or viewer: a team
    member is added only by accepting it (their consent), never by someone else's say-so."""
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    role = MemberRole(role)
    if role == MemberRole.OWNER:
        raise ValidationFailed("invite a manager or a viewer", code="invite.invalid_role")
    ttl = _check_limits(1, ttl_hours)
    party = await parties.get_party(party_id)
    if party.status != PartyStatus.ACTIVE:
        raise PartyInactive("only an active party can invite", party_id=party_id)
    return await _insert(actor=actor, inviter_party_id=party_id, purpose=InvitePurpose.MEMBER, max_uses=1,
                         ttl=ttl, member_role=role)


def _check_usable(invite: Invite, now: datetime) -> None:
    if invite.revoked_at is not None:
        raise InviteRevoked("this invite was revoked")
    if invite.expires_at <= now:
        raise InviteExpired("this invite has expired")
    if invite.uses >= invite.max_uses:
        raise InviteUsedUp("this invite has already been used")


async def _find(code: str) -> Invite:
    invite = await Invite.get_or_none(code_hash=hash_code(strip_prefix(code)))
    if invite is None:
        raise InviteInvalid("this invite link is not valid")
    return invite


async def preview_invite(*, code: str) -> InvitePreview:
    invite = await _find(code)
    _check_usable(invite, datetime.now(UTC))
    inviter_name = "Steller"
    if invite.inviter_id is not None:
        inviter = await parties.get_party(invite.inviter_id)
        inviter_name = inviter.name
    return InvitePreview(invite_id=invite.id, inviter_name=inviter_name, purpose=invite.purpose,
                         child_kind=invite.child_kind, member_role=invite.member_role,
                         expires_at=invite.expires_at)


async def redeem_invite(
    *, code: str, telegram_user_id: int, display_name: str, party_name: str | None = None,
    language: str | None = None, outbox: list | None = None,
) -> tuple[Party, Member]:
    """Accept an invite, exactly once per use, even when many tap at once: a party invite creates the
    child party with this user as owner; a member invite binds this user to the inviter's party."""
    require_transaction()
    found = await _find(code)
    # The row lock makes concurrent taps queue; each re-checks the use count after the wait.
    invite = await Invite.filter(id=found.id).select_for_update().first()
    _check_usable(invite, datetime.now(UTC))
    await parties.lock_telegram_user(telegram_user_id)
    if await Member.filter(telegram_user_id=telegram_user_id, status="active").exists():
        from core.parties.errors import AlreadyMember

        raise AlreadyMember("you already belong to a party")
    if invite.inviter_id is not None:
        inviter = await parties.get_party(invite.inviter_id)
        if inviter.status != PartyStatus.ACTIVE:
            raise PartyInactive("the inviting party is not active")
    actor = f"tg:{telegram_user_id}"
    if invite.purpose == InvitePurpose.MEMBER:
        party = await parties.get_party(invite.inviter_id)
        role = invite.member_role
    else:
        party = await parties.insert_party(
            kind=invite.child_kind, name=party_name or display_name or f"Member {telegram_user_id}",
            actor=actor, parent_id=invite.inviter_id, status=PartyStatus.ACTIVE,
        )
        role = MemberRole.OWNER
    member = await parties.bind_member(
        party_id=party.id, telegram_user_id=telegram_user_id, role=role, actor=actor,
        display_name=display_name, language=language,
    )
    invite.uses += 1
    await invite.save(update_fields=["uses"])
    await InviteRedemption.create(invite_id=invite.id, party_id=party.id, telegram_user_id=telegram_user_id)
    await audit.record(actor=actor, action="invite.redeem", object_type="invite", object_id=invite.id,
                       before={"uses": invite.uses - 1}, after={"uses": invite.uses, "party_id": party.id})
    # The inviter's owners and managers are told who joined (rows commit with the join; appended to
    # `outbox` for the caller to enqueue after commit).
    from core.notifications import service as notifications

    if invite.inviter_id is not None:
        rows = await notifications.notify_party_members(
            party_id=invite.inviter_id, message_key=f"invite.joined.{invite.purpose}",
            params={"name": display_name or party.name, "party": party.name, "role": str(role),
                    "kind": str(party.kind)},
            roles=("owner", "manager"),
        )
        if outbox is not None:
            outbox.extend(rows)
    return party, member


async def revoke_invite(*, actor: Actor, invite_id: int) -> Invite:
    """Admins revoke any invite; a party's owner revokes only its party's own."""
    require_transaction()
    invite = await Invite.filter(id=invite_id).select_for_update().first()
    if invite is None:
        raise NotYourChild("that invite is not yours")
    if invite.inviter_id is None:
        require_admin(actor)
    else:
        try:
            await authorize(actor, party_id=invite.inviter_id, permission=Permission.MANAGE)
        except AccessDenied as exc:
            raise NotYourChild("that invite is not yours") from exc
    if invite.revoked_at is None:
        invite.revoked_at = datetime.now(UTC)
        await invite.save(update_fields=["revoked_at"])
        await audit.record(actor=actor, action="invite.revoke", object_type="invite", object_id=invite_id,
                           after={"revoked_at": invite.revoked_at})
    return invite


async def open_invites(*, actor: Actor, inviter_party_id: int | None) -> list[Invite]:
    """The invites still usable: an admin's (None) or one party's, for that party's owner."""
    if inviter_party_id is None:
        require_admin(actor)
    else:
        await authorize(actor, party_id=inviter_party_id, permission=Permission.MANAGE)
    now = datetime.now(UTC)
    invites = await Invite.filter(inviter_id=inviter_party_id, revoked_at=None,
                                  expires_at__gt=now).order_by("-id")
    return [i for i in invites if i.uses < i.max_uses]
