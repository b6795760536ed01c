"""Broadcasts in the core and the worker, against real PostgreSQL and Redis and the stand-in Bot API:
who receives one, writing it once, sending within the shared budget, blocked users counted and never
retried, flood control waited out, a killed sender resumed, and the admin's final count."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from arq.constants import default_queue_name

from core.access.errors import NotAdmin
from core.audit.models import AuditEntry
from core.broadcast import service as broadcasts
from core.broadcast.errors import BroadcastTooLong, EmptyBroadcast, NoRecipients
from core.broadcast.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
)
from core.broadcast.ratelimit import SendBudget
from core.config import Settings
from core.db import atomic
from core.notifications.models import Notification
from core.notifications.telegram import TelegramRetryLater
from core.parties.models import PartyKind, PartyStatus
from jobs import broadcast as broadcast_jobs
from tests.factories import ADMIN, make_member, make_party, member_actor
from tests.support.telegram_api import running_telegram_api

pytestmark = pytest.mark.usefixtures("db")

ADMIN_CHAT = 4242


@pytest.fixture(scope="module")
async def telegram():
    async with running_telegram_api() as api:
        yield api


@pytest.fixture
async def worker_ctx(telegram, redis):
    """What an arq worker's ctx holds for these jobs: its Redis and its Telegram notifier."""
    from bot.notifier import make_notifier

    telegram.reset()
    notifier = make_notifier(Settings(**telegram.env()))
    yield {"redis": redis, "telegram": notifier}
    await notifier.aclose()


async def _agents(count: int, *, first_user: int = 5001) -> list[int]:
    """`count` active agents with one owner each; their Telegram ids."""
    users = []
    for n in range(count):
        party = await make_party(PartyKind.AGENT, name=f"Agent {n}")
        await make_member(party, telegram_user_id=first_user + n)
        users.append(first_user + n)
    return users


async def _write(text: str = "Hello agents", key: str = "tok-1") -> Broadcast:
    async with atomic():
        return await broadcasts.create_broadcast(actor=ADMIN, text=text, idempotency_key=key,
                                                 notify_chat_id=ADMIN_CHAT)


async def _statuses(broadcast_id: int) -> dict[int, str]:
    rows = await BroadcastDelivery.filter(broadcast_id=broadcast_id).values("telegram_user_id", "status")
    return {r["telegram_user_id"]: str(r["status"]) for r in rows}


async def _run_until_done(ctx, broadcast_id: int, *, timeout: float = 15.0) -> None:
    """Run the sender again and again, as its self-scheduled successors would, until it finishes."""
    deadline = time.monotonic() + timeout
    while await broadcast_jobs.send_broadcast(ctx, broadcast_id) != "done":
        assert time.monotonic() < deadline, await _statuses(broadcast_id)
        await asyncio.sleep(0.2)


# --- Who gets it, and writing it -----------------------------------------------------------------


async def test_recipients_are_the_active_members_of_active_agents_and_sub_agents_only():
    agent = await make_party(PartyKind.AGENT)
    await make_member(agent, telegram_user_id=1, role="owner")
    await make_member(agent, telegram_user_id=2, role="viewer")
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    await make_member(sub, telegram_user_id=3)
    frozen = await make_party(PartyKind.AGENT, status=PartyStatus.FROZEN)
    await make_member(frozen, telegram_user_id=4)
    pending = await make_party(PartyKind.AGENT, status=PartyStatus.PENDING)
    await make_member(pending, telegram_user_id=5)
    partner = await make_party(PartyKind.PARTNER)
    await make_member(partner, telegram_user_id=6)
    removed = await make_member(agent, telegram_user_id=7, role="manager")
    async with atomic():
        from core.parties import service as parties

        await parties.remove_member(actor=ADMIN, member_id=removed.id)

    assert await broadcasts.count_recipients(actor=ADMIN) == 3
    broadcast = await _write()
    assert broadcast.recipients == 3 and broadcast.status == BroadcastStatus.SENDING
    assert await _statuses(broadcast.id) == {1: "pending", 2: "pending", 3: "pending"}


