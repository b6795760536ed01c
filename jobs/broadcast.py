"""arq tasks for broadcasts: send a broadcast's pending rows, and a sweeper that restarts a stalled one.

`send_broadcast` runs for a bounded time (well inside arq's job timeout), then schedules its successor
for when the next row is due (at once, or after a flood wait or a retry's backoff). One sender per
broadcast at a time: a Redis lock with a TTL longer than one run, so a job that finds it taken simply
ends (the holder schedules what comes next), and a dead worker's lock runs out by itself. The rows'
own leases (core.broadcast.service) keep two senders from sending the same row even if that ever failed.

Resuming after a restart: a deferred successor waits in Redis and survives any worker; a job that was
running when its worker died is run again by arq; and `sweep_broadcasts` (every minute) enqueues a
sender for any unfinished broadcast with due rows and no live sender — e.g. when the bot's enqueue after
commit was lost. When no row is pending any more, the sender finishes the broadcast: the counts and
the admin's "delivered / blocked" message commit together, once.
"""

from __future__ import annotations

import functools
import secrets
import time
from datetime import UTC, datetime, timedelta

from arq import cron
from arq.connections import ArqRedis

from core.broadcast import service as broadcasts
from core.broadcast.ratelimit import SendBudget
from core.db import run_atomic
from core.logging import get_logger
from jobs.notifications import enqueue_deliveries

log = get_logger("jobs.broadcast")

RUN_SECONDS = 90.0  # one job's sending time; arq's job timeout is 120 s
LOCK_SECONDS = RUN_SECONDS + broadcasts.LEASE_SECONDS  # outlives any run, then frees itself
_UNLOCK_LUA = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def _lock_key(broadcast_id: int) -> str:
    return f"steller:broadcast:{int(broadcast_id)}:sender"


async def enqueue_send(redis: ArqRedis, broadcast_id: int, *, at: datetime | None = None) -> bool:
    """The first sender (at confirm, after commit), or a successor due `at`.

    Job ids are deterministic: the bot's `send_broadcast:<id>` runs once however often it is enqueued,
    and successors are named by the second they are due, so two senders that see the same next row
    schedule one successor between them.
    """
    if at is None:
        job_id = f"send_broadcast:{int(broadcast_id)}"
    else:
        job_id = f"send_broadcast:{int(broadcast_id)}:at:{int(at.timestamp())}"
    job = await redis.enqueue_job("send_broadcast", int(broadcast_id), _job_id=job_id, _defer_until=at)
    return job is not None


async def send_broadcast(ctx, broadcast_id: int) -> str:
    redis: ArqRedis = ctx["redis"]
    notifier = ctx.get("telegram")
    if notifier is None:  # a worker without TELEGRAM_BOT_TOKEN: the sweeper retries on one that has it
        log.warning("broadcast_without_bot", broadcast_id=broadcast_id)
        return "no_bot"
    from bot.flows.admin_broadcast.sender import plain_text_sender

    token = secrets.token_hex(8)
    if not await redis.set(_lock_key(broadcast_id), token, nx=True, px=int(LOCK_SECONDS * 1000)):
        return "busy"  # another sender is on it and schedules what comes next
    try:
        run = await broadcasts.send_pending(broadcast_id=int(broadcast_id), send=plain_text_sender(notifier.bot),
                                            budget=SendBudget(redis), time_budget_seconds=RUN_SECONDS)
    finally:
        await redis.eval(_UNLOCK_LUA, 1, _lock_key(broadcast_id), token)
    log.info("broadcast_run", broadcast_id=broadcast_id, delivered=run.delivered, blocked=run.blocked,
             failed=run.failed, retried=run.retried, flooded=run.flooded, stopped=run.stopped)
    return await _next_step(redis, int(broadcast_id), not_before=run.resume_after)


async def _next_step(redis: ArqRedis, broadcast_id: int, *, not_before: float = 0.0) -> str:
    left = await broadcasts.pending(broadcast_id)
    if left.rows == 0:
        rows = await run_atomic(functools.partial(broadcasts.finish, broadcast_id=broadcast_id))
        await enqueue_deliveries(redis, rows)
        return "done"
    # At least a second from now (a successor named for this very second could be this job itself), and
    # not before the send budget opens again after a long flood wait.
    now = datetime.now(UTC)
    at = max(left.next_at or now, now + timedelta(seconds=max(1.0, not_before)))
    await enqueue_send(redis, broadcast_id, at=at)
    return "continues"


async def sweep_broadcasts(ctx) -> int:
    """Safety net: a sender for every unfinished broadcast that has due rows and nobody sending."""
    redis: ArqRedis = ctx["redis"]
    started = 0
    for broadcast_id in await broadcasts.unfinished():
        if await redis.exists(_lock_key(broadcast_id)):
            continue
        left = await broadcasts.pending(broadcast_id)
        if left.rows and not left.due:
            continue  # waiting on purpose (a flood wait, a retry): its successor is deferred in Redis
        minute = int(time.time() // 60)
        job = await redis.enqueue_job("send_broadcast", int(broadcast_id),
                                      _job_id=f"send_broadcast:{int(broadcast_id)}:sweep:{minute}")
        started += job is not None
    if started:
        log.info("broadcasts_resumed", count=started)
    return started


FUNCTIONS = [send_broadcast, sweep_broadcasts]
CRON_JOBS = [cron(sweep_broadcasts, second={40}, unique=True)]
