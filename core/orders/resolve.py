"""An admin settles an order by hand: fail it (release the money) or complete it with its cards.

For orders the worker cannot finish: halted settlements, orders open at the vendor for too long
(`core.orders.attention`). Admins only, audited, exactly once: the order's row lock and its
terminal status make a second resolve (or a late worker) a no-op refusal, and the money moves
through the same ledger use case and idempotency key as the worker's settlement.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.db import require_transaction
from core.errors import Conflict, ValidationFailed
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from core.orders.settle import DeliveredCard, VendorCharge, cards_at_vendor, charge_of, settle_locked


class OrderAlreadySettled(Conflict):
    code = "order.already_settled"


class NoCardsToComplete(ValidationFailed):
    code = "order.no_cards"


class VendorOrderNotFinal(Conflict):
    code = "order.vendor_not_final"


@dataclass(frozen=True)
class ResolvedOrder:
    order: Order
    notifications: list  # outbox rows: enqueue after commit


async def _lock_open(order_id) -> Order:
    order = await orders.lock_order(order_id)
    if order.is_terminal:
        raise OrderAlreadySettled("this order is already settled", status=order.status.value)
    return order


async def fail_order(*, actor: Actor, order_id, reason: str) -> ResolvedOrder:
    """Fail an open order and give its whole hold back to the buyer. Runs in the caller's transaction."""
    require_admin(actor)
    require_transaction()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("say why the order is failed", code="order.reason_required")
    order = await _lock_open(order_id)
    before = {"status": order.status.value, "attention": order.attention_reason}
    rows = await settle_locked(order, cards=[], charge=None, actor=actor, failure=("admin.failed", reason))
    await audit.record(actor=actor, action="order.resolve", object_type="order", object_id=order.id, before=before,
                       after={"status": order.status.value, "action": "fail", "reason": reason})
    return ResolvedOrder(order, rows)


async def complete_order(*, actor: Actor, order_id, cards: list[DeliveredCard], charge: VendorCharge | None = None,
                         vendor_order_id: str | None = None, reason: str | None = None) -> ResolvedOrder:
    """Complete an open order with `cards` (entered by an admin or read from the vendor).

    The delivered cards' share is captured, the rest released. `charge`: what the vendor charged for
    the order, when known; else the quote's vendor cost is booked. Runs in the caller's transaction.
    """
    require_admin(actor)
    require_transaction()
    if not cards:
        raise NoCardsToComplete("an order completes with at least one card: fail it instead")
    order = await _lock_open(order_id)
    before = {"status": order.status.value, "attention": order.attention_reason}
    if order.status == OrderStatus.PENDING:
        await orders.move(order, OrderStatus.PLACING)  # the vendor has it after all
    rows = await settle_locked(order, cards=cards, charge=charge, actor=actor, vendor_order_id=vendor_order_id)
    await audit.record(actor=actor, action="order.resolve", object_type="order", object_id=order.id, before=before,
                       after={"status": order.status.value, "action": "complete", "cards": order.cards_delivered,
                              "vendor_cost": order.vendor_cost, "vendor_cost_source": order.vendor_cost_source,
                              "reason": reason})
    return ResolvedOrder(order, rows)


async def complete_from_vendor(*, actor: Actor, order_id, vendor_order) -> ResolvedOrder:
    """Complete an order with what Bamboo's Get Order (`vendor_order`, fetched by the caller outside
    the transaction) says it delivered and charged."""
    require_admin(actor)
    if not vendor_order.is_terminal:
        raise VendorOrderNotFinal("the vendor is still working on this order", vendor_status=str(vendor_order.status))
    delivered = cards_at_vendor(vendor_order).delivered
    return await complete_order(actor=actor, order_id=order_id, cards=delivered, charge=charge_of(vendor_order),
                                vendor_order_id=None if vendor_order.order_id is None else str(vendor_order.order_id),
                                reason="completed from the vendor's answer")
