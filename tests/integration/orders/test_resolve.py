"""Orders stuck at the vendor: flagged once after ORDER_ATTENTION_AFTER_HOURS, listed for admins,
settled by an admin by hand — failed and released, or completed with its cards — audited, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.errors import PermissionDenied
from core.audit.models import AuditEntry
from core.db import atomic, run_atomic
from core.ledger.invariants import check_ledger
from core.ledger.models import Hold, HoldStatus, Operation
from core.orders import attention, pipeline, resolve
from core.orders.models import Card, Order, OrderStatus
from core.orders.settle import DeliveredCard
from core.vendors.bamboo import OrderProduct
from jobs import vendor_checks
from tests.factories import member_actor
from tests.integration.orders.order_support import ADMIN, admin_alerts, an_admin_listens, create
from tests.support.vendor import MAGIC_RANGE_PRODUCT, drive

OVERDUE = timedelta(hours=24)


async def backdate(order: Order, hours: float) -> None:
    await Order.filter(id=order.id).update(created_at=datetime.now(UTC) - timedelta(hours=hours))


async def placed_at_bamboo_only(order: Order, vendor, face: str = "20.00") -> None:
    """Bamboo has the order; our side lost track of it (its jobs gone, the worker stopped)."""
    await vendor.place_order(request_id=order.vendor_request_id, account_id=555,
                             products=[OrderProduct(product_id=MAGIC_RANGE_PRODUCT, quantity=order.quantity,
                                                    value=Decimal(face))])
    await Order.filter(id=order.id).update(status=OrderStatus.PROCESSING, attempts=1)


async def test_an_order_open_too_long_is_flagged_once_and_listed_for_admins(network, redis):
    await an_admin_listens()
    sub = network["sub"]
    old = await create(sub, "20.00")
    fresh = await create(sub, "20.00")
    await backdate(old, 25)
    ctx = {"redis": redis}

    assert await vendor_checks.flag_overdue_orders(ctx) == 1
    assert await vendor_checks.flag_overdue_orders(ctx) == 0  # still open: not flagged or alerted again

    await old.refresh_from_db()
    assert old.attention_at is not None and "open for more than 24 h" in old.attention_reason
    assert old.halted_at is None  # the worker keeps polling it
    alerts = await admin_alerts("admin.orders_overdue")
    assert len(alerts) == 1 and alerts[0].payload["params"]["count"] == 1
    listed = await attention.orders_needing_attention(actor=ADMIN, overdue_after=OVERDUE)
    assert [item.order.id for item in listed] == [old.id] and fresh.id not in [i.order.id for i in listed]
    with pytest.raises(PermissionDenied):
        await attention.orders_needing_attention(actor=await member_actor(sub), overdue_after=OVERDUE)


async def test_an_admin_fails_a_stuck_order_once_and_the_buyer_gets_the_money_back(network):
    sub = network["sub"]
    owner = await member_actor(sub)
    order = await create(sub, "20.00", quantity=2, actor=owner)
    await Order.filter(id=order.id).update(status=OrderStatus.PROCESSING, attempts=1)
    with pytest.raises(PermissionDenied):
        async with atomic():
            await resolve.fail_order(actor=owner, order_id=order.id, reason="mine")

    async with atomic():
        resolved = await resolve.fail_order(actor=ADMIN, order_id=order.id, reason="Bamboo support: never placed")
    with pytest.raises(resolve.OrderAlreadySettled):
        async with atomic():
            await resolve.fail_order(actor=ADMIN, order_id=order.id, reason="again")

    await order.refresh_from_db()
    assert (order.status, order.failure_code, order.failure_message) == (
        OrderStatus.FAILED, "admin.failed", "Bamboo support: never placed")
    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released, hold.status) == (0, order.total, HoldStatus.SETTLED)
    assert [n.event_type for n in resolved.notifications] == ["order.failed"]  # the member who ordered hears
    assert resolved.notifications[0].telegram_user_id == owner.telegram_user_id
    trail = await AuditEntry.filter(action="order.resolve", object_id=str(order.id))
    assert len(trail) == 1 and trail[0].actor == ADMIN.label and trail[0].after["action"] == "fail"
    assert await check_ledger() == []


async def test_concurrent_resolutions_and_a_late_worker_settle_an_order_exactly_once(network, vendor):
    order = await create(network["sub"], "20.00", quantity=2)
    await placed_at_bamboo_only(order, vendor)
    vendor_order = await vendor.get_order(order.vendor_request_id)
    assert vendor_order.is_terminal

    async def by_admin(i: int):
        try:
            if i % 2:
                return await run_atomic(lambda: resolve.fail_order(actor=ADMIN, order_id=order.id, reason="stuck"))
            return await run_atomic(lambda: resolve.complete_from_vendor(actor=ADMIN, order_id=order.id,
                                                                         vendor_order=vendor_order))
        except resolve.OrderAlreadySettled:
            return "refused"

    outcomes = await asyncio.gather(*(by_admin(i) for i in range(6)),
                                    pipeline.settle(order_id=order.id, vendor_order=vendor_order))
    assert outcomes[-1].action == "done"
    admin_wins = [o for o in outcomes[:-1] if o != "refused"]
    await order.refresh_from_db()
    assert order.status in (OrderStatus.COMPLETED, OrderStatus.FAILED)
    # One settlement, whoever came first: a capture (completed) or a release (failed), never both or twice.
    settlements = await Operation.filter(kind__in=["order_capture", "order_release"], reference=f"hold:{order.hold_id}")
    assert len(settlements) == 1
    assert len(admin_wins) == (0 if settlements[0].actor == "worker" else 1)
    assert await AuditEntry.filter(action="order.resolve", object_id=str(order.id)).count() == len(admin_wins)
    assert await check_ledger() == []


async def test_an_admin_completes_a_halted_order_from_what_bamboo_delivered(network, vendor):
    order = await create(network["sub"], "20.00", quantity=2)
    await placed_at_bamboo_only(order, vendor)
    await Order.filter(id=order.id).update(halted_at=datetime.now(UTC), attention_at=datetime.now(UTC),
                                           attention_reason="settlement failed: test")
    assert (await drive(order.id, vendor)) == ["done"]  # the worker leaves a halted order alone

    vendor_order = await vendor.get_order(order.vendor_request_id)
    async with atomic():
        resolved = await resolve.complete_from_vendor(actor=ADMIN, order_id=order.id, vendor_order=vendor_order)

    order = resolved.order
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 2
    issued = [c.card_code.get_secret_value() for c in vendor_order.cards()]
    assert sorted(c.code_last4 for c in await Card.filter(order_id=order.id)) == sorted(code[-4:] for code in issued)
    assert (order.vendor_cost_source, order.vendor_charged) == ("vendor", vendor_order.total)
    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released) == (order.total, 0)
    entry = await AuditEntry.get(action="order.resolve", object_id=str(order.id))
    assert entry.after["action"] == "complete" and entry.after["cards"] == 2
    assert not any(code in str(entry.after) for code in issued)  # the audit never holds a code
    assert await check_ledger() == []


async def test_cards_entered_by_an_admin_complete_the_order_at_the_quoted_cost(network):
    order = await create(network["sub"], "20.00", quantity=3)
    await Order.filter(id=order.id).update(status=OrderStatus.PROCESSING, attempts=1)
    cards = [DeliveredCard(vendor_card_id=f"manual-{i}", code=f"CODE-ENTERED-BY-HAND-{i:04d}") for i in range(2)]
    with pytest.raises(resolve.NoCardsToComplete):
        async with atomic():
            await resolve.complete_order(actor=ADMIN, order_id=order.id, cards=[])

    async with atomic():
        resolved = await resolve.complete_order(actor=ADMIN, order_id=order.id, cards=cards, reason="from support")

    order = resolved.order
    assert order.status == OrderStatus.PARTIALLY_COMPLETED and order.cards_delivered == 2
    assert (order.vendor_cost_source, order.vendor_cost) == ("quote", 2 * order.quote["vendor_unit_cost"])
    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released) == (2 * order.unit_price, order.unit_price)
    async with atomic():
        from core.orders import service as orders

        revealed = await orders.reveal_cards(actor=ADMIN, order_id=order.id)
    assert sorted(c.code for c in revealed) == sorted(c.code for c in cards)
    assert await check_ledger() == []
