"""/order: card list (pages) → card → denomination (buttons for fixed cards, a typed amount for range
cards) → quantity → a summary with the exact total and the balance after → Confirm / Cancel.
/orders: recent orders; open one to see its cards again, masked, with Reveal.

Reveal sends the code in a message of its own that a deferred job deletes after 60 s."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb
from bot.flows.order.callbacks import OrderCb, OrdersCb
from bot.flows.order.render import face_text, order_message
from bot.i18n import money
from bot.ui import keyboard, show
from core.catalog import browse
from core.catalog.models import CardMode
from core.config import get_settings
from core.errors import DomainError
from core.ledger import service as ledger
from core.money import exponent
from core.orders import service as orders
from core.pricing.quote import MAX_QUANTITY
from jobs.enqueue import enqueue_place
from jobs.notifications import enqueue_deliveries
from jobs.telegram import enqueue_delete

PAGE = 8
ORDERS_PAGE = 8
MAX_ORDER_PAGES = 10
QUANTITIES = (1, 2, 3, 5, 10)


class OrderStates(StatesGroup):
    face = State()  # waiting for a typed face value (range cards)
    quantity = State()  # waiting for a typed quantity


def _back(ctx: UpdateContext) -> tuple[str, str]:
    return ctx.t("button.back"), MenuCb(area="home").pack()


# --- The wizard ------------------------------------------------------------------------------


async def start_order(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    if ctx.member is None:
        await show(event, ctx.t("error.not_a_member"))
        return
    await browse.ensure_can_order(actor=ctx.actor, party_id=ctx.party.id)
    await _card_list(event, ctx, cursor=None)


async def card_page(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext) -> None:
    await _card_list(query, ctx, cursor=callback_data.cursor or None)


async def _card_list(event, ctx: UpdateContext, *, cursor: int | None) -> None:
    page = await browse.catalog_page(actor=ctx.actor, party_id=ctx.party.id, limit=PAGE, cursor=cursor)
    items = [item for item in page.items if item.available]
    if not items and cursor is None:
        await show(event, ctx.t("order.empty_catalog"), keyboard([[_back(ctx)]]))
        return
    rows = [[(item.product.name, OrderCb(step="card", product=item.product.id).pack())] for item in items]
    nav = []
    if cursor is not None:
        nav.append((ctx.t("order.first_page"), OrderCb(step="page").pack()))
    if page.next_cursor is not None:
        nav.append((ctx.t("order.next_page"), OrderCb(step="page", cursor=page.next_cursor).pack()))
    await show(event, ctx.t("order.choose_card"), keyboard([*rows, nav, [_back(ctx)]]))


async def open_card(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext, state: FSMContext) -> None:
    product, offer = await browse.offer(actor=ctx.actor, party_id=ctx.party.id, product_id=callback_data.product)
    if not product.available:
        await query.answer(ctx.t("order.unavailable"), show_alert=True)
        return
    back = (ctx.t("button.back"), OrderCb(step="page").pack())
    if offer.mode == CardMode.FIXED:
        rows = [[(face_text(face, product.currency, ctx.lang),
                  OrderCb(step="face", product=product.id, face=format(face.normalize(), "f")).pack())]
                for face in offer.denominations]
        await show(query, ctx.t("order.choose_face", name=product.name), keyboard([*rows, [back]]))
        return
    await state.set_state(OrderStates.face)
    await state.update_data(product=product.id, message_id=query.message.message_id)
    await show(query, ctx.t("order.type_face", name=product.name,
                            low=face_text(offer.min_face, product.currency, ctx.lang),
                            high=face_text(offer.max_face, product.currency, ctx.lang)), keyboard([[back]]))


async def typed_face(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    data = await state.get_data()
    product, offer = await browse.offer(actor=ctx.actor, party_id=ctx.party.id, product_id=data["product"])
    face = _parse_face(message.text or "", product.currency)
    if face is None or not offer.allows(face):
        await message.answer(ctx.t("order.not_a_face", low=face_text(offer.min_face, product.currency, ctx.lang),
                                   high=face_text(offer.max_face, product.currency, ctx.lang)))
        return
    await state.clear()
    await _ask_quantity(message, ctx, product, face)


def _parse_face(text: str, currency: str) -> Decimal | None:
    from core.money import parse_amount

    try:
        minor = parse_amount(text, currency)
    except DomainError:
        return None
    return Decimal(minor).scaleb(-exponent(currency)).normalize()


async def chose_face(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext) -> None:
    product, offer = await browse.offer(actor=ctx.actor, party_id=ctx.party.id, product_id=callback_data.product)
    try:
        face = Decimal(callback_data.face)
    except InvalidOperation:
        face = None
    if face is None or not offer.allows(face.normalize()):
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _ask_quantity(query, ctx, product, face.normalize())


async def _ask_quantity(event, ctx: UpdateContext, product, face: Decimal) -> None:
    face_str = format(face, "f")
    rows = [[(str(q), OrderCb(step="qty", product=product.id, face=face_str, qty=q).pack()) for q in QUANTITIES],
            [(ctx.t("order.other_quantity"), OrderCb(step="typed_qty", product=product.id, face=face_str).pack())],
            [(ctx.t("button.back"), OrderCb(step="card", product=product.id).pack())]]
    await show(event, ctx.t("order.choose_quantity", name=product.name,
                            face=face_text(face, product.currency, ctx.lang)), keyboard(rows))


async def ask_typed_quantity(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext,
                             state: FSMContext) -> None:
    await state.set_state(OrderStates.quantity)
    await state.update_data(product=callback_data.product, face=callback_data.face)
    await show(query, ctx.t("order.type_quantity", max=MAX_QUANTITY))


async def typed_quantity(message: Message, ctx: UpdateContext, state: FSMContext,
                         confirmations: Confirmations) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_QUANTITY:
        await message.answer(ctx.t("order.not_a_quantity", max=MAX_QUANTITY))
        return
    data = await state.get_data()
    await state.clear()
    await _summary(message, ctx, confirmations, product_id=data["product"], face=Decimal(data["face"]),
                   quantity=int(text))


async def chose_quantity(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext,
                         confirmations: Confirmations) -> None:
    try:
        face = Decimal(callback_data.face)
    except InvalidOperation:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _summary(query, ctx, confirmations, product_id=callback_data.product, face=face,
                   quantity=callback_data.qty)


async def _summary(event, ctx: UpdateContext, confirmations: Confirmations, *, product_id: int, face: Decimal,
                   quantity: int) -> None:
    """The exact total and the balance after; Confirm works once and expires."""
    product, _ = await browse.offer(actor=ctx.actor, party_id=ctx.party.id, product_id=product_id)
    quote = await browse.quote(actor=ctx.actor, party_id=ctx.party.id, product_id=product_id, face=face,
                               quantity=quantity)
    wallet = await ledger.wallet_summary(actor=ctx.actor, party_id=ctx.party.id)
    token = await confirmations.offer(ctx.telegram_user_id, "order", {
        "product": product_id, "face": format(face, "f"), "quantity": quantity, "total": quote.total})
    text = ctx.t("order.summary", quantity=quantity, name=product.name,
                 face=face_text(face, product.currency, ctx.lang), total=money(quote.total, quote.currency),
                 after=money(wallet.available - quote.total, wallet.currency))
    if wallet.spendable < quote.total:
        text += "\n" + ctx.t("order.not_enough", spendable=money(wallet.spendable, wallet.currency))
    await show(event, text, keyboard([[(ctx.t("button.confirm"), OrderCb(step="ok", token=token).pack()),
                                       (ctx.t("button.cancel"), OrderCb(step="no", token=token).pack())]]))


async def confirmed(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext,
                    confirmations: Confirmations, arq: ArqRedis) -> None:
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "order")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    try:
        created = await orders.create_order(
            actor=ctx.actor, party_id=ctx.party.id, product_id=payload["product"], face_value=Decimal(payload["face"]),
            quantity=payload["quantity"], reference=f"bot:{callback_data.token}", expected_total=payload["total"],
            chat_id=query.message.chat.id, message_id=query.message.message_id)
    except DomainError:
        # Refused before anything moved (money, price, status): the same Confirm may be pressed again.
        await confirmations.put_back(ctx.telegram_user_id, callback_data.token, {"action": "order", **payload})
        raise
    order = created.order
    ctx.later(lambda: enqueue_place(arq, order.id))
    if created.notifications:
        rows = list(created.notifications)
        ctx.later(lambda: enqueue_deliveries(arq, rows))
    text, markup = await order_message(order, ctx.lang)
    await show(query, text, markup)


async def cancelled(query: CallbackQuery, callback_data: OrderCb, ctx: UpdateContext,
                    confirmations: Confirmations) -> None:
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "order")
    await show(query, ctx.t("order.cancelled"), keyboard([[_back(ctx)]]))


# --- /orders -------------------------------------------------------------------------------------


async def list_orders(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext, page: int = 0) -> None:
    await state.clear()
    if ctx.member is None:
        await show(event, ctx.t("error.not_a_member"))
        return
    page = max(0, min(page, MAX_ORDER_PAGES - 1))
    found = await orders.list_orders(actor=ctx.actor, party_id=ctx.party.id, limit=(page + 1) * ORDERS_PAGE + 1)
    shown = found[page * ORDERS_PAGE:(page + 1) * ORDERS_PAGE]
    if not shown:
        await show(event, ctx.t("orders.none"), keyboard([[_back(ctx)]]))
        return
    rows = [[(ctx.t("orders.line", status=ctx.t(f"orders.icon.{o.status.value}"), quantity=o.quantity,
                    total=money(o.total, o.currency), date=o.created_at.strftime("%d.%m %H:%M")),
              OrdersCb(step="open", order=o.id.hex, page=page).pack())] for o in shown]
    nav = []
    if page > 0:
        nav.append((ctx.t("order.previous_page"), OrdersCb(step="page", page=page - 1).pack()))
    if len(found) > (page + 1) * ORDERS_PAGE and page + 1 < MAX_ORDER_PAGES:
        nav.append((ctx.t("order.next_page"), OrdersCb(step="page", page=page + 1).pack()))
    await show(event, ctx.t("orders.title"), keyboard([*rows, nav, [_back(ctx)]]))


async def orders_page(query: CallbackQuery, callback_data: OrdersCb, ctx: UpdateContext, state: FSMContext) -> None:
    await list_orders(query, ctx, state, page=callback_data.page)


async def open_order(query: CallbackQuery, callback_data: OrdersCb, ctx: UpdateContext) -> None:
    order = await orders.get_order(actor=ctx.actor, order_id=_order_id(callback_data.order))
    text, markup = await order_message(order, ctx.lang)
    back = [(ctx.t("button.back"), OrdersCb(step="page", page=callback_data.page).pack())]
    markup = keyboard([*([[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
                         if markup else []), back])
    await show(query, text, markup)


async def reveal(query: CallbackQuery, callback_data: OrdersCb, ctx: UpdateContext, arq: ArqRedis) -> None:
    """The code in a message of its own, deleted after BOT_REVEAL_SECONDS (60) by a deferred job (it survives
    a restart)."""
    reveal_seconds = get_settings().bot_reveal_seconds
    if ctx.member is None:
        await query.answer(ctx.t("error.not_a_member"), show_alert=True)
        return
    [card] = await orders.reveal_cards(actor=ctx.actor, order_id=_order_id(callback_data.order),
                                       card_id=callback_data.card) or [None]
    if card is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    sent = await query.message.answer(ctx.t("orders.revealed", code=card.code, pin=card.pin or "—",
                                            seconds=reveal_seconds), protect_content=True)
    chat_id, message_id = sent.chat.id, sent.message_id
    ctx.later(lambda: enqueue_delete(arq, chat_id=chat_id, message_id=message_id, delay=reveal_seconds))


def _order_id(hex_id: str) -> uuid.UUID | str:
    try:
        return uuid.UUID(hex=hex_id)
    except ValueError:
        return hex_id  # the core answers "not found"


def make_router() -> Router:
    router = Router(name="order")
    router.message.register(start_order, Command("order"))
    router.callback_query.register(start_order, MenuCb.filter(F.area == "order"))
    router.callback_query.register(card_page, OrderCb.filter(F.step == "page"))
    router.callback_query.register(open_card, OrderCb.filter(F.step == "card"))
    router.callback_query.register(chose_face, OrderCb.filter(F.step == "face"))
    router.callback_query.register(chose_quantity, OrderCb.filter(F.step == "qty"))
    router.callback_query.register(ask_typed_quantity, OrderCb.filter(F.step == "typed_qty"))
    router.callback_query.register(confirmed, OrderCb.filter(F.step == "ok"))
    router.callback_query.register(cancelled, OrderCb.filter(F.step == "no"))
    typed = F.text & ~F.text.startswith("/")  # a command leaves the wizard, it is not an answer
    router.message.register(typed_face, OrderStates.face, typed)
    router.message.register(typed_quantity, OrderStates.quantity, typed)
    router.message.register(list_orders, Command("orders"))
    router.callback_query.register(list_orders, MenuCb.filter(F.area == "orders"))
    router.callback_query.register(orders_page, OrdersCb.filter(F.step == "page"))
    router.callback_query.register(open_order, OrdersCb.filter(F.step == "open"))
    router.callback_query.register(reveal, OrdersCb.filter(F.step == "reveal"))
    return router
