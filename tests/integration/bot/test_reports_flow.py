"""/report through the real dispatcher: periods edited in place, own sales and commission, the per-sub-agent
table, the chart photo, and who may read which report."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.catalog import cardlists
from core.db import atomic
from core.orders import service as orders
from core.orders.models import Order
from core.parties.models import PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")
PRODUCT = 7201


@pytest.fixture
async def shop():
    """An agent (owner 800) with two sub-agents (owners 801, 802); agents get 5 %, sub-agents 3 %."""
    await make_product(PRODUCT, face=("1", "500"))
    agent = await make_party(PartyKind.AGENT, name="Agent", funds=1_000_00)
    sub1 = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub One", funds=500_00)
    sub2 = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub Two", funds=500_00)
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await pricing.set_discount(actor=ADMIN, rate="0.03", party_kind=PartyKind.SUBAGENT)
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=PRODUCT, actor=ADMIN)
    for party, user in ((agent, 800), (sub1, 801), (sub2, 802)):
        await make_member(party, telegram_user_id=user)
    return agent, sub1, sub2


async def _sold(party, face: str, quantity: int, *, days_ago: int = 0) -> None:
    """A settled order (the money side is the pipeline's, tested there), `days_ago` whole days back."""
    async with atomic():
        created = await orders.create_order(actor=ADMIN, party_id=party.id, product_id=PRODUCT,
                                            face_value=Decimal(face), quantity=quantity)
    now = datetime.now(UTC)
    when = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=1)) - timedelta(days=days_ago)
    await Order.filter(id=created.order.id).update(status="completed", cards_delivered=quantity, completed_at=when)


async def test_an_agent_sees_its_sales_its_commission_and_each_subagent(harness, shop):
    agent, sub1, sub2 = shop
    await _sold(agent, "100", 1)  # 95.00
    await _sold(sub1, "100", 2, days_ago=2)  # 2 × 97.00; the agent earns 2 × 2.00
    await _sold(sub2, "50", 1, days_ago=3)  # 48.50; the agent earns 1.00
    await harness.send(800, "/report")
    text = harness.last_text(800)
    assert "Agent — the last 7 days" in text
    assert "Own sales: one order, one card, 95.00 USD" in text
    assert "Commission earned: 5.00 USD" in text
    assert "Sub One: one order, 2 cards, 194.00 USD — your commission 4.00 USD" in text
    assert "Sub Two: one order, one card, 48.50 USD — your commission 1.00 USD" in text
    assert text.index("Sub One") < text.index("Sub Two")  # the best seller first


async def test_period_buttons_edit_one_message_in_place(harness, shop):
    agent, _, _ = shop
    await _sold(agent, "100", 1, days_ago=20)
    await harness.send(800, "/report")
    assert "Own sales: 0 orders" in harness.last_text(800)
    message_id = harness.api.sent_messages(800)[-1]["message_id"]
    await harness.press(800, harness.button(800, "30 days"))
    assert len(harness.api.sent_messages(800)) == 1 and harness.api.sent_messages(800)[0]["message_id"] == message_id
    assert "the last 30 days" in harness.last_text(800) and "95.00 USD" in harness.last_text(800)
    assert "• 30 days" in [text for text, _ in harness.buttons(800)]
    await harness.press(800, harness.button(800, "Today"))
    assert "today" in harness.last_text(800) and "Own sales: 0 orders" in harness.last_text(800)


async def test_the_chart_arrives_as_a_png_photo_rendered_off_the_event_loop(harness, shop, monkeypatch):
    from bot.flows.reports import router

    agent, _, _ = shop
    await _sold(agent, "100", 1)
    threads = []
    real = router.render_daily_chart

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(router, "render_daily_chart", spy)
    await harness.send(800, "/report")
    await harness.press(800, harness.button(800, "Chart"))
    [call] = harness.api.calls_to("sendPhoto", chat_id=800)
    assert call.files["photo"].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert threads and threads[0] != threading.get_ident()
    caption = harness.api.texts(800)[-1]
    assert caption.startswith("📊 Daily sales of Agent") and "95.00 USD in total" in caption
    assert (800, "upload_photo") in harness.api.chat_actions


async def test_the_chart_caption_follows_the_members_language(harness, shop):
    from core.parties.models import Member

    await Member.filter(telegram_user_id=801).update(language="ar")
    await harness.send(801, "/report")
    assert "مبيعات الحساب" in harness.last_text(801)
    await harness.press(801, harness.button(801, "رسم بياني"))
    assert harness.api.texts(801)[-1].startswith("📊 المبيعات اليومية")


async def test_a_party_without_subagents_sees_no_table(harness, shop):
    _, sub1, _ = shop
    await _sold(sub1, "100", 1)
    await harness.send(801, "/report")
    text = harness.last_text(801)
    assert "Own sales: one order, one card, 97.00 USD" in text and "Sub-agents" not in text


async def test_a_long_subagent_table_is_paged(harness, shop):
    agent, _, _ = shop
    for n in range(10):
        await make_party(PartyKind.SUBAGENT, parent=agent, name=f"Extra {n:02d}")
    await harness.send(800, "/report")
    assert "Sub-agents: 12 (page 1 of 2)" in harness.last_text(800)
    await harness.press(800, harness.button(800, "Next"))
    assert "Sub-agents: 12 (page 2 of 2)" in harness.last_text(800)
    assert harness.last_text(800).count("\n• ") == 2


async def test_a_parent_opens_a_childs_report_and_a_child_never_its_parents(harness, shop):
    from bot.flows.reports.router import ReportCb

    agent, sub1, _ = shop
    await _sold(sub1, "100", 1)
    await harness.send(800, "/menu")
    await harness.press(800, ReportCb(action="show", period="7d", party_id=sub1.id).pack())
    assert "Sub One — the last 7 days" in harness.last_text(800) and "97.00 USD" in harness.last_text(800)

    await harness.send(801, "/report")
    await harness.press(801, ReportCb(action="show", period="7d", party_id=agent.id).pack())
    await harness.press(801, ReportCb(action="chart", period="7d", party_id=agent.id).pack())
    assert all("not yours" in toast for toast in harness.toasts()[-2:])
    assert "Agent —" not in harness.last_text(801) and not harness.api.calls_to("sendPhoto", chat_id=801)


async def test_a_forged_period_and_a_stranger_are_refused(harness, shop):
    from bot.flows.reports.router import ReportCb

    agent, _, _ = shop
    await harness.send(800, "/report")
    await harness.press(800, ReportCb(action="show", period="1y", party_id=agent.id).pack())
    assert "no longer valid" in harness.toasts()[-1]
    await harness.send(803, "/report")
    assert "not a member of any party" in harness.last_text(803)


async def test_a_viewer_of_a_frozen_party_still_reads_its_report(harness, shop):
    agent, _, _ = shop
    await _sold(agent, "100", 1)
    async with atomic():
        from core.parties import service as parties

        await parties.change_status(actor=ADMIN, party_id=agent.id, to=PartyStatus.FROZEN)
    await make_member(agent, telegram_user_id=804, role="viewer")
    await harness.send(804, "/report")
    assert "95.00 USD" in harness.last_text(804)


async def test_the_main_menus_report_button_opens_the_report_in_place(harness, shop):
    await harness.send(801, "/menu")
    await harness.press(801, harness.button(801, "📈 Report"))
    assert len(harness.api.sent_messages(801)) == 1 and "Sub One — the last 7 days" in harness.last_text(801)
