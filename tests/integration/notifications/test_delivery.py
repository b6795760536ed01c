"""Delivering the outbox: retries on the schedule, exactly one send under races, Telegram rows, no secrets."""

from __future__ import annotations

from core.access.actor import Actor
import asyncio
import logging
from datetime import UTC, datetime, timedelta

import httpx
from structlog.testing import capture_logs

from core.config import get_settings
from core.db import atomic, in_transaction_now
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationStatus
from core.notifications.service import DeliveryResult
from core.parties import service as parties
from core.parties.models import AdminUser, MemberRole, PartyKind
from tests.factories import make_party
from tests.notifications_support import RecordingNotifier, WebhookReceiver, emit

EXPECTED_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                   timedelta(hours=6), timedelta(hours=12), timedelta(hours=24)]


async def test_failing_receiver_is_retried_on_the_schedule_then_marked_failed(hooked):
    receiver = WebhookReceiver(statuses=[500])
    async with receiver.client() as http:
        [row] = await emit(hooked.party.id)
        now = datetime.now(UTC)
        for attempt, delay in enumerate(EXPECTED_DELAYS, start=1):
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
            assert outcome.result == DeliveryResult.RETRY
            assert outcome.attempts == attempt and outcome.status_code == 500
            assert outcome.next_attempt_at == now + delay
            stored = await Notification.get(id=row.id)
            assert stored.status == NotificationStatus.PENDING and stored.last_status_code == 500
            assert stored.last_error == "HTTP 500" and stored.claim_token is None
            # A stale job that runs before the next try is due sends nothing.
            early = await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                                now=now + delay - timedelta(seconds=1))
            assert early.result == DeliveryResult.NOT_DUE
            assert len(receiver.requests) == attempt
            now += delay

        last = await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
        assert last.result == DeliveryResult.FAILED and last.attempts == 8
        stored = await Notification.get(id=row.id)
        assert stored.status == NotificationStatus.FAILED and stored.next_attempt_at is None
        assert stored.delivered_at is None and stored.last_status_code == 500
        assert len(receiver.requests) == 8

        after = await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                            now=now + timedelta(days=3))
        assert after.result == DeliveryResult.SKIPPED
        assert len(receiver.requests) == 8
        assert await notifications.due_notifications(now=now + timedelta(days=3), limit=10) == []


async def test_a_retry_that_succeeds_marks_the_row_delivered(hooked):
    receiver = WebhookReceiver(statuses=[503, 204])
    async with receiver.client() as http:
        [row] = await emit(hooked.party.id)
        now = datetime.now(UTC)
        first = await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
        second = await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                             now=now + timedelta(minutes=1))
    assert (first.result, second.result) == (DeliveryResult.RETRY, DeliveryResult.DELIVERED)
    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.DELIVERED and stored.attempts == 2
    assert stored.last_status_code == 204 and stored.last_error is None
    assert stored.delivered_at == now + timedelta(minutes=1) and stored.next_attempt_at is None
    # Both tries carried the same event id: the receiver can dedupe.
    assert {r.headers["Steller-Event-Id"] for r in receiver.requests} == {row.event_id}


async def test_network_errors_and_timeouts_are_retried(hooked):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused to https://partner.example/?token=abc", request=request)

    async def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    [row] = await emit(hooked.party.id)
    now = datetime.now(UTC)
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        refused = await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
    stored = await Notification.get(id=row.id)
    assert refused.result == DeliveryResult.RETRY and stored.last_status_code is None
    assert stored.last_error == "request failed: ConnectError"  # never the URL or its query

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as http:
        timed_out = await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                                now=now + timedelta(minutes=1))
    stored = await Notification.get(id=row.id)
    assert timed_out.result == DeliveryResult.RETRY and timed_out.attempts == 2
    assert stored.last_error == "no response within 10 s"
    assert stored.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=5)


