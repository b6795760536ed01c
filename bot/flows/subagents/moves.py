"""/allocate and /reclaim: pick a sub-agent (or come from its card) → type an amount → a summary with the
exact amount, both names and the balance after → Confirm (works once; its token is the ledger's
idempotency key) → the money moves and the result replaces the summary.

The child's owners and managers are told by the core (wallet.credited.allocation, written with the
money); the bot enqueues those rows after commit. Who may move money, how much, and whether a frozen
party may, is the core's to decide: the handlers ask it (`authorize`, then `ledger.allocate` /
`ledger.reclaim`) and show its refusals.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb
from bot.flows.subagents.callbacks import MOVE_KINDS, MoveCb, PickCb, SubCb
from bot.i18n import money
from bot.ui import keyboard, show
from bot.ui import refuse_strangers as refuse_stranger  # one copy, shared by every flow
from core.access.policy import Permission, authorize
from core.errors import DomainError
from core.ledger import service as ledger
from core.money import InvalidAmount, parse_amount
from core.reports import service as reports
from core.reports.children import child_overview
from jobs.notifications import enqueue_deliveries

PICK_PAGE = 8


class MoveStates(StatesGroup):
    amount = State()  # waiting for a typed amount; data: kind, child


async def _may_move_money(ctx: UpdateContext) -> None:
    """The core's answer before anything is typed: a viewer, or a frozen party, is told at once."""
    await authorize(ctx.actor, party_id=ctx.party.id, permission=Permission.MOVE_MONEY)


# --- Picking the sub-agent ---------------------------------------------------------------------


async def _start(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext, kind: str) -> None:
    await state.clear()
    if await refuse_stranger(event, ctx):
        return
    await _may_move_money(ctx)
    await _pick_page(event, ctx, kind, page=0)


