"""arq tasks for the order pipeline: run one core step, then schedule the next one."""

from __future__ import annotations

import time

from core.config import get_settings
from core.orders import pipeline
from core.notifications.service import collect_outbox
from core.orders.models import Order
from jobs.enqueue import enqueue_place, enqueue_poll


async def _follow(ctx, order_id: str, step: pipeline.Step, written: list) -> None:
    """Deliver what the step wrote (its own rows and, e.g., the buyer's live order message), then
    schedule the next step."""
    redis = ctx["redis"]
    rows = {row.id: row for row in [*step.notifications, *written]}
    if rows:
        from jobs.notifications import enqueue_deliveries

        await enqueue_deliveries(redis, rows.values())
    if step.action == "done":
        return
    order = await Order.get(id=order_id)
    if step.action == "place":
        await enqueue_place(redis, order_id, attempt=f"{order.attempts}.{order.deferrals}", delay=step.delay)
    else:
        await enqueue_poll(redis, order_id, sequence=f"{order.attempts}.{order.polls}", delay=step.delay,
                           placement_over=step.placement_over)


async def _vendor(ctx, order_id: str):
    from jobs.sandbox import vendor_for

    livemode = await Order.filter(id=order_id).first().values_list("livemode", flat=True)
    return vendor_for(ctx, livemode=livemode is not False)


async def place_order(ctx, order_id: str) -> str:
    with collect_outbox() as written:
        step = await pipeline.place(order_id=order_id, vendor=await _vendor(ctx, order_id))
    await _follow(ctx, order_id, step, written)
    return step.action


async def poll_order(ctx, order_id: str, placement_over: int | None = None) -> str:
    with collect_outbox() as written:
        step = await pipeline.poll(order_id=order_id, vendor=await _vendor(ctx, order_id),
                                   placement_over=placement_over)
    await _follow(ctx, order_id, step, written)
    return step.action


async def reconcile_orders(ctx) -> int:
    """Re-enqueue orders stuck in pending/placing/processing: a lost job never strands an order."""
    from core.orders.reconcile import stuck_orders
    from core.orders.models import OrderStatus

    bucket = int(time.time() // 60)
    count = 0
    stuck_after = ctx.get("stuck_after", get_settings().order_stuck_after_seconds)
    for order_id, status in await stuck_orders(older_than_seconds=stuck_after):
        if status == OrderStatus.PENDING:
            count += await enqueue_place(ctx["redis"], order_id, attempt=f"r{bucket}")
        else:
            count += await enqueue_poll(ctx["redis"], order_id, sequence=f"r{bucket}")
    return count


FUNCTIONS = [place_order, poll_order, reconcile_orders]