async def test_racing_workers_send_exactly_once(hooked):
    receiver = WebhookReceiver(statuses=[200], delay=0.2)
    async with receiver.client() as http:
        [row] = await emit(hooked.party.id)
        outcomes = await asyncio.gather(*[
            notifications.deliver(notification_id=row.id, http=http, telegram=None) for _ in range(5)
        ])
        results = sorted(o.result.value for o in outcomes)
        # A late duplicate job after delivery sends nothing either.
        late = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert len(receiver.requests) == 1
    assert results.count("delivered") == 1
    assert set(results) <= {"delivered", "busy", "skipped"}
    assert late.result == DeliveryResult.SKIPPED
    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.DELIVERED and stored.attempts == 1


async def test_no_transaction_or_row_lock_is_held_during_the_http_call(hooked):
    seen: dict = {}
    [row] = await emit(hooked.party.id)

    async def handler(request: httpx.Request) -> httpx.Response:
        seen["in_transaction"] = in_transaction_now()
        # Another connection can lock the row at once: the worker holds a lease, not a row lock.
        async with atomic():
            locked = await Notification.filter(id=row.id).select_for_update(nowait=True).first()
        seen["claimed_until"] = locked.claimed_until
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert outcome.result == DeliveryResult.DELIVERED
    assert seen["in_transaction"] is False
    assert seen["claimed_until"] is not None  # the lease was visible while the request ran


async def test_an_expired_lease_lets_another_worker_take_over(hooked, receiver, http):
    [row] = await emit(hooked.party.id)
    now = datetime.now(UTC)
    # A worker claimed the row and died: its lease is still running, then runs out.
    await Notification.filter(id=row.id).update(claim_token="00000000-0000-0000-0000-000000000001",
                                                claimed_until=now + timedelta(seconds=30), attempts=1)
    held = await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
    assert held.result == DeliveryResult.BUSY and receiver.requests == []
    assert await notifications.due_notifications(now=now, limit=10) == []
    assert await notifications.due_notifications(now=now + timedelta(seconds=31), limit=10) == [row.id]
    taken = await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                        now=now + timedelta(seconds=31))
    assert taken.result == DeliveryResult.DELIVERED and taken.attempts == 2
    assert len(receiver.requests) == 1


async def test_due_notifications_lists_only_pending_due_rows(hooked, receiver, http):
    rows = []
    for _ in range(3):
        rows += await emit(hooked.party.id)
    now = datetime.now(UTC) + timedelta(seconds=1)
    await notifications.deliver(notification_id=rows[0].id, http=http, telegram=None, now=now)  # delivered
    await Notification.filter(id=rows[1].id).update(next_attempt_at=now + timedelta(minutes=5))
    assert await notifications.due_notifications(now=now, limit=10) == [rows[2].id]
    # Oldest due first, so a backlog drains in order.
    later = now + timedelta(minutes=5)
    assert await notifications.due_notifications(now=later, limit=10) == [rows[2].id, rows[1].id]
    assert await notifications.due_notifications(now=later, limit=1) == [rows[2].id]


async def test_telegram_rows_go_through_the_notifier(db, monkeypatch):
    agent = await make_party(PartyKind.AGENT, name="Agent")
    async with atomic():
        await parties.bind_member(party_id=agent.id, telegram_user_id=1001, role=MemberRole.OWNER,
                                  display_name="Owner", actor=Actor.admin(label="test"))
        await parties.bind_member(party_id=agent.id, telegram_user_id=1002, role=MemberRole.VIEWER,
                                  display_name="Viewer", actor=Actor.admin(label="test"))
        await AdminUser.create(telegram_user_id=9001, granted_by="test")
    monkeypatch.setattr(get_settings(), "admin_telegram_ids", [9002, 9001])

    async with atomic():
        direct = await notifications.notify_telegram(
            telegram_user_id=1001, message_key="order.completed", params={"order_id": "o-1"},
            buttons=[{"text_key": "btn.reveal", "data": "reveal:o-1"}])
        owners = await notifications.notify_party_members(party_id=agent.id, message_key="wallet.low",
                                                          params={"amount": "5.00"}, roles=[MemberRole.OWNER])
        everyone = await notifications.notify_party_members(party_id=agent.id, message_key="subagent.joined",
                                                            params={"name": "Sub"})
        admins = await notifications.notify_admins(message_key="admin.vendor_balance_low", params={"accounts": "USD 5"})
    assert [r.telegram_user_id for r in owners] == [1001]
    assert sorted(r.telegram_user_id for r in everyone) == [1001, 1002]
    assert [r.telegram_user_id for r in admins] == [9001, 9002]

    notifier = RecordingNotifier()
    for row in [direct, *owners, *everyone, *admins]:
        outcome = await notifications.deliver(notification_id=row.id, http=None, telegram=notifier)
        assert outcome.result == DeliveryResult.DELIVERED
    sent = [(m.telegram_user_id, m.message_key) for m in notifier.sent]
    assert sent == [(1001, "order.completed"), (1001, "wallet.low"), (1001, "subagent.joined"),
                    (1002, "subagent.joined"), (9001, "admin.vendor_balance_low"), (9002, "admin.vendor_balance_low")]
    assert notifier.sent[0].params == {"order_id": "o-1"}
    assert notifier.sent[0].buttons == [{"text_key": "btn.reveal", "data": "reveal:o-1"}]
    assert await Notification.filter(status=NotificationStatus.DELIVERED).count() == 6


