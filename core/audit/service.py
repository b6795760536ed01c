"""Write an audit entry in the caller's transaction, next to the change it describes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.audit.models import AuditEntry
from core.db import require_transaction
from core.logging import redact_secrets


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
