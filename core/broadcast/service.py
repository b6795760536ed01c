"""Broadcasts: who gets one, writing it (admin, audited), and sending it within Telegram's limits.

Recipients: every active member (any role) of every *active* agent and sub-agent party, once each.
Partners' members are not included: partners are B2B customers of the API, told through their
webhooks; a frozen or pending party is not included either.

Writing a broadcast (`create_broadcast`) snapshots the recipients as one `pending` delivery row each,
in the admin's transaction, with its audit entry. Sending (`send_pending`, run by jobs/broadcast.py)
happens outside any transaction, like the notification outbox: a short statement claims a batch of
rows (a lease with a token), each message waits for the shared send budget (core.broadcast.ratelimit),
goes out, and one conditional UPDATE records its result. A worker that dies leaves its claimed rows to
be claimed again when the lease ends, so the broadcast resumes where it stopped; only a message that was
in flight at that very moment may reach its recipient twice. When no row is pending any more,
`finish` writes the counts and the admin's final message (outbox) in one transaction, once.

Results per recipient: delivered; blocked (Telegram 403 — counted, never retried); failed (another
permanent refusal, or still failing after MAX_ATTEMPTS tries); a flood-control answer (429) blocks the
whole budget for Telegram's retry_after and the row is tried again without counting a try.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.broadcast.errors import (
    BroadcastTooLong,
    EmptyBroadcast,
    FloodControl,
    NoRecipients,
    RecipientBlocked,
)
from core.broadcast.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
)
from core.broadcast.ratelimit import BudgetWaitTooLong, SendBudget
from core.db import require_transaction
from core.logging import get_logger
from core.notifications import service as notifications
from core.notifications.models import Notification
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable

log = get_logger("core.broadcast")

MAX_TEXT = 4096  # Telegram's limit for one message, in UTF-16 code units
BATCH = 25  # rows claimed at once: about one second of the budget
LEASE_SECONDS = 60.0  # a claimed row is someone else's again after this (its sender died)
SEND_TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 5  # failed tries (network, Telegram 5xx) before a row counts as failed
RETRY_DELAYS = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
DONE_MESSAGE = "broadcast.done"

# A sender: send `text` to one Telegram user as plain text, or raise RecipientBlocked (403),
# TelegramUndeliverable (another permanent refusal), FloodControl (429) or TelegramRetryLater.
Sender = Callable[[int, str], Awaitable[None]]

_RECIPIENTS_FROM = """
FROM member m JOIN party p ON p.id = m.party_id
WHERE m.status = 'active' AND p.status = 'active' AND p.kind IN ('agent', 'subagent')
"""
_SNAPSHOT_SQL = f"""
WITH written AS (
  INSERT INTO broadcast_delivery (broadcast_id, telegram_user_id, party_id, status, attempts)
  SELECT $1, m.telegram_user_id, m.party_id, 'pending', 0 {_RECIPIENTS_FROM}
  ORDER BY m.id
  ON CONFLICT DO NOTHING
  RETURNING 1
)
SELECT COUNT(*) AS n FROM written
"""
_CLAIM_SQL = """
UPDATE broadcast_delivery SET claim_token = $1, claimed_until = $2
WHERE id IN (
  SELECT id FROM broadcast_delivery
  WHERE broadcast_id = $3 AND status = 'pending'
    AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
    AND (claimed_until IS NULL OR claimed_until <= $4)
  ORDER BY id LIMIT $5
  FOR UPDATE SKIP LOCKED
)
RETURNING id, telegram_user_id, attempts
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _short(text: str, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def text_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str) -> str:
    """The admin's text exactly as typed; refused when empty or longer than one Telegram message."""
    if not isinstance(text, str) or not text.strip():
        raise EmptyBroadcast("a broadcast needs some text")
    if text_length(text) > MAX_TEXT:
        raise BroadcastTooLong(f"a broadcast is at most {MAX_TEXT} characters", limit=MAX_TEXT)
    return text


# --- Writing a broadcast (admin) -------------------------------------------------------------------