async def test_writing_a_broadcast_is_audited_and_the_same_confirmation_writes_it_once():
    await _agents(2)
    admin = ADMIN.with_request("tg:77:1001")
    async with atomic():
        first = await broadcasts.create_broadcast(actor=admin, text="Hi", idempotency_key="same", notify_chat_id=77)
    async with atomic():
        again = await broadcasts.create_broadcast(actor=admin, text="Hi", idempotency_key="same", notify_chat_id=77)
    assert again.id == first.id
    assert await Broadcast.all().count() == 1 and await BroadcastDelivery.all().count() == 2
    [entry] = await AuditEntry.filter(action="broadcast.create")
    assert (entry.actor, entry.object_id, entry.request_id) == ("test-admin", str(first.id), "tg:77:1001")
    assert entry.after == {"recipients": 2, "text": "Hi"}


async def test_only_admins_write_broadcasts_and_empty_long_or_unaddressed_ones_are_refused():
    agent = await make_party(PartyKind.AGENT)
    member = await member_actor(agent)
    with pytest.raises(NotAdmin):
        await broadcasts.count_recipients(actor=member)
    with pytest.raises(NotAdmin):
        async with atomic():
            await broadcasts.create_broadcast(actor=member, text="Hi", idempotency_key="k", notify_chat_id=1)
    with pytest.raises(EmptyBroadcast):
        await _write("   \n ")
    with pytest.raises(BroadcastTooLong):
        await _write("x" * 4097)
    # Telegram counts UTF-16 units: 2048 emoji are exactly one message, one more is too long.
    assert (await _write("😀" * 2048, key="emoji")).recipients == 1  # the member above
    with pytest.raises(BroadcastTooLong):
        await _write("😀" * 2049, key="emoji-2")


async def test_nobody_to_send_to_is_refused_and_writes_nothing():
    with pytest.raises(NoRecipients):
        await _write()
    assert await Broadcast.all().count() == 0
    assert await AuditEntry.filter(action="broadcast.create").count() == 0


# --- Sending -----------------------------------------------------------------------------------------


async def test_the_worker_delivers_plain_text_counts_a_blocked_user_and_tells_the_admin(worker_ctx, telegram):
    users = await _agents(3)
    telegram.block(users[1])
    text = "Big news <b>not bold</b> *not italic* [no](link)"
    broadcast = await _write(text)

    await _run_until_done(worker_ctx, broadcast.id)

    assert await _statuses(broadcast.id) == {users[0]: "delivered", users[1]: "blocked", users[2]: "delivered"}
    for user in (users[0], users[2]):
        [call] = telegram.calls_to("sendMessage", chat_id=user, ok=True)
        assert call.params["text"] == text and "parse_mode" not in call.params
        assert telegram.texts(user) == [text]
    stored = await Broadcast.get(id=broadcast.id)
    assert (stored.status, stored.delivered, stored.blocked, stored.failed) == (BroadcastStatus.DONE, 2, 1, 0)
    [told] = await Notification.filter(telegram_user_id=ADMIN_CHAT)
    assert told.event_type == "broadcast.done"
    assert told.payload["params"] == {"broadcast_id": str(broadcast.id), "recipients": 3, "delivered": 2, "blocked": 1,
                                      "failed": 0}
    # The admin's message is in the outbox queue; running the sender again changes and sends nothing.
    queued = {job_id.decode() for job_id in await worker_ctx["redis"].zrange(default_queue_name, 0, -1)}
    assert f"deliver_notification:{told.id}:0" in queued
    calls = len(telegram.calls_to("sendMessage"))
    assert await broadcast_jobs.send_broadcast(worker_ctx, broadcast.id) == "done"
    assert len(telegram.calls_to("sendMessage")) == calls
    assert len(telegram.calls_to("sendMessage", chat_id=users[1])) == 1  # blocked: tried once, never again
    assert await Notification.filter(telegram_user_id=ADMIN_CHAT).count() == 1


