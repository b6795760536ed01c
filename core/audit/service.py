"""Write an audit entry in the caller's transaction, next to the change it describes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tortoise.expressions import Q

from core.audit.models import AuditEntry
from core.db import require_transaction
from core.logging import redact_secrets

if TYPE_CHECKING:
    from core.access.actor import Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


async def record(
    *,
    actor: Any,  # an Actor, or a label for the platform's own steps
    action: str,
    object_type: str,
    object_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    require_transaction()
    from core.access.actor import Actor, actor_label

    if request_id is None and isinstance(actor, Actor):
        request_id = actor.request_id
    # The audit log is read by admins: it must never hold a secret either.
    clean_before = redact_secrets(None, "", _jsonable(before)) if before is not None else None
    clean_after = redact_secrets(None, "", _jsonable(after)) if after is not None else None
    return await AuditEntry.create(
        actor=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=clean_before,
        after=clean_after,
        request_id=request_id,
    )


async def latest(
    *,
    limit: int = 50,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: Any = None,
) -> list[AuditEntry]:
    query = AuditEntry.all()
    if action:
        query = query.filter(action=action)
    if actor:
        query = query.filter(actor=actor)
    if object_type:
        query = query.filter(object_type=object_type)
    if object_id is not None:
        query = query.filter(object_id=str(object_id))
    return await query.order_by("-id").limit(limit)


# --- Reading the log (admins) ------------------------------------------------------------------

AUDIT_PAGE_MAX = 50


@dataclass(frozen=True)
class AuditFilter:
    """What an admin narrows the log to; every field optional, all of them combined."""

    actor: str | None = None  # exact actor label: "tg:42", "cli", "system"
    action_prefix: str | None = None  # "ledger" matches ledger.topup, ledger.adjust, …; "ledger.topup" itself
    object_type: str | None = None  # "party", "order", "card_list", …
    object_id: str | None = None  # with object_type

    @property
    def empty(self) -> bool:
        return not (self.actor or self.action_prefix or self.object_type or self.object_id)


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next_cursor: int | None  # the last id of this page when older entries remain (newest first)


async def page(*, actor: Actor, filters: AuditFilter | None = None, limit: int = 10,
               cursor: int | None = None) -> AuditPage:
    """The audit log newest first, `limit` entries older than `cursor` (an entry id), for admins."""
    from core.access.policy import require_admin

    require_admin(actor)
    filters = filters or AuditFilter()
    limit = max(1, min(limit, AUDIT_PAGE_MAX))
    query = AuditEntry.all()
    if filters.actor:
        query = query.filter(actor=filters.actor)
    if filters.action_prefix:
        prefix = filters.action_prefix.rstrip(".")
        query = query.filter(Q(action=prefix) | Q(action__startswith=prefix + "."))
    if filters.object_type:
        query = query.filter(object_type=filters.object_type)
    if filters.object_id is not None:
        query = query.filter(object_id=str(filters.object_id))
    if cursor is not None:
        query = query.filter(id__lt=cursor)
    rows = await query.order_by("-id").limit(limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(items=rows, next_cursor=rows[-1].id if has_more and rows else None)
