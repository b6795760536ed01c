"""Orders an admin must look at: settlement halted, or open at the vendor for too long.

An order is flagged once (`attention_at`, `attention_reason`), in the same transaction as the
admins' alert rows, so the alert is neither lost nor repeated. A halted order (`halted_at`) is left
alone by the worker and the reconciler; an overdue one keeps being polled. Either way an admin
settles it by hand with `core.orders.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from core.access.actor import Actor
from core.access.policy import require_admin
from core.db import require_transaction
from core.orders.models import OPEN_STATUSES, Order

ATTENTION_LIST_LIMIT = 100


async def flag_for_attention(order: Order, *, reason: str, halt: bool = False) -> list:
    """Mark a locked order for an admin and alert the admins once. Returns the outbox rows."""
    from core.notifications.alerts import alert_admins_once

    require_transaction()
    now = datetime.now(UTC)
    changes = ["attention_reason", "attention_at", "updated_at"]
    first_time = order.attention_at is None or order.attention_reason != reason
    order.attention_reason = reason[:500]
    order.attention_at = order.attention_at or now
    if halt and order.halted_at is None:
        order.halted_at = now
        changes.append("halted_at")
    await order.save(update_fields=changes)
    if not first_time:
        return []
    return await alert_admins_once(
        key=f"order_attention:{order.id}:{'halted' if order.halted_at else 'flagged'}",
        message_key="admin.order_attention", ttl=timedelta(days=30),
        params={"order_id": str(order.id), "status": order.status.value, "reason": order.attention_reason[:300]},
        buttons=[{"text_key": "button.open_stuck_orders", "data": "adm:vendor"}],
    )


async def flag_overdue_orders(*, older_than: timedelta, limit: int = 500) -> tuple[int, list]:
    """Flag open orders created more than `older_than` ago; one alert for the newly flagged ones.

    Runs in the caller's transaction. Returns (how many were flagged now, outbox rows).
    """
    from core.notifications.alerts import alert_admins_once

    require_transaction()
    cutoff = datetime.now(UTC) - older_than
    overdue = await (Order.filter(status__in=list(OPEN_STATUSES), attention_at__isnull=True, created_at__lt=cutoff)
                     .order_by("created_at").limit(limit).select_for_update(skip_locked=True))
    if not overdue:
        return 0, []
    hours = round(older_than.total_seconds() / 3600, 1)
    now = datetime.now(UTC)
    for order in overdue:
        order.attention_reason = (f"open for more than {hours:g} h ({order.status.value}"
                                  + (f"; last error: {order.last_error}" if order.last_error else "") + ")")[:500]
        order.attention_at = now
        await order.save(update_fields=["attention_reason", "attention_at"])  # not updated_at: the reconciler's clock
    ids = [str(o.id) for o in overdue]
    rows = await alert_admins_once(
        key="orders_overdue:" + ",".join(ids), message_key="admin.orders_overdue", ttl=timedelta(days=30),
        params={"count": len(ids), "hours": f"{hours:g}", "orders": ", ".join(i[:8] for i in ids[:10])},
        buttons=[{"text_key": "button.open_stuck_orders", "data": "adm:vendor"}],
    )
    return len(overdue), rows


@dataclass(frozen=True)
class AttentionItem:
    order: Order
    reason: str
    since: datetime
    halted: bool


async def orders_needing_attention(*, actor: Actor, overdue_after: timedelta,
                                   limit: int = ATTENTION_LIST_LIMIT) -> list[AttentionItem]:
    """Open orders that are halted, flagged, or older than `overdue_after` (flagged or not yet)."""
    require_admin(actor)
    cutoff = datetime.now(UTC) - overdue_after
    rows = await (Order.filter(Q(status__in=list(OPEN_STATUSES)),
                               Q(attention_at__isnull=False) | Q(halted_at__isnull=False) | Q(created_at__lt=cutoff))
                  .order_by("created_at").limit(max(1, min(limit, 500))))
    hours = round(overdue_after.total_seconds() / 3600, 1)
    return [AttentionItem(order=o, reason=o.attention_reason or f"open for more than {hours:g} h",
                          since=o.attention_at or o.created_at, halted=o.halted_at is not None) for o in rows]