async def allocate_command(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await _start(message, ctx, state, "allocate")


async def reclaim_command(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await _start(message, ctx, state, "reclaim")


async def _pick_page(event: Message | CallbackQuery, ctx: UpdateContext, kind: str, *, page: int) -> None:
    children = await reports.children_overview(actor=ctx.actor, party_id=ctx.party.id)
    back = [(ctx.t("button.back"), MenuCb(area="home").pack())]
    if not children:
        await show(event, ctx.t("subagents.none"), keyboard([back]))
        return
    pages = (len(children) + PICK_PAGE - 1) // PICK_PAGE
    page = max(0, min(page, pages - 1))
    shown = children[page * PICK_PAGE:(page + 1) * PICK_PAGE]
    rows = [[(ctx.t("subagents.pick_button", name=c.name, available=money(c.available, c.currency)),
              PickCb(kind=kind, child=c.party_id).pack())] for c in shown]
    nav = []
    if page > 0:
        nav.append((ctx.t("subagents.button.previous"), PickCb(kind=kind, page=page - 1).pack()))
    if page + 1 < pages:
        nav.append((ctx.t("subagents.button.next"), PickCb(kind=kind, page=page + 1).pack()))
    await show(event, ctx.t(f"subagents.{kind}.pick"), keyboard([*rows, nav, back]))


async def picked(query: CallbackQuery, callback_data: PickCb, ctx: UpdateContext, state: FSMContext) -> None:
    """A page of the picker, or a child chosen (from the picker or its card): ask for the amount."""
    await state.clear()
    if await refuse_stranger(query, ctx):
        return
    await _may_move_money(ctx)
    if callback_data.child == 0:
        await _pick_page(query, ctx, callback_data.kind, page=callback_data.page)
        return
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=callback_data.child)
    wallet = await ledger.wallet_summary(actor=ctx.actor, party_id=ctx.party.id)
    kind = callback_data.kind
    await state.set_state(MoveStates.amount)
    await state.update_data(kind=kind, child=child.party_id)
    text = ctx.t(f"subagents.{kind}.ask", child=child.name, yours=money(wallet.available, wallet.currency),
                 theirs=money(child.available, child.currency))
    await show(query, text, keyboard([[(ctx.t("button.cancel"), MoveCb(kind=kind, action="no").pack())]]))


# --- The amount and the summary ----------------------------------------------------------------


async def typed_amount(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    data = await state.get_data()
    await state.clear()  # a refusal below ends the question; only a mistyped amount asks again
    kind, child_id = data.get("kind"), data.get("child")
    if kind not in MOVE_KINDS or not isinstance(child_id, int) or ctx.member is None:
        await message.answer(ctx.t("error.stale_button"))
        return
    await _may_move_money(ctx)
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=child_id)
    wallet = await ledger.wallet_summary(actor=ctx.actor, party_id=ctx.party.id)
    try:
        amount = parse_amount(message.text or "", wallet.currency)
    except InvalidAmount:
        await state.set_state(MoveStates.amount)
        await state.set_data(data)
        await message.answer(ctx.t("subagents.not_an_amount"))  # still waiting: nothing moved
        return
    token = await confirmations.offer(ctx.telegram_user_id, kind, {
        "parent": ctx.party.id, "child": child.party_id, "amount": amount})
    cur = wallet.currency
    if kind == "allocate":
        text = ctx.t("subagents.allocate.summary", amount=money(amount, cur), parent=ctx.party.name,
                     child=child.name, after=money(wallet.available - amount, cur))
        short = wallet.available < amount
        warning = ctx.t("subagents.allocate.not_enough", available=money(wallet.available, cur)) if short else None
    else:
        text = ctx.t("subagents.reclaim.summary", amount=money(amount, cur), parent=ctx.party.name,
                     child=child.name, after=money(wallet.available + amount, cur),
                     keeps=money(child.available - amount, cur))
        short = child.available < amount
        warning = (ctx.t("subagents.reclaim.not_enough", child=child.name, available=money(child.available, cur))
                   if short else None)
    if warning:
        text += "\n" + warning
    await show(message, text, keyboard([[(ctx.t("button.confirm"), MoveCb(kind=kind, action="ok", token=token).pack()),
                                         (ctx.t("button.cancel"), MoveCb(kind=kind, action="no", token=token).pack())]]))


async def cancel_typing(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await message.answer(ctx.t("subagents.move_cancelled"))


# --- Confirm / Cancel --------------------------------------------------------------------------


async def confirmed(query: CallbackQuery, callback_data: MoveCb, ctx: UpdateContext, confirmations: Confirmations,
                    arq: ArqRedis) -> None:
    kind = callback_data.kind
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, kind)
    if payload is None or ctx.member is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    try:
        if kind == "allocate":
            posted = await ledger.allocate(actor=ctx.actor, parent_id=payload["parent"], child_id=payload["child"],
                                           amount=payload["amount"], idempotency_key=callback_data.token)
        else:
            posted = await ledger.reclaim(actor=ctx.actor, parent_id=payload["parent"], child_id=payload["child"],
                                          amount=payload["amount"], idempotency_key=callback_data.token)
    except DomainError:
        # Refused, and rolled back with the update: the same Confirm may be pressed again once fixed.
        await confirmations.put_back(ctx.telegram_user_id, callback_data.token, payload)
        raise
    if posted.notifications:
        rows = list(posted.notifications)
        ctx.later(lambda: enqueue_deliveries(arq, rows))
    child = await child_overview(actor=ctx.actor, parent_id=payload["parent"], child_id=payload["child"])
    wallet = await ledger.wallet_summary(actor=ctx.actor, party_id=payload["parent"])
    text = ctx.t(f"subagents.{kind}.done", amount=money(payload["amount"], wallet.currency), child=child.name,
                 available=money(wallet.available, wallet.currency),
                 theirs=money(child.available, child.currency))
    await show(query, text, keyboard([[(ctx.t("subagents.button.to_child", name=child.name),
                                        SubCb(action="open", child=child.party_id).pack()),
                                       (ctx.t("subagents.button.menu"), MenuCb(area="home").pack())]]))


async def cancelled(query: CallbackQuery, callback_data: MoveCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    await state.clear()
    if callback_data.token != "-":
        await confirmations.take(ctx.telegram_user_id, callback_data.token, callback_data.kind)
    await show(query, ctx.t("subagents.move_cancelled"),
               keyboard([[(ctx.t("subagents.button.menu"), MenuCb(area="home").pack())]]))


def register(router: Router) -> None:
    kinds = F.kind.in_(MOVE_KINDS)
    router.message.register(allocate_command, Command("allocate"))
    router.message.register(reclaim_command, Command("reclaim"))
    router.callback_query.register(picked, PickCb.filter(kinds))
    router.message.register(cancel_typing, StateFilter(MoveStates.amount), Command("cancel"))
    typed = F.text & ~F.text.startswith("/")  # a command leaves the question, it is not an answer
    router.message.register(typed_amount, StateFilter(MoveStates.amount), typed)
    router.callback_query.register(confirmed, MoveCb.filter(kinds & (F.action == "ok")))
    router.callback_query.register(cancelled, MoveCb.filter(kinds & (F.action == "no")))