async def count_recipients(*, actor: Actor) -> int:
    """How many people a broadcast written now would reach."""
    require_admin(actor)
    rows = await get_connection("default").execute_query_dict(
        f"SELECT COUNT(DISTINCT m.telegram_user_id) AS n {_RECIPIENTS_FROM}")
    return int(rows[0]["n"])


async def create_broadcast(*, actor: Actor, text: str, idempotency_key: str, notify_chat_id: int) -> Broadcast:
    """A broadcast with one pending delivery row per recipient, audited; run in the caller's transaction.

    The same `idempotency_key` again (a second confirm) returns the broadcast already written. The
    caller enqueues `send_broadcast` after commit.
    """
    require_transaction()
    require_admin(actor)
    check_text(text)
    key = str(idempotency_key)[:64]
    existing = await Broadcast.get_or_none(idempotency_key=key)
    if existing is not None:
        return existing
    broadcast = await Broadcast.create(text=text, created_by=actor.label, notify_chat_id=int(notify_chat_id),
                                       idempotency_key=key, status=BroadcastStatus.SENDING)
    inserted = (await get_connection("default").execute_query_dict(_SNAPSHOT_SQL, [broadcast.id]))[0]["n"]
    if not inserted:
        raise NoRecipients("there is nobody to send it to: no active agent or sub-agent has a member")
    broadcast.recipients = int(inserted)
    await broadcast.save(update_fields=["recipients"])
    await audit.record(actor=actor, action="broadcast.create", object_type="broadcast", object_id=broadcast.id,
                       after={"recipients": broadcast.recipients, "text": text[:1000]})
    log.info("broadcast_created", broadcast_id=broadcast.id, recipients=broadcast.recipients, by=actor.label)
    return broadcast


@dataclass(frozen=True)
class BroadcastSummary:
    id: int
    status: str
    created_at: datetime
    created_by: str
    recipients: int
    delivered: int
    blocked: int
    failed: int
    pending: int
    preview: str  # the text's start, for a list


async def recent_broadcasts(*, actor: Actor, limit: int = 5) -> list[BroadcastSummary]:
    """The latest broadcasts with their counts so far (newest first)."""
    require_admin(actor)
    broadcasts = await Broadcast.all().order_by("-id").limit(max(1, min(limit, 50)))
    summaries = []
    for b in broadcasts:
        counts = await delivery_counts(b.id)
        summaries.append(BroadcastSummary(
            id=b.id, status=str(b.status), created_at=b.created_at, created_by=b.created_by,
            recipients=b.recipients, delivered=counts[DeliveryStatus.DELIVERED],
            blocked=counts[DeliveryStatus.BLOCKED], failed=counts[DeliveryStatus.FAILED],
            pending=counts[DeliveryStatus.PENDING], preview=_short(b.text, 60)))
    return summaries


async def delivery_counts(broadcast_id: int) -> dict[DeliveryStatus, int]:
    rows = await get_connection("default").execute_query_dict(
        "SELECT status, COUNT(*) AS n FROM broadcast_delivery WHERE broadcast_id = $1 GROUP BY status",
        [int(broadcast_id)])
    counts = {status: 0 for status in DeliveryStatus}
    for row in rows:
        counts[DeliveryStatus(row["status"])] = int(row["n"])
    return counts


# --- Sending (workers; no actor: the platform's own work) ----------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    telegram_user_id: int
    attempts: int


@dataclass(frozen=True)
class _Result:
    status: DeliveryStatus | None = None  # None: still pending (try again)
    error: str | None = None
    retry_after: float | None = None  # flood control: the whole budget waits this long
    counts_as_try: bool = True
    not_before: float = 0.0  # a failed try: wait at least this long (the sender's own estimate)


@dataclass
class SendRun:
    """What one `send_pending` did, and why it stopped."""

    delivered: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    flooded: int = 0
    stopped: str = "idle"  # "idle": nothing claimable now; "time": its time was up; "budget": a long wait
    resume_after: float = 0.0  # "budget": seconds until the send budget opens again (a long flood wait)


