"""Helpers shared by the settlement-hardening tests: orders, admins, the alerts they receive."""

from __future__ import annotations

from decimal import Decimal

from core.access.actor import Actor
from core.db import atomic
from core.notifications.models import Notification
from core.orders import service as orders
from core.orders.models import Order
from tests.support.vendor import MAGIC_RANGE_PRODUCT

ADMIN_TELEGRAM_ID = 777_101
ADMIN = Actor.admin(label="test-admin")


async def create(party, face: Decimal | str, quantity: int = 1, *, product_id: int = MAGIC_RANGE_PRODUCT,
                 actor: Actor = ADMIN) -> Order:
    async with atomic():
        created = await orders.create_order(actor=actor, party_id=party.id, product_id=product_id,
                                            face_value=Decimal(face), quantity=quantity)
    return created.order


async def an_admin_listens() -> None:
    from core.parties import service as parties

    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN_TELEGRAM_ID, actor=ADMIN)


async def admin_alerts(message_key: str) -> list[Notification]:
    return list(await Notification.filter(telegram_user_id=ADMIN_TELEGRAM_ID, event_type=message_key).order_by("id"))
