"""Our vendor bookings against Bamboo's transactions report: quiet when they agree, one admin
alert per drift (a charge booked from the quote, a charge for a requestId we do not know)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.db import atomic
from core.orders import resolve, vendor_charges
from core.orders.models import Order, OrderStatus
from core.orders.settle import DeliveredCard
from core.vendors.bamboo import OrderProduct
from jobs import vendor_checks
from tests.integration.orders.order_support import ADMIN, admin_alerts, an_admin_listens, create
from tests.support.vendor import MAGIC_RANGE_PRODUCT, drive, sim_admin

WINDOW = timedelta(hours=48)


async def settled_orders(network, vendor) -> list[Order]:
    orders = [await create(network["sub"], face, quantity) for face, quantity in
              (("20.00", 2), ("20.02", 4), ("20.01", 1), ("20.00", 1))]  # completed, partial, failed, completed
    for order in orders:
        await drive(order.id, vendor)
        await order.refresh_from_db()
    return orders


async def test_bookings_that_match_bamboos_transactions_reconcile_quietly(network, vendor):
    orders = await settled_orders(network, vendor)
    assert [o.status for o in orders] == [OrderStatus.COMPLETED, OrderStatus.PARTIALLY_COMPLETED,
                                          OrderStatus.FAILED, OrderStatus.COMPLETED]

    result = await vendor_charges.reconcile(vendor=vendor, window=WINDOW, margin=timedelta(0))

    assert result.orders_checked == 4 and result.drifts == []


async def test_drift_is_found_and_alerted_once(network, vendor, simulator, redis):
    await an_admin_listens()
    await settled_orders(network, vendor)
    # 1. Bamboo charges 5 % off face while our catalog says 10 %; an admin completes the order with cards
    #    typed in by hand, so the quote's cost is booked, not Bamboo's charge.
    await sim_admin(simulator[0], f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch", {"discount": "5"})
    by_hand = await create(network["sub"], "20.00", 2)
    await vendor.place_order(request_id=by_hand.vendor_request_id, account_id=555,
                             products=[OrderProduct(product_id=MAGIC_RANGE_PRODUCT, quantity=2, value=Decimal("20"))])
    await Order.filter(id=by_hand.id).update(status=OrderStatus.PROCESSING, attempts=1)
    async with atomic():
        await resolve.complete_order(actor=ADMIN, order_id=by_hand.id, cards=[
            DeliveredCard(vendor_card_id=f"m{i}", code=f"TYPED-BY-AN-ADMIN-{i:04d}") for i in range(2)])
    # 2. A charge for a requestId no order of ours has.
    stranger = str(uuid.uuid4())
    await vendor.place_order(request_id=stranger, account_id=555,
                             products=[OrderProduct(product_id=MAGIC_RANGE_PRODUCT, quantity=1, value=Decimal("10"))])

    result = await vendor_charges.reconcile(vendor=vendor, window=WINDOW, margin=timedelta(0))

    drifts = {d.order_id or d.request_id: d for d in result.drifts}
    assert set(drifts) == {str(by_hand.id), stranger}
    assert (drifts[str(by_hand.id)].at_vendor, drifts[str(by_hand.id)].ours) == (Decimal("38"), Decimal("36.00"))
    assert drifts[stranger].at_vendor == Decimal("9.5")
    assert result.totals() == {"USD": Decimal("11.50")}

    # The hourly job: settled orders older than its margin, one alert for this set of drifts.
    await Order.all().update(completed_at=datetime.now(UTC) - timedelta(minutes=30))
    ctx = {"redis": redis, "vendor": vendor}
    assert await vendor_checks.reconcile_vendor_charges(ctx) == 2
    assert await vendor_checks.reconcile_vendor_charges(ctx) == 2
    alerts = await admin_alerts("admin.vendor_drift")
    assert len(alerts) == 1 and alerts[0].payload["params"]["count"] == 2
    assert alerts[0].payload["params"]["amounts"] == "USD +11.50"