async def claim_batch(*, broadcast_id: int, limit: int = BATCH, lease_seconds: float = LEASE_SECONDS,
                      now: datetime | None = None) -> tuple[uuid.UUID, list[Claimed]]:
    """Lease up to `limit` due pending rows (oldest first) that no live sender holds."""
    now = now or _utcnow()
    token = uuid.uuid4()
    rows = await get_connection("default").execute_query_dict(
        _CLAIM_SQL, [token, now + timedelta(seconds=lease_seconds), int(broadcast_id), now, int(limit)])
    claimed = sorted((Claimed(int(r["id"]), int(r["telegram_user_id"]), int(r["attempts"])) for r in rows),
                     key=lambda c: c.id)
    return token, claimed


async def release(token: uuid.UUID, rows: Sequence[Claimed]) -> None:
    """Give back claimed rows that were not tried (the sender stops early)."""
    if rows:
        await BroadcastDelivery.filter(id__in=[r.id for r in rows], claim_token=token) \
            .update(claim_token=None, claimed_until=None)


async def _send_one(send: Sender, row: Claimed, text: str) -> _Result:
    try:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await send(row.telegram_user_id, text)
    except RecipientBlocked as exc:
        return _Result(DeliveryStatus.BLOCKED, _short(f"blocked: {exc}"))
    except TelegramUndeliverable as exc:
        return _Result(DeliveryStatus.FAILED, _short(f"undeliverable: {exc}"))
    except FloodControl as exc:
        return _Result(None, _short(f"flood control: {exc}"), retry_after=max(exc.seconds, 1.0), counts_as_try=False)
    except TelegramRetryLater as exc:
        return _Result(None, _short(f"retry later: {exc}"), not_before=exc.seconds)
    except TimeoutError:
        return _Result(None, f"no answer from Telegram within {SEND_TIMEOUT_SECONDS:g} s")
    except Exception as exc:  # noqa: BLE001 - an unexpected sender error: retried on the schedule, never fatal
        log.warning("broadcast_send_error", error_type=type(exc).__name__)
        return _Result(None, f"sender error: {type(exc).__name__}")
    return _Result(DeliveryStatus.DELIVERED)


async def _record(token: uuid.UUID, row: Claimed, result: _Result, now: datetime) -> DeliveryStatus | None:
    """Write one result, conditional on our lease. Returns the row's final status, None if still pending."""
    changes: dict = {"claim_token": None, "claimed_until": None, "last_error": result.error}
    status = result.status
    if status is None and result.counts_as_try:
        attempts = row.attempts + 1
        changes["attempts"] = attempts
        if attempts >= MAX_ATTEMPTS:
            status = DeliveryStatus.FAILED
        else:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            changes["next_attempt_at"] = now + max(delay, timedelta(seconds=result.not_before))
    elif status is None:  # flood control: the same row again after the wait, no try counted
        changes["next_attempt_at"] = now + timedelta(seconds=result.retry_after or 1.0)
    if status is not None:
        changes["status"] = status
        changes["next_attempt_at"] = None
        if status == DeliveryStatus.DELIVERED:
            changes["delivered_at"] = now
    updated = await BroadcastDelivery.filter(id=row.id, claim_token=token).update(**changes)
    if not updated:  # our lease ran out and another sender holds the row now
        log.warning("broadcast_lease_lost", delivery_id=row.id)
    return status


