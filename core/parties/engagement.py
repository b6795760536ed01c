"""Re-engagement: nudge active parties that have not ordered for a while, once per quiet spell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.connection import get_connection

from core.audit import service as audit
from core.db import require_transaction

_QUIET_PARTIES = """
SELECT p.id FROM party p
 WHERE p.status = 'active' AND p.kind IN ('agent', 'subagent')
   AND p.created_at < $1
   AND NOT EXISTS (SELECT 1 FROM "order" o WHERE o.party_id = p.id AND o.created_at >= $1)
   AND NOT EXISTS (SELECT 1 FROM audit_entry a WHERE a.action = 'engagement.nudge'
                    AND a.object_type = 'party' AND a.object_id = p.id::text AND a.created_at >= $1)
 ORDER BY p.id LIMIT $2
"""


async def quiet_parties(*, inactive_days: int, now: datetime | None = None, limit: int = 500) -> list[int]:
    since = (now or datetime.now(UTC)) - timedelta(days=inactive_days)
    rows = await get_connection("default").execute_query_dict(_QUIET_PARTIES, [since, limit])
    return [r["id"] for r in rows]


async def record_nudge(*, party_id: int) -> None:
    """The audit entry is also what stops a second nudge in the same quiet spell."""
    require_transaction()
    await audit.record(actor="system", action="engagement.nudge", object_type="party", object_id=party_id)
