"""Who the admins are, for admins: the environment's (ADMIN_TELEGRAM_IDS) and the database's grants, with
the names the bot knows them by; granting and revoking with the person told.

Granting and revoking themselves (and their audit entries) are `core.parties.service.grant_admin` /
`revoke_admin`; the use cases here add the message to the person concerned, in the same transaction.
An admin from the environment cannot be revoked here: the environment is the operator's to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.access.actor import Actor
from core.access.policy import require_admin
from core.config import get_settings
from core.db import require_transaction
from core.errors import Conflict
from core.notifications import service as notifications
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties.models import AdminUser, Member, MemberStatus


class AdminFromEnvironment(Conflict):
    code = "admin.from_environment"


@dataclass(frozen=True)
class AdminEntry:
    telegram_user_id: int
    from_environment: bool  # listed in ADMIN_TELEGRAM_IDS
    granted: bool  # granted in the database
    granted_by: str | None
    granted_at: datetime | None
    name: str | None  # the display name of their membership, if they belong to a party
    party_name: str | None
    revocable: bool  # a database grant of someone else, not also in the environment


@dataclass(frozen=True)
class KnownUser:
    """What the bot knows of a Telegram user (to name them in a confirmation)."""

    telegram_user_id: int
    name: str | None
    party_name: str | None
    is_admin: bool
    from_environment: bool


async def _names(ids: list[int]) -> dict[int, tuple[str, str]]:
    members = await Member.filter(telegram_user_id__in=ids, status=MemberStatus.ACTIVE).prefetch_related("party")
    return {m.telegram_user_id: (m.display_name or str(m.telegram_user_id), m.party.name) for m in members}


async def list_admins(*, actor: Actor) -> list[AdminEntry]:
    """Every admin: the environment's first, then the grants, oldest first."""
    require_admin(actor)
    environment = list(dict.fromkeys(get_settings().admin_telegram_ids))
    grants = {a.telegram_user_id: a for a in await AdminUser.all().order_by("created_at", "telegram_user_id")}
    ids = environment + [i for i in grants if i not in environment]
    names = await _names(ids)
    entries = []
    for telegram_user_id in ids:
        grant = grants.get(telegram_user_id)
        in_env = telegram_user_id in environment
        name, party_name = names.get(telegram_user_id, (None, None))
        entries.append(AdminEntry(
            telegram_user_id=telegram_user_id, from_environment=in_env, granted=grant is not None,
            granted_by=grant.granted_by if grant else None, granted_at=grant.created_at if grant else None,
            name=name, party_name=party_name,
            revocable=grant is not None and not in_env and telegram_user_id != actor.telegram_user_id))
    return entries


async def known_user(*, actor: Actor, telegram_user_id: int) -> KnownUser:
    require_admin(actor)
    name, party_name = (await _names([telegram_user_id])).get(telegram_user_id, (None, None))
    return KnownUser(telegram_user_id=telegram_user_id, name=name, party_name=party_name,
                     is_admin=await parties.is_admin(telegram_user_id),
                     from_environment=telegram_user_id in get_settings().admin_telegram_ids)


async def grant(*, actor: Actor, telegram_user_id: int) -> tuple[bool, list[Notification]]:
    """Make a Telegram user an admin (audited) and tell them. (False, []) when they were one already."""
    require_transaction()
    require_admin(actor)
    if await parties.is_admin(telegram_user_id):
        return False, []
    await parties.grant_admin(actor=actor, telegram_user_id=telegram_user_id)
    row = await notifications.notify_telegram(telegram_user_id=telegram_user_id, message_key="admins.granted_you",
                                              params={})
    return True, [row]


async def revoke(*, actor: Actor, telegram_user_id: int) -> tuple[bool, list[Notification]]:
    """Take a database grant away (audited; never one's own) and tell them. (False, []) when there was none."""
    require_transaction()
    require_admin(actor)
    if telegram_user_id != actor.telegram_user_id and telegram_user_id in get_settings().admin_telegram_ids:
        raise AdminFromEnvironment("this admin is listed in ADMIN_TELEGRAM_IDS: only the environment can change that",
                                   telegram_user_id=telegram_user_id)
    if not await parties.revoke_admin(actor=actor, telegram_user_id=telegram_user_id):
        return False, []
    row = await notifications.notify_telegram(telegram_user_id=telegram_user_id, message_key="admins.revoked_you",
                                              params={})
    return True, [row]
