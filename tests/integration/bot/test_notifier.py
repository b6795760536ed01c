"""The real AiogramNotifier against the stand-in Bot API: texts, buttons, Telegram's errors, the outbox."""

from __future__ import annotations

from core.access.actor import Actor
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from arq.constants import default_queue_name
from arq.worker import Worker
from structlog.testing import capture_logs

from bot.notifier import AiogramNotifier, make_notifier
from core.config import Settings
from core.db import atomic
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationStatus
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable
from core.parties import service as parties
from core.parties.models import MemberRole, PartyKind
from jobs import notifications as notification_jobs
from tests.factories import make_party
from tests.support.telegram_api import free_port, running_telegram_api

ORDER_PARAMS = {"quantity": 2, "total": "USD 20.00"}
EN_COMPLETED = "✅ Your order of 2 cards is delivered (USD 20.00). Open /orders to see the codes."
AR_COMPLETED = "✅ تم تسليم طلبك \u2068ببطاقتين\u2069 (\u2068USD 20.00\u2069). افتح /orders لرؤية الرموز."
OPEN_ORDERS = [{"text_key": "button.open_orders", "data": "orders:list"}]


def _notifier_for(env: dict[str, str]) -> AiogramNotifier:
    """make_notifier from Settings read from the environment, as the worker builds it."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return make_notifier(Settings())


@pytest.fixture(scope="module")
async def api():
    async with running_telegram_api() as server:
        yield server


@pytest.fixture(scope="module")
async def notifier(api):
    notifier = _notifier_for(api.env())
    yield notifier
    await notifier.aclose()


@pytest.fixture(autouse=True)
def no_token_in_logs(api, caplog, capsys):
    """Every test: whatever was logged (structlog or stdlib, any level) or printed names no bot token."""
    api.reset()
    caplog.set_level(logging.DEBUG)
    with capture_logs() as entries:
        yield entries
    out, err = capsys.readouterr()
    captured = repr(entries) + caplog.text + repr([r.__dict__ for r in caplog.records]) + out + err
    secret = api.token.split(":", 1)[1]
    assert api.token not in captured and secret not in captured




async def _member(telegram_user_id: int, language: str | None) -> None:
    agent = await make_party(PartyKind.AGENT)
    async with atomic():
        await parties.bind_member(party_id=agent.id, telegram_user_id=telegram_user_id, role=MemberRole.OWNER,
                                  actor=Actor.admin(label="test"), language=language)


async def _row(telegram_user_id: int, buttons: list | None = None) -> Notification:
    async with atomic():
        return await notifications.notify_telegram(telegram_user_id=telegram_user_id, message_key="order.completed",
                                                   params=ORDER_PARAMS, buttons=buttons)


# --- the notifier on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(("language", "expected"), [
    ("en", EN_COMPLETED),
    ("ar", AR_COMPLETED),
    ("ar-SA", AR_COMPLETED),  # a raw Telegram language_code stored on the member
    ("fr", EN_COMPLETED),  # a language we do not have
    (None, EN_COMPLETED),
], ids=["en", "ar", "ar-SA", "fr", "unset"])
async def test_sends_the_text_in_the_members_language(db, api, notifier, language, expected):
    await _member(1001, language)
    await notifier.send(telegram_user_id=1001, message_key="order.completed", params=ORDER_PARAMS)

    [message] = api.sent_messages(1001)
    assert message["text"] == expected and message["chat"] == {"id": 1001, "type": "private",
                                                               "first_name": "User 1001"}
    [call] = api.calls_to("sendMessage")
    assert call.ok and call.params == {"chat_id": 1001, "text": expected}  # plain text: no parse_mode


async def test_someone_who_is_not_a_member_gets_english(db, api, notifier):
    await notifier.send(telegram_user_id=9001, message_key="admin.vendor_balance_low",
                        params={"accounts": "USD 12.00"})
    assert api.texts(9001) == ["💸 Bamboo balance is low: USD 12.00"]


async def test_message_params_may_be_named_key_or_language(db, api, notifier):
    await _member(1001, "ar")
    await notifier.send(telegram_user_id=1001, message_key="engagement.nudge",
                        params={"days": 9, "key": "k", "language": "en"})
    assert api.texts(1001) == ["👋 لم نرَ طلبًا منك منذ \u2068\u20689\u2069 أيام\u2069. بطاقاتك جاهزة في /order."]


@pytest.mark.parametrize(("language", "label"), [("en", "Open orders"), ("ar", "فتح الطلبات")],
                         ids=["en", "ar"])
async def test_buttons_arrive_as_an_inline_keyboard(db, api, notifier, language, label):
    await _member(1002, language)
    buttons = [*OPEN_ORDERS, {"text_key": "button.open_orders", "data": "orders:o-7"}]
    await notifier.send(telegram_user_id=1002, message_key="order.completed", params=ORDER_PARAMS, buttons=buttons)

    keyboard = {"inline_keyboard": [[{"text": label, "callback_data": "orders:list"},
                                     {"text": label, "callback_data": "orders:o-7"}]]}
    [call] = api.calls_to("sendMessage", chat_id=1002)
    assert call.params["reply_markup"] == keyboard
    [message] = api.sent_messages(1002)
    assert message["reply_markup"] == keyboard
    # The bot can later act on the message: a press on its button comes back as a callback query.
    update = api.push_callback(1002, "orders:list")
    assert update["callback_query"]["message"]["message_id"] == message["message_id"]


async def test_flood_control_asks_to_retry_after_telegrams_delay(db, api, notifier):
    api.flood(retry_after=17)
    with pytest.raises(TelegramRetryLater) as raised:
        await notifier.send(telegram_user_id=1003, message_key="order.completed", params=ORDER_PARAMS)
    assert raised.value.seconds == 17
    assert api.sent_messages(1003) == [] and [c.status for c in api.calls] == [429]
    # Flood control over, the next send goes through.
    await notifier.send(telegram_user_id=1003, message_key="order.completed", params=ORDER_PARAMS)
    assert api.texts(1003) == [EN_COMPLETED]


@pytest.mark.parametrize(("knob", "status", "description"), [
    ("block", 403, "Forbidden: bot was blocked by the user"),
    ("chat_not_found", 400, "Bad Request: chat not found"),
], ids=["blocked", "chat_not_found"])
async def test_a_chat_that_cannot_receive_is_undeliverable(db, api, notifier, knob, status, description):
    getattr(api, knob)(1004)
    with pytest.raises(TelegramUndeliverable) as raised:
        await notifier.send(telegram_user_id=1004, message_key="order.completed", params=ORDER_PARAMS,
                            buttons=OPEN_ORDERS)
    assert str(raised.value) == description
    assert [(c.status, c.error) for c in api.calls_to("sendMessage")] == [(status, description)]
    # Only that chat: others still receive.
    await notifier.send(telegram_user_id=1005, message_key="order.completed", params=ORDER_PARAMS)
    assert api.sent_messages(1004) == [] and len(api.sent_messages(1005)) == 1


@pytest.mark.parametrize("fault", ["500", "502 page", "disconnect", "401 token revoked"])
async def test_telegram_down_or_refusing_is_retried_later(db, api, notifier, fault):
    if fault == "500":
        api.server_error(500)
    elif fault == "502 page":  # a proxy's HTML error page, not a Bot API answer
        api.server_error(502, html=True)
    elif fault == "disconnect":
        api.disconnect()
    else:
        api.revoke_token()
    with pytest.raises(TelegramRetryLater) as raised:
        await notifier.send(telegram_user_id=1006, message_key="order.completed", params=ORDER_PARAMS)
    assert raised.value.seconds >= 30
    assert api.token not in str(raised.value) and api.token not in repr(raised.value.__cause__)
    assert api.sent_messages(1006) == [] and len(api.calls) == 1
    if fault == "401 token revoked":
        assert api.calls[0].status == 401
        api.accept_token()
    await notifier.send(telegram_user_id=1006, message_key="order.completed", params=ORDER_PARAMS)
    assert api.texts(1006) == [EN_COMPLETED]


async def test_nothing_listening_is_retried_later(db, api):
    dead = _notifier_for({**api.env(), "TELEGRAM_API_URL": f"http://127.0.0.1:{free_port()}"})
    try:
        with pytest.raises(TelegramRetryLater) as raised:
            await dead.send(telegram_user_id=1007, message_key="order.completed", params=ORDER_PARAMS)
    finally:
        await dead.aclose()
    assert raised.value.seconds == 30 and "ClientConnectorError" in str(raised.value)
    assert api.token not in str(raised.value)


# --- through the outbox ----------------------------------------------------------------------------


async def test_an_outbox_row_arrives_at_telegram(db, api, notifier, redis, no_token_in_logs):
    await _member(2001, "ar")
    row = await _row(2001, OPEN_ORDERS)
    ctx = {"redis": redis, "http": None, "telegram": notifier}
    assert await notification_jobs.deliver_notification(ctx, row.id) == "delivered"

    [message] = api.sent_messages(2001)
    assert message["text"] == AR_COMPLETED
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "فتح الطلبات", "callback_data": "orders:list"}]]}
    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.DELIVERED and stored.attempts == 1 and stored.last_error is None
    assert await redis.zcard(default_queue_name) == 0
    assert "notification_delivered" in [e["event"] for e in no_token_in_logs]  # the log capture does capture


async def test_flood_control_schedules_a_retry_that_then_delivers_once(db, api, notifier, redis):
    await _member(2002, "en")
    row = await _row(2002)
    ctx = {"redis": redis, "http": None, "telegram": notifier}
    api.flood(retry_after=90)  # longer than the outbox's first retry delay (1 min): Telegram's wins
    started = datetime.now(UTC)
    assert await notification_jobs.deliver_notification(ctx, row.id) == "retry"

    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.PENDING and stored.attempts == 1
    assert "retry" in stored.last_error and api.token not in stored.last_error
    assert started + timedelta(seconds=89) <= stored.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=91)
    retry_job = notification_jobs.delivery_job_id(row.id, 1)
    queued = dict(await redis.zrange(default_queue_name, 0, -1, withscores=True))
    assert list(queued) == [retry_job.encode()]
    assert abs(queued[retry_job.encode()] - stored.next_attempt_at.timestamp() * 1000) < 1000
    assert api.sent_messages(2002) == []

    # 90 s later (fast-forwarded): a real arq worker runs the deferred job.
    await Notification.filter(id=row.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    await redis.zadd(default_queue_name, {retry_job: time.time() * 1000 - 1000})
    worker = Worker([notification_jobs.deliver_notification], redis_pool=redis, burst=True, handle_signals=False,
                    poll_delay=0.01, keep_result=0, ctx={"http": None, "telegram": notifier})
    assert await worker.run_check() == 1

    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.DELIVERED and stored.attempts == 2
    # A late duplicate (the sweeper, a redelivered job) sends nothing more.
    assert await notification_jobs.deliver_notification(ctx, row.id) == "skipped"
    assert api.texts(2002) == [EN_COMPLETED]
    assert [c.status for c in api.calls_to("sendMessage", chat_id=2002)] == [429, 200]
    assert await redis.zcard(default_queue_name) == 0


async def test_a_user_who_blocked_the_bot_ends_undeliverable_without_retry(db, api, notifier, redis):
    await _member(2003, "en")
    row = await _row(2003, OPEN_ORDERS)
    api.block(2003)
    ctx = {"redis": redis, "http": None, "telegram": notifier}
    assert await notification_jobs.deliver_notification(ctx, row.id) == "failed"

    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.FAILED and stored.attempts == 1 and stored.next_attempt_at is None
    assert stored.last_error == "undeliverable: Forbidden: bot was blocked by the user"
    assert await redis.zcard(default_queue_name) == 0  # no retry scheduled
    assert await notifications.due_notifications(now=datetime.now(UTC) + timedelta(days=2)) == []
    assert await notification_jobs.deliver_notification(ctx, row.id) == "skipped"
    assert len(api.calls_to("sendMessage")) == 1