async def send_pending(
    *,
    broadcast_id: int,
    send: Sender,
    budget: SendBudget,
    time_budget_seconds: float = 90.0,
    batch: int = BATCH,
    lease_seconds: float = LEASE_SECONDS,
) -> SendRun:
    """Send the broadcast's due pending rows until none is claimable or the time is up."""
    run = SendRun()
    broadcast = await Broadcast.get_or_none(id=int(broadcast_id))
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return run
    deadline = time.monotonic() + time_budget_seconds
    while True:
        if time.monotonic() >= deadline:
            run.stopped = "time"
            return run
        token, claimed = await claim_batch(broadcast_id=broadcast.id, limit=batch, lease_seconds=lease_seconds)
        if not claimed:
            run.stopped = "idle"
            return run
        # Never send a row whose lease may have ended: another sender could be sending it too.
        lease_end = time.monotonic() + lease_seconds - SEND_TIMEOUT_SECONDS
        for index, row in enumerate(claimed):
            try:
                stop_at = min(deadline, lease_end)
                await budget.acquire(max_wait_seconds=max(0.0, stop_at - time.monotonic()))
            except BudgetWaitTooLong as exc:
                await release(token, claimed[index:])
                run.stopped, run.resume_after = "budget", exc.seconds
                return run
            except BaseException:
                await release(token, claimed[index:])
                raise
            try:
                result = await _send_one(send, row, broadcast.text)
            except BaseException:  # cancelled mid-send: this row stays leased (it may have gone out)
                await release(token, claimed[index + 1:])
                raise
            if result.retry_after is not None:
                await budget.block(result.retry_after)
                run.flooded += 1
            status = await _record(token, row, result, _utcnow())
            if status == DeliveryStatus.DELIVERED:
                run.delivered += 1
            elif status == DeliveryStatus.BLOCKED:
                run.blocked += 1
            elif status == DeliveryStatus.FAILED:
                run.failed += 1
            else:
                run.retried += 1


@dataclass(frozen=True)
class Pending:
    rows: int  # pending rows left
    next_at: datetime | None  # the earliest moment one of them may be tried (None: no pending row)
    due: bool  # one of them may be tried now


async def pending(broadcast_id: int) -> Pending:
    # A row may be tried at the later of its next_attempt_at and the end of its lease (NULLs ignored).
    rows = await get_connection("default").execute_query_dict(
        "SELECT COUNT(*) AS n, MIN(GREATEST(next_attempt_at, claimed_until)) AS next_at, "
        "bool_or(GREATEST(next_attempt_at, claimed_until) IS NULL) AS unscheduled "
        "FROM broadcast_delivery WHERE broadcast_id = $1 AND status = 'pending'", [int(broadcast_id)])
    count = int(rows[0]["n"])
    if not count:
        return Pending(0, None, False)
    now = _utcnow()
    next_at = rows[0]["next_at"]
    if rows[0]["unscheduled"] or next_at is None or next_at <= now:
        return Pending(count, now, True)
    return Pending(count, next_at, False)


async def finish(*, broadcast_id: int) -> list[Notification]:
    """Once nothing is pending: the counts on the broadcast and the admin's final message, once.

    Runs in the caller's transaction; enqueue the returned outbox rows after commit. [] when the
    broadcast is finished already or still has pending rows.
    """
    require_transaction()
    broadcast = await Broadcast.filter(id=int(broadcast_id)).select_for_update().first()
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return []
    counts = await delivery_counts(broadcast.id)
    if counts[DeliveryStatus.PENDING]:
        return []
    broadcast.status = BroadcastStatus.DONE
    broadcast.delivered = counts[DeliveryStatus.DELIVERED]
    broadcast.blocked = counts[DeliveryStatus.BLOCKED]
    broadcast.failed = counts[DeliveryStatus.FAILED]
    broadcast.finished_at = _utcnow()
    await broadcast.save(update_fields=["status", "delivered", "blocked", "failed", "finished_at"])
    log.info("broadcast_done", broadcast_id=broadcast.id, recipients=broadcast.recipients,
             delivered=broadcast.delivered, blocked=broadcast.blocked, failed=broadcast.failed)
    row = await notifications.notify_telegram(
        telegram_user_id=broadcast.notify_chat_id, message_key="broadcast.done",
        params={"broadcast_id": str(broadcast.id), "recipients": broadcast.recipients,
                "delivered": broadcast.delivered, "blocked": broadcast.blocked, "failed": broadcast.failed})
    return [row]


async def unfinished() -> list[int]:
    """Broadcasts still sending (for the sweeper)."""
    return list(await Broadcast.filter(status=BroadcastStatus.SENDING).order_by("id").values_list("id", flat=True))
