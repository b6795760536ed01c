"""/payout: pay accrued commission now. A preview (which parties have commission accrued, how much, in
all) → Confirm (works once) → the core pays each listed party its whole accrued commission
(`core.ledger.early_payout.pay_accrued_now`), skipping any that is not active, and the total is shown.
A second press pays nothing more; even two racing presses pay each balance once (the core's key is the
commission account's state)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.callbacks import ConfirmCb
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import deliver_later, menu_button, status_text
from bot.i18n import money
from bot.ui import keyboard, show
from core.errors import DomainError
from core.ledger import early_payout

SHOWN = 30  # lines in the preview; the payout covers every listed party either way


def _totals(ctx: UpdateContext, totals: dict[str, int]) -> str:
    return ", ".join(money(amount, currency).format(ctx.lang) for currency, amount in sorted(totals.items()))


async def preview(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext,
                  confirmations: Confirmations) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    accrued = await early_payout.accrued_commissions(actor=actor)
    if not accrued:
        await show(event, ctx.t("admin.payout.none"), keyboard([[menu_button(ctx)]]))
        return
    payable = [a for a in accrued if a.status == "active"]
    totals: dict[str, int] = {}
    for a in payable:
        totals[a.currency] = totals.get(a.currency, 0) + a.amount
    lines = [ctx.t("admin.payout.title", count=len(accrued))]
    for a in accrued[:SHOWN]:
        key = "admin.payout.line" if a.status == "active" else "admin.payout.line_skipped"
        lines.append(ctx.t(key, name=a.name, id=a.party_id, amount=money(a.amount, a.currency),
                           status=status_text(ctx, a.status)))
    if len(accrued) > SHOWN:
        lines.append(ctx.t("admin.payout.more", count=len(accrued) - SHOWN))
    if not payable:
        lines.append(ctx.t("admin.payout.nothing_payable"))
        await show(event, "\n".join(lines), keyboard([[menu_button(ctx)]]))
        return
    lines.append(ctx.t("admin.payout.total", parties=len(payable), total=_totals(ctx, totals)))
    token = await confirmations.offer(ctx.telegram_user_id, "admin.payout",
                                      {"parties": [a.party_id for a in payable]})
    await show(event, "\n".join(lines),
               keyboard([[(ctx.t("admin.payout.button.pay"), ConfirmCb(kind="payout", action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), ConfirmCb(kind="payout", action="no", token=token).pack())]]))


async def confirmed(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext, confirmations: Confirmations,
                    arq: ArqRedis, bot: Bot) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "admin.payout")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    if query.message is not None:  # paying many parties takes a moment
        await bot.send_chat_action(query.message.chat.id, ChatAction.TYPING)
    try:
        run = await early_payout.pay_accrued_now(actor=actor, party_ids=payload["parties"])
    except DomainError:
        await confirmations.put_back(ctx.telegram_user_id, callback_data.token, payload)
        raise
    deliver_later(ctx, arq, run.notifications)
    if run.paid:
        text = ctx.t("admin.payout.done", parties=len(run.paid), total=_totals(ctx, run.totals))
    else:
        text = ctx.t("admin.payout.done_nothing")
    if run.skipped:
        text += "\n" + ctx.t("admin.payout.skipped", count=len(run.skipped))
    await show(query, text, keyboard([[menu_button(ctx)]]))


def register(router: Router) -> None:
    router.message.register(preview, Command("payout"))
    router.callback_query.register(preview, AdminCb.filter(F.area == "payout"))
    router.callback_query.register(confirmed, ConfirmCb.filter((F.kind == "payout") & (F.action == "ok")))
