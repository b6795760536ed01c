"""An order as its message shows it: status, amounts, masked codes with a Reveal button per card.

The same rendering serves /orders and the worker, which edits the message the buyer confirmed as the
order moves (placing → processing → delivered / partly delivered / refunded).
"""

from __future__ import annotations

from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from bot.flows.order.callbacks import OrdersCb
from bot.i18n import money, number, t
from bot.ui import keyboard
from core.catalog.models import Product
from core.orders import service as orders
from core.orders.models import Order


def face_text(face: Decimal | str, currency: str, lang: str) -> str:
    return f"{number(Decimal(str(face)).normalize(), lang)} {currency}"


async def order_message(order: Order, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    name = await Product.filter(id=order.product_id).first().values_list("name", flat=True) or str(order.product_id)
    lines = [t("orders.card", lang, short=str(order.id)[:8], status=t(f"orders.status.{order.status.value}", lang),
               quantity=order.quantity, name=name, face=face_text(order.face_value, order.card_currency, lang),
               total=money(order.total, order.currency))]
    buttons: list[list[tuple[str, str]]] = []
    if order.cards_delivered:
        cards = await orders.masked_cards(order=order)
        lines.append(t("orders.cards_delivered", lang, cards=order.cards_delivered, quantity=order.quantity))
        for card in cards:
            lines.append(f"• {card.masked_code}")
            buttons.append([(t("orders.reveal", lang, masked=card.masked_code),
                             OrdersCb(step="reveal", order=order.id.hex, card=card.id).pack())])
    if order.status.value == "failed":
        lines.append(t("orders.refunded", lang, total=money(order.total, order.currency)))
    elif order.status.value == "partially_completed":
        refunded = order.total - order.unit_price * order.cards_delivered
        lines.append(t("orders.refunded", lang, total=money(refunded, order.currency)))
    return "\n".join(lines), keyboard(buttons) if buttons else None
