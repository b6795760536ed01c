"""/pending: the applications waiting (paged, oldest first) with Approve / Reject.

Approving acts at once (a second press finds the application decided and changes nothing); rejecting
closes the party for good, so it asks first and its Confirm works once. The core writes the decision,
its audit entry and the applicant's message ("party.approved" / "party.rejected") in the update's
transaction; the bot enqueues the message after commit.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.callbacks import ConfirmCb, PendingCb
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import deliver_later, kind_text, menu_button
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.parties import service as parties
from core.parties import tree
from core.parties.errors import InvalidTransition, PartyNotFound

PAGE = 5


async def pending_command(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    await _show(event, ctx, actor, page=0)


async def pending_page(query: CallbackQuery, callback_data: PendingCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    await _show(query, ctx, actor, page=callback_data.page)


async def _show(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, *, page: int,
                notice: str | None = None) -> None:
    found = await tree.pending_applications(actor=actor, page=page, per_page=PAGE)
    head = [notice] if notice else []
    if not found.items:
        await show(event, "\n\n".join([*head, ctx.t("admin.pending.none")]), keyboard([[menu_button(ctx)]]))
        return
    lines = [ctx.t("admin.pending.title", count=found.total)]
    if found.pages > 1:
        lines.append(ctx.t("admin.page", page=found.page + 1, pages=found.pages))
    start = found.page * PAGE
    for i, app in enumerate(found.items):
        lines.append(ctx.t("admin.pending.line", index=start + i + 1, name=app.name, id=app.id,
                           kind=kind_text(ctx, app.kind), applicant=app.applicant or "-",
                           telegram=str(app.telegram_user_id or "-"), applied=f"{app.applied_at:%Y-%m-%d %H:%M}"))
    rows = [[(ctx.t("admin.pending.button.approve", index=start + i + 1, name=app.name),
              PendingCb(action="approve", party=app.id, page=found.page).pack()),
             (ctx.t("admin.pending.button.reject", index=start + i + 1),
              PendingCb(action="reject", party=app.id, page=found.page).pack())]
            for i, app in enumerate(found.items)]
    nav = []
    if found.page > 0:
        nav.append((ctx.t("admin.button.previous"), PendingCb(action="list", page=found.page - 1).pack()))
    if found.page + 1 < found.pages:
        nav.append((ctx.t("admin.button.next"), PendingCb(action="list", page=found.page + 1).pack()))
    text = "\n\n".join([*head, "\n".join(lines)])
    await show(event, text, keyboard([*rows, nav, [menu_button(ctx)]]))


async def approve(query: CallbackQuery, callback_data: PendingCb, ctx: UpdateContext, arq: ArqRedis) -> None:
    actor = await ctx.admin_actor()
    outbox: list = []
    try:
        party = await parties.approve(actor=actor, party_id=callback_data.party, outbox=outbox)
    except (InvalidTransition, PartyNotFound):
        await query.answer(ctx.t("admin.pending.decided"), show_alert=True)
        await _show(query, ctx, actor, page=callback_data.page)
        return
    deliver_later(ctx, arq, outbox)
    await _show(query, ctx, actor, page=callback_data.page, notice=ctx.t("admin.pending.approved", name=party.name))


async def ask_reject(query: CallbackQuery, callback_data: PendingCb, ctx: UpdateContext,
                     confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    try:
        party = await parties.find_party(actor=actor, ref=str(callback_data.party))
    except (PartyNotFound, parties.AmbiguousParty):
        party = None
    if party is None or party.id != callback_data.party or str(party.status) != "pending":
        await query.answer(ctx.t("admin.pending.decided"), show_alert=True)
        await _show(query, ctx, actor, page=callback_data.page)
        return
    token = await confirmations.offer(ctx.telegram_user_id, "admin.reject",
                                      {"party": party.id, "page": callback_data.page})
    await show(query, ctx.t("admin.pending.reject_confirm", name=party.name, id=party.id),
               keyboard([[(ctx.t("admin.pending.button.reject_confirm"),
                           ConfirmCb(kind="reject", action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), ConfirmCb(kind="reject", action="no", token=token).pack())]]))


async def reject_confirmed(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext,
                           confirmations: Confirmations, arq: ArqRedis) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "admin.reject")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    outbox: list = []
    try:
        party = await parties.reject(actor=actor, party_id=payload["party"], outbox=outbox)
    except InvalidTransition:
        await query.answer(ctx.t("admin.pending.decided"), show_alert=True)
        await _show(query, ctx, actor, page=payload.get("page", 0))
        return
    deliver_later(ctx, arq, outbox)
    await _show(query, ctx, actor, page=payload.get("page", 0),
                notice=ctx.t("admin.pending.rejected", name=party.name))


def register(router: Router) -> None:
    router.message.register(pending_command, Command("pending"))
    router.callback_query.register(pending_command, AdminCb.filter(F.area == "pending"))
    router.callback_query.register(pending_page, PendingCb.filter(F.action == "list"))
    router.callback_query.register(approve, PendingCb.filter(F.action == "approve"))
    router.callback_query.register(ask_reject, PendingCb.filter(F.action == "reject"))
    router.callback_query.register(reject_confirmed, ConfirmCb.filter((F.kind == "reject") & (F.action == "ok")))
