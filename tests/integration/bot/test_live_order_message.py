"""The message the buyer confirmed shows the order's progress: the worker edits it in place as the order
moves, ending with masked codes and a Reveal button per card."""

from __future__ import annotations

import httpx
import pytest

from bot.notifier import AiogramNotifier
from core.crypto import encrypt
from core.db import atomic
from core.notifications import service as notifications
from core.orders import service as orders
from core.orders.models import Card, Order, OrderStatus
from tests.integration.bot.test_order_flow import _to_summary, shop  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("db")


async def _move(order_id, to: OrderStatus, **changes) -> list:
    with notifications.collect_outbox() as rows:
        async with atomic():
            order = await orders.lock_order(order_id)
            await orders.move(order, to, **changes)
    return rows


async def _deliver(rows, notifier) -> None:
    async with httpx.AsyncClient() as http:
        for row in rows:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=notifier)
            assert outcome.result == notifications.DeliveryResult.DELIVERED, outcome


async def test_the_confirmed_message_is_edited_as_the_order_moves(harness, shop):  # noqa: F811
    await _to_summary(harness, quantity_button="2")
    await harness.press(700, harness.button(700, "Confirm"))
    order = await Order.get()
    message_id = order.message_id
    notifier = AiogramNotifier(harness.bot)
    sent_before = len(harness.api.calls_to("sendMessage", chat_id=700))

    await _move(order.id, OrderStatus.PLACING)  # not news: no row
    rows = await _move(order.id, OrderStatus.PROCESSING)
    assert [r.event_type for r in rows] == ["order.live"]
    await _deliver(rows, notifier)
    [message] = [m for m in harness.api.sent_messages(700) if m["message_id"] == message_id]
    assert "being prepared by the vendor" in message["text"]

    for code in ("AAAA11112222", "BBBB33334444"):
        await Card.create(order_id=order.id, vendor_card_id=code, code_encrypted=encrypt(code), code_last4=code[-4:])
    rows = await _move(order.id, OrderStatus.COMPLETED, cards_delivered=2)
    await _deliver(rows, notifier)
    [message] = [m for m in harness.api.sent_messages(700) if m["message_id"] == message_id]
    assert "✅ delivered" in message["text"] and "****2222" in message["text"] and "****4444" in message["text"]
    assert "AAAA1111" not in message["text"]
    reveal_buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in reveal_buttons] == ["👁 Reveal ****2222", "👁 Reveal ****4444"]
    # Edited in place: no new message was sent for the progress.
    assert len(harness.api.calls_to("sendMessage", chat_id=700)) == sent_before


async def test_a_deleted_order_message_gets_a_new_one_instead(harness, shop):  # noqa: F811
    await _to_summary(harness, quantity_button="1")
    await harness.press(700, harness.button(700, "Confirm"))
    order = await Order.get()
    await harness.bot.delete_message(chat_id=700, message_id=order.message_id)
    await _move(order.id, OrderStatus.PLACING)
    rows = await _move(order.id, OrderStatus.PROCESSING)
    await _deliver(rows, AiogramNotifier(harness.bot))
    assert "being prepared by the vendor" in harness.last_text(700)