async def test_flood_control_makes_every_sender_wait_then_the_message_goes(worker_ctx, telegram):
    users = await _agents(3)
    telegram.flood(retry_after=1, chat_id=users[0])
    broadcast = await _write()

    await _run_until_done(worker_ctx, broadcast.id)

    assert set((await _statuses(broadcast.id)).values()) == {"delivered"}
    sends = telegram.calls_to("sendMessage", ok=True)
    refused = [c for c in telegram.calls if c.method == "sendMessage" and c.status == 429]
    assert len(refused) == 1 and refused[0].chat_id == users[0]
    # Nobody was sent anything during the wait Telegram asked for.
    assert all(c.at >= refused[0].answered_at + 0.95 for c in sends)
    row = await BroadcastDelivery.get(broadcast_id=broadcast.id, telegram_user_id=users[0])
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 0)  # a flood wait is not a failed try


async def test_a_killed_sender_leaves_the_rest_to_the_next_one_and_nobody_gets_it_twice(redis):
    users = await _agents(6)
    broadcast = await _write()
    got: list[int] = []

    async def dies_on_the_fourth(chat_id: int, text: str) -> None:
        if len(got) == 3:
            raise asyncio.CancelledError()  # the worker is killed while sending
        got.append(chat_id)

    with pytest.raises(asyncio.CancelledError):
        await broadcasts.send_pending(broadcast_id=broadcast.id, send=dies_on_the_fourth, budget=SendBudget(redis))
    statuses = await _statuses(broadcast.id)
    assert sorted(s for s in statuses.values()) == ["delivered"] * 3 + ["pending"] * 3
    # The row in flight stays leased (it may have gone out): nobody takes it before the lease ends.
    leased = await BroadcastDelivery.filter(broadcast_id=broadcast.id, claim_token__not_isnull=True)
    assert [r.telegram_user_id for r in leased] == [users[3]]
    assert (await broadcasts.pending(broadcast.id)).rows == 3

    async def sends(chat_id: int, text: str) -> None:
        got.append(chat_id)

    await broadcasts.send_pending(broadcast_id=broadcast.id, send=sends, budget=SendBudget(redis))
    assert got == users[:3] + users[4:]  # the rows nobody held
    await BroadcastDelivery.filter(id=leased[0].id).update(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
    await broadcasts.send_pending(broadcast_id=broadcast.id, send=sends, budget=SendBudget(redis))
    assert sorted(got) == users and set((await _statuses(broadcast.id)).values()) == {"delivered"}


async def test_a_failing_send_is_retried_with_backoff_then_counted_as_failed(redis):
    await _agents(1)
    broadcast = await _write()

    async def unreachable(chat_id: int, text: str) -> None:
        raise TelegramRetryLater(30, "Telegram unavailable")

    for attempt in range(1, broadcasts.MAX_ATTEMPTS + 1):
        run = await broadcasts.send_pending(broadcast_id=broadcast.id, send=unreachable, budget=SendBudget(redis))
        row = await BroadcastDelivery.get(broadcast_id=broadcast.id)
        assert row.attempts == attempt
        if attempt < broadcasts.MAX_ATTEMPTS:
            assert run.retried == 1 and row.status == DeliveryStatus.PENDING
            assert row.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=4)
            await BroadcastDelivery.filter(id=row.id).update(next_attempt_at=datetime.now(UTC))
    assert run.failed == 1 and row.status == DeliveryStatus.FAILED
    async with atomic():
        [told] = await broadcasts.finish(broadcast_id=broadcast.id)
    assert told.payload["params"]["failed"] == 1 and told.payload["params"]["delivered"] == 0


async def test_the_budget_allows_25_a_second_across_all_senders(redis):
    first, second = SendBudget(redis), SendBudget(redis)  # two workers
    granted: list[float] = []

    async def take(budget: SendBudget, n: int) -> None:
        for _ in range(n):
            await budget.acquire()
            granted.append(time.monotonic())

    started = time.monotonic()
    await asyncio.gather(take(first, 30), take(second, 30))
    granted.sort()
    assert time.monotonic() - started >= 2.0  # 60 grants at 25 a second
    for i in range(len(granted) - 25):
        assert granted[i + 25] - granted[i] >= 0.95, i  # never 26 grants within one second


async def test_a_flood_block_holds_every_sender(redis):
    budget = SendBudget(redis)
    await budget.block(0.5)
    started = time.monotonic()
    await SendBudget(redis).acquire()
    assert time.monotonic() - started >= 0.45
    await budget.block(5)
    from core.broadcast.ratelimit import BudgetWaitTooLong

    with pytest.raises(BudgetWaitTooLong):
        await budget.acquire(max_wait_seconds=1)


