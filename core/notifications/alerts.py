"""Admin alerts, at most once per problem and `ttl`: crons notice a problem every few minutes.

The "admins were told" mark (`admin_alert`) is written in the caller's transaction together with
the Telegram outbox rows, so both commit or neither: a crash between them cannot mark a problem as
reported that nobody was told about. The caller enqueues the returned rows after commit.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tortoise.connection import get_connection

from core.db import require_transaction
from core.notifications import service as notifications
from core.notifications.models import Notification

KEY_MAX_LENGTH = 200  # admin_alert.key

# Claims the right to send: a new key, or one last sent before the cutoff. A concurrent claim of the
# same key waits for this transaction, then finds the fresh mark and claims nothing.
_CLAIM_SQL = """
INSERT INTO admin_alert (key, last_sent_at) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET last_sent_at = EXCLUDED.last_sent_at
 WHERE admin_alert.last_sent_at <= $3
RETURNING id
"""


def stored_key(key: str) -> str:
    """The key as stored: long keys (lists of accounts, say) end in a hash so they fit the column."""
    if len(key) <= KEY_MAX_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[:KEY_MAX_LENGTH - len(digest) - 1]}#{digest}"


async def alert_admins_once(
    *,
    key: str,
    message_key: str,
    params: dict,
    buttons: list | None = None,
    ttl: timedelta = timedelta(hours=6),
) -> list[Notification]:
    """One Telegram row per admin unless `key` was alerted within `ttl`; [] when suppressed.

    Runs in the caller's transaction; enqueue the returned rows after it commits.
    """
    require_transaction()
    if not key:
        raise ValueError("an admin alert needs a key naming the problem")
    now = datetime.now(UTC)
    claimed = await get_connection("default").execute_query_dict(_CLAIM_SQL, [stored_key(key), now, now - ttl])
    if not claimed:
        return []
    return await notifications.notify_admins(message_key=message_key, params=params, buttons=buttons)
