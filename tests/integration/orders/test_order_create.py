"""Creating an order: validate, price, insert and hold in one transaction; idempotent on reference."""

from __future__ import annotations

from core.access.actor import Actor
import asyncio
from decimal import Decimal

import pytest

from core.db import atomic
from core.ledger import service as ledger
from core.ledger.invariants import check_ledger
from core.orders import service as orders
from core.orders.errors import OrderInsufficientFunds, PriceChanged, ReferenceConflict
from core.orders.models import Order, OrderStatus
from core.orders.service import check_transition
from core.orders.errors import InvalidOrderTransition
from core.parties import service as parties
from core.parties.models import MemberRole
from core.parties.errors import PartyInactive
from core.pricing.errors import InvalidFaceValue, InvalidQuantity, ProductNotFound
from tests.support.vendor import MAGIC_RANGE_PRODUCT


async def create(party, face="20", quantity=1, **kwargs):
    async with atomic():
        return await orders.create_order(party_id=party.id, product_id=MAGIC_RANGE_PRODUCT,
                                         face_value=Decimal(face), quantity=quantity, actor=Actor.admin(label="test"), **kwargs)


async def test_create_prices_inserts_and_holds_the_total(network):
    sub = network["sub"]
    created = await create(sub, face="50", quantity=3, reference="po-1")
    order = created.order
    assert created.created and order.status == OrderStatus.PENDING
    assert (order.unit_price, order.total) == (48_50, 145_50)  # 50 × (1 − 0.03), three cards
    assert order.quote["commission_unit"] == 1_00 and order.quote["parent_discount"] == "0.0500"
    summary = await ledger.read_wallet(party_id=sub.id)
    assert (summary.available, summary.held) == (1_000_00 - 145_50, 145_50)
    assert await check_ledger() == []


async def test_repeated_reference_returns_the_first_order_and_moves_money_once(network):
    sub = network["sub"]
    first = await create(sub, reference="po-7")
    again = await create(sub, reference="po-7")
    assert not again.created and again.order.id == first.order.id
    with pytest.raises(ReferenceConflict):
        await create(sub, face="21", reference="po-7")
    assert (await ledger.read_wallet(party_id=sub.id)).held == first.order.total


async def test_concurrent_duplicates_create_one_order(network):
    sub = network["sub"]

    async def attempt():
        return (await create(sub, reference="dup-1")).order.id

    ids = await asyncio.gather(*(attempt() for _ in range(15)))
    assert len(set(ids)) == 1
    assert await Order.filter(party_id=sub.id).count() == 1
    assert (await ledger.read_wallet(party_id=sub.id)).held == 19_40
    assert await check_ledger() == []


async def test_refused_orders_move_no_money(network):
    sub = network["sub"]
    with pytest.raises(OrderInsufficientFunds):
        await create(sub, face="900", quantity=2)
    with pytest.raises(InvalidQuantity):
        await create(sub, quantity=0)
    with pytest.raises(InvalidQuantity):
        await create(sub, quantity=501)
    with pytest.raises(InvalidFaceValue):
        await create(sub, face="1001")
    with pytest.raises(InvalidFaceValue):
        await create(sub, face="10.001")
    with pytest.raises(PriceChanged):
        await create(sub, face="20", expected_total=19_39)
    async with atomic():
        with pytest.raises(ProductNotFound):
            await orders.create_order(party_id=sub.id, product_id=424242, face_value=Decimal("10"), quantity=1,
                                      actor=Actor.admin(label="test"))
    async with atomic():
        await parties.freeze(party_id=sub.id, actor=Actor.admin(label="test"))
    with pytest.raises(PartyInactive):
        await create(sub)
    assert await Order.all().count() == 0
    summary = await ledger.read_wallet(party_id=sub.id)
    assert (summary.available, summary.held) == (1_000_00, 0)


def test_status_machine_only_allows_its_doors():
    check_transition(OrderStatus.PENDING, OrderStatus.PLACING)
    check_transition(OrderStatus.PLACING, OrderStatus.PENDING)
    check_transition(OrderStatus.PROCESSING, OrderStatus.PARTIALLY_COMPLETED)
    for current, to in [(OrderStatus.COMPLETED, OrderStatus.FAILED), (OrderStatus.FAILED, OrderStatus.PENDING),
                        (OrderStatus.PROCESSING, OrderStatus.PENDING), (OrderStatus.PENDING, OrderStatus.COMPLETED)]:
        with pytest.raises(InvalidOrderTransition):
            check_transition(current, to)


async def test_an_order_that_takes_the_wallet_below_the_threshold_returns_the_alert(network):
    sub = network["sub"]  # 1,000.00 in the wallet
    async with atomic():
        await parties.bind_member(party_id=sub.id, telegram_user_id=9200, role=MemberRole.OWNER, actor=Actor.admin(label="t"))
        created = await orders.create_order(party_id=sub.id, product_id=MAGIC_RANGE_PRODUCT,
                                            face_value=Decimal("990"), quantity=1, actor=Actor.admin(label="t"))
    assert created.order.total == 960_30  # 1,000 → 39.70
    assert [n.event_type for n in created.notifications] == ["wallet.low_balance"]
    assert await _telegram_keys(9200) == ["wallet.low_balance"]


async def _telegram_keys(telegram_user_id: int) -> list[str]:
    from core.notifications.models import Notification

    return [n.event_type for n in await Notification.filter(telegram_user_id=telegram_user_id).order_by("id")]
