"""Growth metrics for admins, each figure as core.reports.metrics defines it: signups, activations (first
sale), delivered orders, GMV, revenue (the ledger's revenue account, from settlements) and margin — live
business only, per currency, per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.access.errors import NotAdmin
from core.catalog import cardlists
from core.db import atomic
from core.orders import resolve
from core.orders import service as orders
from core.orders.models import Order
from core.orders.settle import DeliveredCard
from core.parties.models import Party, PartyKind
from core.pricing import service as pricing
from core.reports.metrics import growth_metrics
from core.reports.service import Period
from tests.factories import ADMIN, make_party, make_product, member_actor

pytestmark = pytest.mark.usefixtures("db")
PRODUCT = 7301


@pytest.fixture
async def network():
    """An agent at 5 % with a sub-agent at 3 %; the card costs us 90 % of its face."""
    await make_product(PRODUCT, face=("1", "500"), vendor_discount="0.10")
    agent = await make_party(PartyKind.AGENT, name="Agent", funds=2_000_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sub", funds=1_000_00)
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await pricing.set_discount(actor=ADMIN, rate="0.03", party_kind=PartyKind.SUBAGENT)
        await cardlists.put_item(card_list=await cardlists.default_agent_list(actor=ADMIN), product_id=PRODUCT,
                                 actor=ADMIN)
    return agent, sub


async def sold(party: Party, face: str, quantity: int, *, delivered: int | None = None, days_ago: int = 0,
               actor=ADMIN) -> Order:
    """An order settled through the real settlement (capture and release), `days_ago` days back."""
    async with atomic():
        created = await orders.create_order(actor=actor, party_id=party.id, product_id=PRODUCT,
                                            face_value=Decimal(face), quantity=quantity)
    count = quantity if delivered is None else delivered
    cards = [DeliveredCard(vendor_card_id=f"c{i}", code=f"CODE-{created.order.id.hex[:6]}-{i:04d}") for i in range(count)]
    async with atomic():
        if cards:
            await resolve.complete_order(actor=ADMIN, order_id=created.order.id, cards=cards)
        else:
            await resolve.fail_order(actor=ADMIN, order_id=created.order.id, reason="test")
    if days_ago:
        now = datetime.now(UTC)
        await Order.filter(id=created.order.id).update(completed_at=now - timedelta(days=days_ago))
    return await Order.get(id=created.order.id)


async def test_gmv_revenue_and_margin_come_from_settled_orders_and_the_revenue_account(network):
    agent, sub = network
    await sold(agent, "100", 1)  # pays 95.00; vendor 90.00 → revenue 5.00
    await sold(sub, "100", 2)  # pays 2 × 97.00; vendor 180.00; the agent's commission 4.00 → revenue 10.00
    metrics = await growth_metrics(actor=ADMIN, period=Period.TODAY)
    [usd] = metrics.by_currency
    assert (usd.currency, usd.orders, usd.cards, usd.gmv, usd.revenue) == ("USD", 2, 3, 289_00, 15_00)
    assert usd.margin == Decimal("0.0519")  # 15 / 289, half-up to 4 places
    assert metrics.orders == 2 and metrics.cards == 3 and metrics.main_currency == "USD"
    assert metrics.daily["USD"][-1] == (datetime.now(UTC).date(), 289_00)


async def test_a_partial_delivery_counts_only_what_was_delivered(network):
    agent, _ = network
    await sold(agent, "100", 3, delivered=1)
    [usd] = (await growth_metrics(actor=ADMIN, period=Period.TODAY)).by_currency
    assert (usd.orders, usd.cards, usd.gmv, usd.revenue) == (1, 1, 95_00, 5_00)


async def sandbox_partner() -> tuple[Party, dict]:
    """A partner ordering with its test key: its orders are sandbox orders."""
    from core.access import api_keys
    from core.access.actor import Actor
    from core.parties.models import PartyKind
    from tests.factories import make_party

    partner = await make_party(PartyKind.PARTNER)
    async with atomic():
        key = (await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=False)).key
    return partner, {"actor": Actor.api_key(key_id=key.id, party_id=partner.id, prefix=key.prefix, livemode=False)}


async def test_failed_and_sandbox_orders_are_not_business(network):
    agent, sub = network
    await sold(agent, "100", 1, delivered=0)
    partner, test_key = await sandbox_partner()
    await sold(partner, "100", 1, **test_key)
    metrics = await growth_metrics(actor=ADMIN, period=Period.DAYS_30)
    assert metrics.by_currency == [] and metrics.orders == 0 and metrics.activations == 0


async def test_periods_count_whole_utc_days_back_from_today(network):
    agent, sub = network
    await sold(agent, "100", 1, days_ago=10)
    await sold(sub, "50", 1, days_ago=3)  # 48.50
    assert (await growth_metrics(actor=ADMIN, period=Period.TODAY)).orders == 0
    week = await growth_metrics(actor=ADMIN, period=Period.DAYS_7)
    assert [(f.orders, f.gmv) for f in week.by_currency] == [(1, 48_50)]
    month = await growth_metrics(actor=ADMIN, period=Period.DAYS_30)
    assert [(f.orders, f.gmv) for f in month.by_currency] == [(2, 143_50)]
    assert len(month.daily["USD"]) == 30 and sum(v for _, v in month.daily["USD"]) == 143_50


async def test_activations_count_a_partys_first_sale_only(network):
    agent, sub = network
    await sold(agent, "100", 1, days_ago=20)  # the agent's first sale: 20 days ago
    await sold(agent, "100", 1)
    await sold(sub, "100", 1, days_ago=2)
    assert (await growth_metrics(actor=ADMIN, period=Period.DAYS_7)).activations == 1  # the sub-agent
    assert (await growth_metrics(actor=ADMIN, period=Period.DAYS_30)).activations == 2


async def test_signups_are_the_parties_created_in_the_period_by_kind(network):
    await make_party(PartyKind.PARTNER)
    old = await make_party(PartyKind.AGENT)
    await Party.filter(id=old.id).update(created_at=datetime.now(UTC) - timedelta(days=40))
    metrics = await growth_metrics(actor=ADMIN, period=Period.DAYS_30)
    assert metrics.signups == {"agent": 1, "subagent": 1, "partner": 1} and metrics.total_signups == 3


async def test_the_platform_paying_a_vendor_overcharge_lowers_revenue(network):
    from core.orders.settle import VendorCharge

    agent, _ = network
    async with atomic():
        created = await orders.create_order(actor=ADMIN, party_id=agent.id, product_id=PRODUCT,
                                            face_value=Decimal(100), quantity=1)
    async with atomic():
        await resolve.complete_order(actor=ADMIN, order_id=created.order.id,
                                     cards=[DeliveredCard(vendor_card_id="x", code="CODE-OVERCHARGED-0001")],
                                     charge=VendorCharge(amount=Decimal("97.00"), currency="USD"))
    [usd] = (await growth_metrics(actor=ADMIN, period=Period.TODAY)).by_currency
    assert (usd.gmv, usd.revenue) == (95_00, -2_00) and usd.margin == Decimal("-0.0211")


async def test_only_admins_read_the_metrics(network):
    agent, _ = network
    with pytest.raises(NotAdmin):
        await growth_metrics(actor=await member_actor(agent), period=Period.TODAY)
