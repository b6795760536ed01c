"""/order and /orders through the real dispatcher: the wizard, one confirmation, the order message,
masked codes with Reveal, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.audit.models import AuditEntry
from core.catalog import cardlists
from core.crypto import encrypt
from core.db import atomic
from core.ledger import service as ledger
from core.orders.models import Card, Order
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")
RANGE_CARD, FIXED_CARD = 7301, 7302


@pytest.fixture
async def shop():
    await make_product(RANGE_CARD, face=("1", "100"), brand_name="Range Card")
    await make_product(FIXED_CARD, face="10", brand_name="Fixed Card")
    agent = await make_party(PartyKind.AGENT, name="Agent", funds=500_00)
    async with atomic():
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=RANGE_CARD, actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=FIXED_CARD, actor=ADMIN, denominations=["10"])
    await make_member(agent, telegram_user_id=700)
    return agent


async def _to_summary(harness, user: int = 700, *, face: str = "25", quantity_button: str = "2") -> None:
    await harness.send(user, "/order")
    await harness.press(user, harness.button(user, "Range Card"))
    await harness.send(user, face)
    await harness.press(user, harness.button(user, quantity_button))


async def test_ordering_a_range_card_holds_the_money_once_and_queues_the_order(harness, shop, redis):
    await _to_summary(harness)
    summary = harness.last_text(700)
    assert summary.startswith("🧾 2 cards: Range Card") and "25 USD" in summary
    assert "Total: 50.00 USD" in summary and "Your balance after: 450.00 USD" in summary
    confirm = harness.button(700, "Confirm")
    await harness.press(700, confirm)
    [order] = await Order.all()
    assert (order.quantity, order.face_value, order.total, order.chat_id) == (2, Decimal("25"), 50_00, 700)
    assert order.message_id == harness.api.sent_messages(700)[-1]["message_id"]
    assert "being placed" in harness.last_text(700) or "waiting to be placed" in harness.last_text(700)
    assert await redis.exists(f"arq:job:place_order:{order.id}")
    assert (await ledger.read_wallet(party_id=shop.id)).held == 50_00

    await harness.press(700, confirm)  # the second press moves nothing
    assert await Order.all().count() == 1 and (await ledger.read_wallet(party_id=shop.id)).held == 50_00
    assert "already used" in harness.toasts()[-1]


async def test_a_fixed_card_offers_its_denominations_as_buttons(harness, shop):
    await harness.send(700, "/order")
    await harness.press(700, harness.button(700, "Fixed Card"))
    assert [text for text, _ in harness.buttons(700)][:1] == ["10 USD"]
    await harness.press(700, harness.button(700, "10 USD"))
    await harness.press(700, harness.button(700, "1"))
    assert "Total: 10.00 USD" in harness.last_text(700)


async def test_a_typed_value_that_is_not_an_amount_or_out_of_range_moves_nothing(harness, shop):
    await harness.send(700, "/order")
    await harness.press(700, harness.button(700, "Range Card"))
    for junk in ("abc", "12.345", "1e3", "500", "-5"):
        await harness.send(700, junk)
        assert "not a value for this card" in harness.last_text(700)
    await harness.send(700, "12,5")  # a comma as the decimal mark is fine
    assert "how many" in harness.last_text(700)
    assert not await Order.exists()


async def test_someone_elses_confirm_changes_nothing_and_the_buyers_stays_usable(harness, shop):
    await _to_summary(harness)
    confirm = harness.button(700, "Confirm")
    other = await make_party(PartyKind.AGENT, funds=100_00)
    await make_member(other, telegram_user_id=701)
    message_id = harness.api.sent_messages(700)[-1]["message_id"]
    await harness.press(701, confirm, message_id=message_id, chat_id=700)
    assert not await Order.exists() and "already used or has expired" in harness.toasts()[-1]
    await harness.press(700, confirm)
    assert await Order.filter(party_id=shop.id).count() == 1


async def test_a_viewer_cannot_order_and_a_frozen_party_is_refused(harness, shop):
    await make_member(shop, telegram_user_id=702, role="viewer")
    await harness.send(702, "/order")
    assert "role" in harness.last_text(702)
    await _to_summary(harness)
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=shop.id)
    await harness.press(700, harness.button(700, "Confirm"))
    assert not await Order.exists()
    assert "not active" in harness.toasts()[-1]


async def test_orders_list_shows_masked_codes_and_reveal_sends_a_message_that_is_deleted_later(harness, shop, redis):
    from bot.notifier import AiogramNotifier
    from jobs.telegram import delete_message

    await _to_summary(harness, quantity_button="1")
    await harness.press(700, harness.button(700, "Confirm"))
    order = await Order.get()
    await Order.filter(id=order.id).update(status="completed", cards_delivered=1)
    await Card.create(order_id=order.id, vendor_card_id="c1", code_encrypted=encrypt("SECRETCODE12345678"),
                      pin_encrypted=encrypt("123"), code_last4="5678")

    await harness.send(700, "/orders")
    await harness.press(700, harness.buttons(700)[0][1])  # the newest order
    assert "****5678" in harness.last_text(700) and "SECRETCODE" not in harness.last_text(700)
    await harness.press(700, harness.button(700, "Reveal"))
    revealed = harness.api.sent_messages(700)[-1]
    assert "SECRETCODE12345678" in revealed["text"] and "123" in revealed["text"]
    assert await redis.exists(f"arq:job:delete_message:700:{revealed['message_id']}")
    assert await AuditEntry.filter(action="card.reveal", actor="tg:700").count() == 1

    assert await delete_message({"telegram": AiogramNotifier(harness.bot)}, 700, revealed["message_id"])
    assert all("SECRETCODE" not in m.get("text", "") for m in harness.api.sent_messages(700))


async def test_a_forged_reveal_of_someone_elses_order_shows_nothing(harness, shop):
    await _to_summary(harness, quantity_button="1")
    await harness.press(700, harness.button(700, "Confirm"))
    order = await Order.get()
    await Order.filter(id=order.id).update(status="completed", cards_delivered=1)
    card = await Card.create(order_id=order.id, vendor_card_id="c1", code_encrypted=encrypt("SECRETCODE12345678"),
                             code_last4="5678")
    stranger = await make_party(PartyKind.AGENT)
    await make_member(stranger, telegram_user_id=703)
    await harness.send(703, "/menu")
    await harness.press(703, f"os:reveal:{order.id.hex}:{card.id}:0")
    assert all("SECRETCODE" not in m.get("text", "") for m in harness.api.sent_messages(703))
    assert not await AuditEntry.filter(action="card.reveal").exists()