async def test_a_user_who_blocked_the_bot_fails_at_once_without_retry(db):
    async with atomic():
        row = await notifications.notify_telegram(telegram_user_id=555, message_key="order.completed", params={})
    notifier = RecordingNotifier(blocked={555})
    now = datetime.now(UTC)
    outcome = await notifications.deliver(notification_id=row.id, http=None, telegram=notifier, now=now)
    assert outcome.result == DeliveryResult.FAILED and outcome.attempts == 1
    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.FAILED and "blocked" in stored.last_error
    later = await notifications.deliver(notification_id=row.id, http=None, telegram=notifier,
                                        now=now + timedelta(days=1))
    assert later.result == DeliveryResult.SKIPPED and notifier.calls == 1
    assert await notifications.due_notifications(now=now + timedelta(days=1), limit=10) == []


async def test_telegram_flood_control_is_respected(db):
    async with atomic():
        row = await notifications.notify_telegram(telegram_user_id=556, message_key="x", params={})
    now = datetime.now(UTC)
    slow = await notifications.deliver(notification_id=row.id, http=None, telegram=RecordingNotifier(retry_after=900),
                                       now=now)
    assert slow.result == DeliveryResult.RETRY and slow.next_attempt_at == now + timedelta(seconds=900)
    # A short retry_after never brings a retry before the schedule's own delay.
    quick = await notifications.deliver(notification_id=row.id, http=None, telegram=RecordingNotifier(retry_after=3),
                                        now=slow.next_attempt_at)
    assert quick.result == DeliveryResult.RETRY
    assert quick.next_attempt_at == slow.next_attempt_at + timedelta(minutes=5)
    # No notifier in this worker: the row waits for one rather than being lost.
    none = await notifications.deliver(notification_id=row.id, http=None, telegram=None, now=quick.next_attempt_at)
    assert none.result == DeliveryResult.RETRY and none.attempts == 3


async def test_secrets_never_reach_the_logs(hooked, caplog):
    caplog.set_level(logging.DEBUG)
    receiver = WebhookReceiver(statuses=[500, 200])
    with capture_logs() as entries:
        async with atomic():
            _, rotated = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="test"))
            await notifications.set_webhook(party_id=hooked.party.id, url="https://x.example/h", events=None,
                                            actor=Actor.admin(label="test"))
        [row] = await emit(hooked.party.id)
        now = datetime.now(UTC)
        async with receiver.client() as http:
            await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
            await notifications.deliver(notification_id=row.id, http=http, telegram=None,
                                        now=now + timedelta(minutes=1))
    events = [e["event"] for e in entries]
    assert "notification_retry" in events and "notification_delivered" in events  # the flow did log
    captured = repr(entries) + caplog.text
    assert hooked.secret not in captured and rotated not in captured and "whsec_" not in captured
    # What was signed was still signed with the secrets: they exist, they are just not logged.
    assert notifications.verify(receiver.requests[-1].headers["Steller-Signature"], rotated,
                                receiver.requests[-1].content, now=now + timedelta(minutes=1))
