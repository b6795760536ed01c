"""arq tasks for the notification outbox: deliver one row, and a sweeper that re-enqueues due rows.

Job ids are `deliver_notification:<id>:<attempts so far>`: the retry scheduled by a failed try and the
sweeper's enqueue of the same due row get the same id, so arq runs it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from arq import cron
from arq.connections import ArqRedis

from core.notifications import service as notifications
from core.notifications.models import Notification

SWEEP_BATCH = 500


def delivery_job_id(notification_id: int, attempts: int) -> str:
    return f"deliver_notification:{notification_id}:{attempts}"


async def _enqueue(redis: ArqRedis, notification_id: int, attempts: int, *,
                   defer_until: datetime | None = None) -> bool:
    job = await redis.enqueue_job("deliver_notification", int(notification_id),
                                  _job_id=delivery_job_id(notification_id, attempts), _defer_until=defer_until)
    return job is not None


async def enqueue_deliveries(redis: ArqRedis, rows: Iterable[Notification]) -> int:
    """Call after the transaction that wrote `rows` has committed. Returns how many jobs were new."""
    count = 0
    for row in rows:
        count += await _enqueue(redis, row.id, row.attempts)
    return count


async def deliver_notification(ctx, notification_id: int) -> str:
    outcome = await notifications.deliver(notification_id=int(notification_id), http=ctx["http"],
                                          telegram=ctx.get("telegram"))
    if outcome.result in (notifications.DeliveryResult.RETRY, notifications.DeliveryResult.NOT_DUE) \
            and outcome.next_attempt_at is not None:
        await _enqueue(ctx["redis"], outcome.notification_id, outcome.attempts, defer_until=outcome.next_attempt_at)
    return outcome.result.value


async def sweep_notifications(ctx) -> int:
    """Safety net for lost jobs and dead workers: enqueue every due row (duplicates are ignored by id)."""
    ids = await notifications.due_notifications(now=datetime.now(UTC), limit=SWEEP_BATCH)
    if not ids:
        return 0
    rows = await Notification.filter(id__in=ids).only("id", "attempts")
    return await enqueue_deliveries(ctx["redis"], rows)


FUNCTIONS = [deliver_notification, sweep_notifications]
CRON_JOBS = [cron(sweep_notifications, second={20}, run_at_startup=True, unique=True)]
