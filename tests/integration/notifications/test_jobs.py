"""The arq wrappers against real Redis: deterministic job ids, self-scheduled retries, the sweeper."""

from __future__ import annotations

from datetime import UTC, datetime

from arq.constants import default_queue_name

from core.db import atomic
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationStatus
from jobs import notifications as notification_jobs
from tests.notifications_support import WebhookReceiver, emit




async def _queued(redis) -> dict[str, float]:
    return {job_id.decode(): score for job_id, score in await redis.zrange(default_queue_name, 0, -1, withscores=True)}


async def test_sweep_enqueues_due_rows_once_with_deterministic_ids(hooked, redis):
    webhook_rows = await emit(hooked.party.id) + await emit(hooked.party.id, "wallet.credited")
    async with atomic():
        telegram_row = await notifications.notify_telegram(telegram_user_id=7, message_key="x", params={})
    expected = {f"deliver_notification:{r.id}:0" for r in [*webhook_rows, telegram_row]}

    assert await notification_jobs.sweep_notifications({"redis": redis}) == 3
    assert set(await _queued(redis)) == expected
    # The sweeper runs every minute; the after-commit enqueue may race it: neither duplicates a job.
    assert await notification_jobs.sweep_notifications({"redis": redis}) == 0
    assert await notification_jobs.enqueue_deliveries(redis, webhook_rows) == 0
    assert set(await _queued(redis)) == expected
    jobs = {job.job_id: job for job in await redis.queued_jobs()}
    assert jobs[f"deliver_notification:{telegram_row.id}:0"].function == "deliver_notification"
    assert jobs[f"deliver_notification:{telegram_row.id}:0"].args == (telegram_row.id,)


async def test_a_failed_try_schedules_its_retry_and_the_sweeper_leaves_it_alone(hooked, redis):
    [row] = await emit(hooked.party.id)
    assert await notification_jobs.enqueue_deliveries(redis, [row]) == 1
    receiver = WebhookReceiver(statuses=[500])
    async with receiver.client() as http:
        result = await notification_jobs.deliver_notification({"redis": redis, "http": http}, row.id)
    assert result == "retry" and len(receiver.requests) == 1
    stored = await Notification.get(id=row.id)
    assert stored.attempts == 1 and stored.status == NotificationStatus.PENDING

    queued = await _queued(redis)
    retry_id = f"deliver_notification:{row.id}:1"
    assert retry_id in queued
    # Deferred to the row's next_attempt_at (arq scores are epoch milliseconds).
    assert abs(queued[retry_id] - stored.next_attempt_at.timestamp() * 1000) < 1000
    # Not due yet: the sweeper adds nothing; once due it would pick the same id, which arq dedupes.
    assert await notifications.due_notifications(now=datetime.now(UTC), limit=10) == []
    assert await notification_jobs.sweep_notifications({"redis": redis}) == 0
    assert await notification_jobs.enqueue_deliveries(redis, [stored]) == 0


async def test_deliver_job_uses_the_workers_telegram_notifier(db, redis):
    from tests.notifications_support import RecordingNotifier

    async with atomic():
        row = await notifications.notify_telegram(telegram_user_id=8, message_key="hello", params={"n": 1})
    notifier = RecordingNotifier()
    result = await notification_jobs.deliver_notification({"redis": redis, "http": None, "telegram": notifier},
                                                           row.id)
    assert result == "delivered"
    assert [(m.telegram_user_id, m.message_key, m.params) for m in notifier.sent] == [(8, "hello", {"n": 1})]
    assert await _queued(redis) == {}  # nothing left to schedule


def test_worker_wiring_exports():
    assert notification_jobs.deliver_notification in notification_jobs.FUNCTIONS
    assert notification_jobs.sweep_notifications in notification_jobs.FUNCTIONS
    [sweeper] = notification_jobs.CRON_JOBS
    assert sweeper.coroutine is notification_jobs.sweep_notifications and sweeper.unique
