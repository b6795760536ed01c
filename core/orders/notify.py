"""What an order's settlement tells the world: the partner's webhook and the ordering member."""

from __future__ import annotations

from core.money import format_money
from core.orders.models import Order, OrderStatus

EVENT_BY_STATUS = {
    OrderStatus.COMPLETED: "order.completed",
    OrderStatus.PARTIALLY_COMPLETED: "order.partially_completed",
    OrderStatus.FAILED: "order.failed",
}


def order_event_data(order: Order) -> dict:
    """The order as webhooks carry it: never the codes (the receiver fetches them)."""
    from core.money import from_minor

    return {
        "order": {
            "id": str(order.id), "reference": order.reference, "status": order.status.value,
            "product_id": order.product_id, "face_value": format(order.face_value.normalize(), "f"),
            "quantity": order.quantity,
            "unit_price": {"amount": str(from_minor(order.unit_price, order.currency)), "currency": order.currency},
            "total": {"amount": str(from_minor(order.total, order.currency)), "currency": order.currency},
            "cards_delivered": order.cards_delivered,
            "failure": None if order.failure_code is None else
            {"code": order.failure_code, "message": order.failure_message},
        }
    }


async def order_settled(order: Order) -> list:
    from core.notifications import service as notifications
    from core.parties.models import Member

    rows = list(await notifications.emit_event(
        party_id=order.party_id, event_type=EVENT_BY_STATUS[order.status], data=order_event_data(order),
        livemode=order.livemode,
    ))
    if order.member_id is not None:
        member = await Member.get_or_none(id=order.member_id)
        if member is not None:
            rows.append(await notifications.notify_telegram(
                telegram_user_id=member.telegram_user_id, message_key=f"order.{order.status.value}",
                params={"order_id": str(order.id), "cards": order.cards_delivered, "quantity": order.quantity,
                        "total": format_money(order.total, order.currency)},
            ))
    return rows