# --- Resuming ------------------------------------------------------------------------------------------


async def _queued(redis) -> set[str]:
    return {job_id.decode() for job_id in await redis.zrange(default_queue_name, 0, -1)}


async def test_the_sweeper_restarts_a_broadcast_nobody_is_sending(redis):
    await _agents(2)
    broadcast = await _write()  # the bot's enqueue after commit was lost
    ctx = {"redis": redis}
    assert await broadcast_jobs.sweep_broadcasts(ctx) == 1
    [job_id] = await _queued(redis)
    assert job_id.startswith(f"send_broadcast:{broadcast.id}:sweep:")
    assert await broadcast_jobs.sweep_broadcasts(ctx) == 0  # same minute: the same job

    await redis.flushdb()
    await redis.set(f"steller:broadcast:{broadcast.id}:sender", "alive")  # a live sender holds it
    assert await broadcast_jobs.sweep_broadcasts(ctx) == 0
    await redis.delete(f"steller:broadcast:{broadcast.id}:sender")
    # Rows waiting on purpose (a flood wait) have a deferred successor already: left alone.
    await BroadcastDelivery.filter(broadcast_id=broadcast.id).update(
        next_attempt_at=datetime.now(UTC) + timedelta(minutes=5))
    assert await broadcast_jobs.sweep_broadcasts(ctx) == 0


async def test_one_sender_per_broadcast_and_the_next_run_is_scheduled(worker_ctx, telegram, monkeypatch):
    users = await _agents(3)
    broadcast = await _write()
    redis = worker_ctx["redis"]
    assert await broadcast_jobs.enqueue_send(redis, broadcast.id)
    assert not await broadcast_jobs.enqueue_send(redis, broadcast.id)  # a second enqueue: the same job
    await redis.set(f"steller:broadcast:{broadcast.id}:sender", "another worker")
    assert await broadcast_jobs.send_broadcast(worker_ctx, broadcast.id) == "busy"
    assert telegram.calls_to("sendMessage") == []
    await redis.delete(f"steller:broadcast:{broadcast.id}:sender")

    monkeypatch.setattr(broadcast_jobs, "RUN_SECONDS", 0.0)  # its time is up before it starts
    assert await broadcast_jobs.send_broadcast(worker_ctx, broadcast.id) == "continues"
    successors = [j for j in await _queued(redis) if j.startswith(f"send_broadcast:{broadcast.id}:at:")]
    assert len(successors) == 1
    assert not await redis.exists(f"steller:broadcast:{broadcast.id}:sender")  # the lock is given back
    monkeypatch.setattr(broadcast_jobs, "RUN_SECONDS", 90.0)
    assert await broadcast_jobs.send_broadcast(worker_ctx, broadcast.id) == "done"
    assert sorted(c.chat_id for c in telegram.calls_to("sendMessage")) == users


async def test_a_worker_without_a_bot_leaves_the_broadcast_for_one_that_has_it(redis):
    await _agents(1)
    broadcast = await _write()
    assert await broadcast_jobs.send_broadcast({"redis": redis, "telegram": None}, broadcast.id) == "no_bot"
    assert (await broadcasts.pending(broadcast.id)).rows == 1


async def test_a_long_flood_wait_defers_the_next_run_instead_of_spinning(worker_ctx, telegram):
    await _agents(2)
    broadcast = await _write()
    redis = worker_ctx["redis"]
    await SendBudget(redis).block(600)  # Telegram asked every sender to wait ten minutes
    assert await broadcast_jobs.send_broadcast(worker_ctx, broadcast.id) == "continues"
    assert telegram.calls_to("sendMessage") == []
    assert (await broadcasts.pending(broadcast.id)).rows == 2  # nothing claimed is left held
    assert await BroadcastDelivery.filter(claim_token__not_isnull=True).count() == 0
    scores = {job_id.decode(): score for job_id, score in await redis.zrange(default_queue_name, 0, -1, withscores=True)}
    [(_, due_ms)] = [(j, s) for j, s in scores.items() if j.startswith(f"send_broadcast:{broadcast.id}:at:")]
    assert due_ms / 1000 - time.time() > 500  # deferred to when the budget opens again
