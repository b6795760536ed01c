"""Finding orders that should be moving and are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.orders.models import OPEN_STATUSES, Order


async def stuck_orders(*, older_than_seconds: float, limit: int = 500) -> list[tuple[str, str]]:
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
    # A halted order waits for an admin (core.orders.resolve): re-enqueueing it would loop.
    rows = await Order.filter(status__in=list(OPEN_STATUSES), updated_at__lt=cutoff, halted_at__isnull=True) \
        .order_by("updated_at").limit(limit).values_list("id", "status")
    return [(str(order_id), status) for order_id, status in rows]
