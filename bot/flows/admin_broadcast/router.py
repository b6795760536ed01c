"""/broadcast (and Broadcast in the /admin menu): type the message → a preview exactly as agents will get
it (the text alone, as plain text) with the number of recipients → Send (works once) → a worker delivers
it within Telegram's limits and tells this admin how many got it and how many have blocked the bot.

`/broadcast <text>` skips the typing step. Who receives it is the core's rule (core.broadcast.service:
every active member of every active agent and sub-agent; partners are not included); the admin's text is
sent as typed, never read as markup. The router answers admins only; every handler re-checks the rights
(`ctx.admin_actor()`), and the core writes the audit entry with the broadcast.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb, IsAdmin
from bot.ui import keyboard, show
from core.broadcast import service as broadcasts
from jobs.broadcast import enqueue_send

RECENT = 3


class BroadcastCb(CallbackData, prefix="abc"):
    action: str  # send | edit | cancel
    token: str = "-"  # the preview's confirmation ("-": cancel while typing)


class BroadcastStates(StatesGroup):
    text = State()  # waiting for the message to send


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def _compose(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    await state.set_state(BroadcastStates.text)
    parts = [ctx.t("broadcast.compose")]
    recent = await broadcasts.recent_broadcasts(actor=actor, limit=RECENT)
    if recent:
        parts += ["", ctx.t("broadcast.recent.title")]
        parts += [ctx.t("broadcast.recent.line", id=str(b.id), when=_when(b.created_at), delivered=b.delivered,
                        blocked=b.blocked, failed=b.failed, pending=b.pending, preview=b.preview) for b in recent]
    await show(event, "\n".join(parts), keyboard([
        [(ctx.t("button.cancel"), BroadcastCb(action="cancel").pack())],
        [(ctx.t("broadcast.button.menu"), AdminCb(area="menu").pack())],
    ]))


async def broadcast_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                            confirmations: Confirmations) -> None:
    await state.clear()
    if command.args and command.args.strip():
        await _preview(message, ctx, state, confirmations, command.args)
        return
    await _compose(message, ctx, state)


async def broadcast_area(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await _compose(query, ctx, state)


async def typed_text(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    if not message.text:  # a photo, a sticker, a file: only text is broadcast
        await message.answer(ctx.t("broadcast.text_only"))
        return
    await _preview(message, ctx, state, confirmations, message.text)


async def _preview(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations,
                   text: str) -> None:
    actor = await ctx.admin_actor()
    broadcasts.check_text(text)  # empty or too long: the core's refusal is the answer; still typing
    count = await broadcasts.count_recipients(actor=actor)
    await state.clear()
    # Exactly what every recipient gets: the text alone, plain (no parse mode, no buttons).
    await message.answer(text, parse_mode=None)
    if count == 0:
        await message.answer(ctx.t("broadcast.preview_nobody"), reply_markup=keyboard([
            [(ctx.t("broadcast.button.edit"), BroadcastCb(action="edit").pack())],
            [(ctx.t("broadcast.button.menu"), AdminCb(area="menu").pack())]]))
        return
    token = await confirmations.offer(ctx.telegram_user_id, "broadcast", {"text": text})
    await message.answer(ctx.t("broadcast.preview", count=count), reply_markup=keyboard([
        [(ctx.t("broadcast.button.send", count=count), BroadcastCb(action="send", token=token).pack())],
        [(ctx.t("broadcast.button.edit"), BroadcastCb(action="edit", token=token).pack()),
         (ctx.t("button.cancel"), BroadcastCb(action="cancel", token=token).pack())],
    ]))


async def send_confirmed(query: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext,
                         confirmations: Confirmations, arq: ArqRedis) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "broadcast")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    # The token is the broadcast's idempotency key: even two racing presses write one broadcast.
    broadcast = await broadcasts.create_broadcast(actor=actor, text=payload["text"], idempotency_key=callback_data.token,
                                                  notify_chat_id=ctx.telegram_user_id)
    broadcast_id = broadcast.id
    ctx.later(lambda: enqueue_send(arq, broadcast_id))
    await show(query, ctx.t("broadcast.sending", id=str(broadcast.id), count=broadcast.recipients),
               keyboard([[(ctx.t("broadcast.button.menu"), AdminCb(area="menu").pack())]]))


async def edit_text(query: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    await ctx.admin_actor()
    if callback_data.token != "-":  # the old preview's Send stops working
        await confirmations.take(ctx.telegram_user_id, callback_data.token, "broadcast")
    await _compose(query, ctx, state)


async def cancelled(query: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    await ctx.admin_actor()
    await state.clear()
    if callback_data.token != "-":
        await confirmations.take(ctx.telegram_user_id, callback_data.token, "broadcast")
    await show(query, ctx.t("broadcast.cancelled"),
               keyboard([[(ctx.t("broadcast.button.menu"), AdminCb(area="menu").pack())]]))


def make_router() -> Router:
    router = Router(name="admin_broadcast")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(broadcast_command, Command("broadcast"))
    router.callback_query.register(broadcast_area, AdminCb.filter(F.area == "broadcast"))
    router.callback_query.register(send_confirmed, BroadcastCb.filter(F.action == "send"))
    router.callback_query.register(edit_text, BroadcastCb.filter(F.action == "edit"))
    router.callback_query.register(cancelled, BroadcastCb.filter(F.action == "cancel"))
    # Commands pass through (another flow's, or "not understood"); anything else typed is the message.
    router.message.register(typed_text, StateFilter(BroadcastStates.text), ~F.text.startswith("/"))
    return router
