"""Invite links: `https://t.me/<bot>?start=inv_<code>`. Only a hash of the code is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
from core.parties.models import Invite, InviteRedemption, Member, MemberRole, Party, PartyKind, PartyStatus

INVITE_PREFIX = "inv_"
CODE_BYTES = 16  # 128 random bits (the spec asks for at least 96)
MAX_USES_CAP = 1000


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


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
    child_kind: PartyKind
    expires_at: datetime


async def create_invite(
    *,
    actor: str,
    inviter_party_id: int | None,
    max_uses: int = 1,
    ttl_hours: int | None = None,
    child_kind: PartyKind | None = None,
) -> CreatedInvite:
    """`inviter_party_id` None = an admin invite for a top-level party (agent by default)."""
    require_transaction()
    if not 1 <= max_uses <= MAX_USES_CAP:
        raise ValidationFailed(f"uses must be between 1 and {MAX_USES_CAP}", code="invite.invalid_uses")
    ttl = ttl_hours if ttl_hours is not None else get_settings().invite_default_ttl_hours
    if not 1 <= ttl <= 24 * 90:
        raise ValidationFailed("an invite lives between 1 hour and 90 days", code="invite.invalid_ttl")
    inviter = None
    if inviter_party_id is not None:
        inviter = await parties.get_party(inviter_party_id)
        if inviter.status != PartyStatus.ACTIVE:
            raise PartyInactive("only an active party can invite", party_id=inviter_party_id)
    kind = child_kind or parties.child_kind_for(inviter)
    parties.check_child_allowed(inviter, kind)  # refuse now, not when someone taps the link
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = await Invite.create(
        code_hash=hash_code(code), code_hint=code[:6], inviter_id=inviter_party_id, child_kind=kind,
        created_by=actor, max_uses=max_uses,
        expires_at=datetime.now(UTC) + timedelta(hours=ttl),
    )
    await audit.record(actor=actor, action="invite.create", object_type="invite", object_id=invite.id,
                       after={"inviter_party_id": inviter_party_id, "child_kind": kind,
                              "max_uses": max_uses, "expires_at": invite.expires_at})
    return CreatedInvite(invite=invite, code=code)


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
    return InvitePreview(invite_id=invite.id, inviter_name=inviter_name,
                         child_kind=invite.child_kind, expires_at=invite.expires_at)


async def redeem_invite(
    *, code: str, telegram_user_id: int, display_name: str, party_name: str | None = None,
    language: str | None = None,
) -> tuple[Party, Member]:
    """Create the child party and its owner, exactly once per use, even when many tap at once."""
    require_transaction()
    found = await _find(code)
    # The row lock makes concurrent taps queue; each re-checks the use count after the wait.
    invite = await Invite.filter(id=found.id).select_for_update().first()
    _check_usable(invite, datetime.now(UTC))
    await parties._lock_telegram_user(telegram_user_id)
    if await Member.filter(telegram_user_id=telegram_user_id, status="active").exists():
        from core.parties.errors import AlreadyMember

        raise AlreadyMember("you already belong to a party")
    if invite.inviter_id is not None:
        inviter = await parties.get_party(invite.inviter_id)
        if inviter.status != PartyStatus.ACTIVE:
            raise PartyInactive("the inviting party is not active")
    actor = f"tg:{telegram_user_id}"
    party = await parties.create_party(
        kind=invite.child_kind, name=party_name or display_name or f"Member {telegram_user_id}",
        actor=actor, parent_id=invite.inviter_id, status=PartyStatus.ACTIVE,
    )
    member = await parties.bind_member(
        party_id=party.id, telegram_user_id=telegram_user_id, role=MemberRole.OWNER, actor=actor,
        display_name=display_name, language=language,
    )
    invite.uses += 1
    await invite.save(update_fields=["uses"])
    await InviteRedemption.create(invite_id=invite.id, party_id=party.id, telegram_user_id=telegram_user_id)
    await audit.record(actor=actor, action="invite.redeem", object_type="invite", object_id=invite.id,
                       before={"uses": invite.uses - 1}, after={"uses": invite.uses, "party_id": party.id})
    return party, member


async def revoke_invite(*, invite_id: int, actor: str, by_party_id: int | None = None) -> Invite:
    """Admins (by_party_id None) revoke any invite; a party revokes only its own."""
    require_transaction()
    invite = await Invite.filter(id=invite_id).select_for_update().first()
    if invite is None or (by_party_id is not None and invite.inviter_id != by_party_id):
        raise NotYourChild("that invite is not yours")
    if invite.revoked_at is None:
        invite.revoked_at = datetime.now(UTC)
        await invite.save(update_fields=["revoked_at"])
        await audit.record(actor=actor, action="invite.revoke", object_type="invite", object_id=invite_id,
                           after={"revoked_at": invite.revoked_at})
    return invite


async def open_invites(*, inviter_party_id: int | None) -> list[Invite]:
    now = datetime.now(UTC)
    invites = await Invite.filter(inviter_id=inviter_party_id, revoked_at=None,
                                  expires_at__gt=now).order_by("-id")
    return [i for i in invites if i.uses < i.max_uses]
