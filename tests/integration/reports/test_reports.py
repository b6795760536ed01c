"""Reports: own sales, commission earned on children's sales, per-child figures, daily series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.access.policy import AccessDenied
from core.catalog import cardlists
from core.db import atomic
from core.orders import service as orders
from core.orders.models import Order
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.reports.service import Period, children_overview, period_bounds, sales_report
from tests.factories import ADMIN, make_party, make_product, member_actor

pytestmark = pytest.mark.usefixtures("db")
PRODUCT = 7101
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
async def shop():
    await make_product(PRODUCT, face=("1", "500"))
    agent = await make_party(PartyKind.AGENT, name="Agent", funds=1_000_00)
    sub1 = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub One", funds=500_00)
    sub2 = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub Two", funds=500_00)
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await pricing.set_discount(actor=ADMIN, rate="0.03", party_kind=PartyKind.SUBAGENT)
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=PRODUCT, actor=ADMIN)
    return agent, sub1, sub2


async def _sold(party, face: str, quantity: int, delivered: int, when: datetime) -> Order:
    """An order settled with `delivered` cards at `when` (the money side is the pipeline's, tested there)."""
    async with atomic():
        created = await orders.create_order(actor=ADMIN, party_id=party.id, product_id=PRODUCT,
                                            face_value=Decimal(face), quantity=quantity)
    await Order.filter(id=created.order.id).update(
        status="completed" if delivered == quantity else "partially_completed", cards_delivered=delivered,
        completed_at=when)
    return created.order


def test_periods_are_whole_utc_days_ending_today():
    assert period_bounds(Period.TODAY, now=NOW) == (datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, tzinfo=UTC))
    assert period_bounds(Period.DAYS_7, now=NOW)[0] == datetime(2026, 11, 12, tzinfo=UTC)
    assert period_bounds(Period.DAYS_30, now=NOW)[0] == datetime(2026, 10, 20, tzinfo=UTC)
    assert period_bounds(Period.MONTH, now=NOW)[0] == datetime(2026, 11, 1, tzinfo=UTC)


async def test_report_counts_delivered_cards_and_the_commission_earned_on_each_child(shop):
    agent, sub1, sub2 = shop
    await _sold(agent, "100", 1, 1, NOW - timedelta(hours=1))  # 95.00
    await _sold(sub1, "100", 2, 2, NOW - timedelta(days=2))  # 2 × 97.00; agent earns 2 × 2.00
    await _sold(sub2, "50", 4, 1, NOW - timedelta(days=3))  # 1 of 4: 48.50; agent earns 1.00
    await _sold(sub2, "50", 1, 1, NOW - timedelta(days=40))  # outside 30 days
    await _sold(sub1, "10", 1, 0, NOW)  # nothing delivered: no sale

    week = await sales_report(actor=await member_actor(agent, role="viewer"), party_id=agent.id,
                              period=Period.DAYS_7, now=NOW)
    assert (week.own.orders, week.own.cards, week.own.gmv) == (1, 1, 95_00)
    assert week.commission == 4_00 + 1_00
    by_child = {c.name: (c.sales.orders, c.sales.cards, c.sales.gmv, c.commission) for c in week.children}
    assert by_child == {"Sub One": (1, 2, 194_00, 4_00), "Sub Two": (1, 1, 48_50, 1_00)}
    assert len(week.daily) == 7 and week.daily[-1] == (NOW.date(), 95_00) and sum(v for _, v in week.daily) == 95_00

    today = await sales_report(actor=ADMIN, party_id=agent.id, period=Period.TODAY, now=NOW)
    assert today.commission == 0 and today.own.gmv == 95_00 and len(today.daily) == 1

    child_view = await sales_report(actor=await member_actor(sub2), party_id=sub2.id, period=Period.DAYS_30, now=NOW)
    assert (child_view.own.orders, child_view.own.gmv, child_view.commission) == (1, 48_50, 0)


async def test_reports_are_for_the_party_its_parent_and_admins_only(shop):
    agent, sub1, sub2 = shop
    assert (await sales_report(actor=await member_actor(agent), party_id=sub1.id, period=Period.MONTH)).party_id == sub1.id
    for stranger in (await member_actor(sub2), await member_actor(await make_party(name="Other"))):
        with pytest.raises(AccessDenied):
            await sales_report(actor=stranger, party_id=sub1.id, period=Period.MONTH)
    with pytest.raises(AccessDenied):  # a child never reads its parent's report
        await sales_report(actor=await member_actor(sub1), party_id=agent.id, period=Period.MONTH)


async def test_children_overview_shows_balance_and_this_months_sales(shop):
    agent, sub1, sub2 = shop
    await _sold(sub1, "100", 1, 1, NOW - timedelta(days=1))
    overview = await children_overview(actor=await member_actor(agent, role="manager"), party_id=agent.id, now=NOW)
    assert [(c.name, c.available, c.month.gmv) for c in overview] == [
        ("Sub One", 500_00 - 97_00, 97_00), ("Sub Two", 500_00, 0)]
    with pytest.raises(AccessDenied):
        await children_overview(actor=await member_actor(sub1), party_id=agent.id)
