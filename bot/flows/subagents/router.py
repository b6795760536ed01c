"""/subagents: the party's direct children (name, status, available balance, this month's sales), paged;
open one → its card: Allocate / Reclaim / Freeze or Unfreeze / Orders / Report / Back.

The card shows only the buttons the member's role grants (core.access.policy.ROLE_PERMISSIONS: a
viewer sees no money buttons, only an owner freezes); the core checks every press anyway, with the
member as the actor. /allocate and /reclaim live in `moves.py`.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb
from bot.flows.subagents import moves
from bot.flows.subagents.callbacks import FreezeCb, PickCb, SubCb
from bot.flows.subagents.moves import refuse_stranger
from bot.i18n import money
from bot.ui import keyboard, show
from core.access.policy import ROLE_PERMISSIONS, Permission, authorize
from core.catalog.models import Product
from core.orders import service as orders
from core.parties import service as parties
from core.reports import service as reports
from core.reports.children import child_overview

LIST_PAGE = 8
ORDERS_SHOWN = 10
PERIODS = ("today", "7d", "30d", "month")


def _status(ctx: UpdateContext, status: str) -> str:
    return ctx.t(f"subagents.status.{status}") if status in ("pending", "active", "frozen", "closed") else status


# --- The list ----------------------------------------------------------------------------------


async def list_children(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    if await refuse_stranger(event, ctx):
        return
    await _list_page(event, ctx, page=0)


async def list_page(query: CallbackQuery, callback_data: SubCb, ctx: UpdateContext) -> None:
    if await refuse_stranger(query, ctx):
        return
    await _list_page(query, ctx, page=callback_data.page)


async def _list_page(event: Message | CallbackQuery, ctx: UpdateContext, *, page: int) -> None:
    children = await reports.children_overview(actor=ctx.actor, party_id=ctx.party.id)
    back = [(ctx.t("button.back"), MenuCb(area="home").pack())]
    if not children:
        await show(event, ctx.t("subagents.none"), keyboard([back]))
        return
    pages = (len(children) + LIST_PAGE - 1) // LIST_PAGE
    page = max(0, min(page, pages - 1))
    start = page * LIST_PAGE
    shown = children[start:start + LIST_PAGE]
    lines = [ctx.t("subagents.title", count=len(children))]
    if pages > 1:
        lines.append(ctx.t("subagents.page", page=page + 1, pages=pages))
    lines += [ctx.t("subagents.line", index=start + i + 1, name=c.name, status=_status(ctx, c.status),
                    available=money(c.available, c.currency), sold=money(c.month.gmv, c.currency))
              for i, c in enumerate(shown)]
    rows = [[(ctx.t("subagents.open_button", index=start + i + 1, name=c.name),
              SubCb(action="open", child=c.party_id, page=page).pack())] for i, c in enumerate(shown)]
    nav = []
    if page > 0:
        nav.append((ctx.t("subagents.button.previous"), SubCb(action="list", page=page - 1).pack()))
    if page + 1 < pages:
        nav.append((ctx.t("subagents.button.next"), SubCb(action="list", page=page + 1).pack()))
    await show(event, "\n".join(lines), keyboard([*rows, nav, back]))


# --- One child's card --------------------------------------------------------------------------


async def open_child(query: CallbackQuery, callback_data: SubCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    if await refuse_stranger(query, ctx):
        return
    await _card(query, ctx, callback_data.child, page=callback_data.page)


async def _card(event: Message | CallbackQuery, ctx: UpdateContext, child_id: int, *, page: int = 0,
                notice: str | None = None) -> None:
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=child_id)
    text = ctx.t("subagents.card", name=child.name, kind=ctx.t(f"subagents.kind.{child.kind}")
                 if child.kind in ("agent", "subagent", "partner") else child.kind,
                 status=_status(ctx, child.status), available=money(child.available, child.currency),
                 sold=money(child.month.gmv, child.currency), orders=child.month.orders, cards=child.month.cards)
    if notice:
        text = notice + "\n\n" + text
    granted = ROLE_PERMISSIONS.get(ctx.role or "", frozenset())
    rows: list[list[tuple[str, str]]] = []
    if Permission.MOVE_MONEY in granted:
        rows.append([(ctx.t("subagents.button.allocate"), PickCb(kind="allocate", child=child.party_id).pack()),
                     (ctx.t("subagents.button.reclaim"), PickCb(kind="reclaim", child=child.party_id).pack())])
    if Permission.MANAGE in granted and child.status in ("active", "frozen"):
        action = "freeze" if child.status == "active" else "unfreeze"
        rows.append([(ctx.t(f"subagents.button.{action}"), SubCb(action=action, child=child.party_id).pack())])
    rows.append([(ctx.t("subagents.button.orders"), SubCb(action="orders", child=child.party_id).pack()),
                 (ctx.t("subagents.button.report"), SubCb(action="report", child=child.party_id).pack())])
    rows.append([(ctx.t("subagents.button.list"), SubCb(action="list", page=page).pack())])
    await show(event, text, keyboard(rows))


def _to_card(ctx: UpdateContext, child_id: int) -> tuple[str, str]:
    return ctx.t("button.back"), SubCb(action="open", child=child_id).pack()


async def child_orders(query: CallbackQuery, callback_data: SubCb, ctx: UpdateContext) -> None:
    """The child's recent orders, as its parent may see them (no codes: those are the buyer's)."""
    if await refuse_stranger(query, ctx):
        return
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=callback_data.child)
    found = await orders.list_orders(actor=ctx.actor, party_id=child.party_id, limit=ORDERS_SHOWN)
    if not found:
        text = ctx.t("subagents.orders.none", name=child.name)
    else:
        names = dict(await Product.filter(id__in={o.product_id for o in found}).values_list("id", "name"))
        lines = [ctx.t("subagents.orders.title", name=child.name)]
        lines += [ctx.t("subagents.orders.line", when=o.created_at.strftime("%d.%m %H:%M"), quantity=o.quantity,
                        product=names.get(o.product_id, str(o.product_id)), total=money(o.total, o.currency),
                        status=ctx.t(f"subagents.order_status.{o.status.value}"))
                  for o in found]
        text = "\n".join(lines)
    await show(query, text, keyboard([[_to_card(ctx, child.party_id)]]))


async def child_report(query: CallbackQuery, callback_data: SubCb, ctx: UpdateContext) -> None:
    """The child's sales over a period, and what the parent earned on them."""
    if await refuse_stranger(query, ctx):
        return
    if callback_data.period not in PERIODS:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    period = reports.Period(callback_data.period)
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=callback_data.child)
    theirs = await reports.sales_report(actor=ctx.actor, party_id=child.party_id, period=period)
    ours = await reports.sales_report(actor=ctx.actor, party_id=ctx.party.id, period=period)
    earned = next((c.commission for c in ours.children if c.party_id == child.party_id), 0)
    text = ctx.t("subagents.report", name=child.name, period=ctx.t(f"subagents.period.{period.value}"),
                 start=theirs.start.strftime("%d.%m.%Y"), end=(theirs.end - timedelta(days=1)).strftime("%d.%m.%Y"),
                 sold=money(theirs.own.gmv, theirs.currency), orders=theirs.own.orders, cards=theirs.own.cards,
                 earned=money(earned, ours.currency))
    periods = [(("• " if p == period.value else "") + ctx.t(f"subagents.period.{p}"),
                SubCb(action="report", child=child.party_id, period=p).pack()) for p in PERIODS]
    await show(query, text, keyboard([periods[:2], periods[2:], [_to_card(ctx, child.party_id)]]))


# --- Freeze / Unfreeze -------------------------------------------------------------------------


async def ask_freeze(query: CallbackQuery, callback_data: SubCb, ctx: UpdateContext,
                     confirmations: Confirmations) -> None:
    if await refuse_stranger(query, ctx):
        return
    child = await child_overview(actor=ctx.actor, parent_id=ctx.party.id, child_id=callback_data.child)
    # The core's answer before the question: a manager or viewer, or a frozen parent, is told at once.
    await authorize(ctx.actor, party_id=child.party_id, permission=Permission.MANAGE, parent_may=True)
    action = callback_data.action
    token = await confirmations.offer(ctx.telegram_user_id, "freeze", {"child": child.party_id, "to": action})
    await show(query, ctx.t(f"subagents.{action}.confirm", name=child.name),
               keyboard([[(ctx.t("button.confirm"), FreezeCb(action="ok", child=child.party_id, token=token).pack()),
                          (ctx.t("button.cancel"), FreezeCb(action="no", child=child.party_id, token=token).pack())]]))


async def freeze_confirmed(query: CallbackQuery, callback_data: FreezeCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "freeze")
    if payload is None or ctx.member is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    if payload["to"] == "freeze":
        party = await parties.freeze(actor=ctx.actor, party_id=payload["child"])
    else:
        party = await parties.unfreeze(actor=ctx.actor, party_id=payload["child"])
    await _card(query, ctx, party.id, notice=ctx.t(f"subagents.{payload['to']}.done", name=party.name))


async def freeze_cancelled(query: CallbackQuery, callback_data: FreezeCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    if await refuse_stranger(query, ctx):
        return
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "freeze")
    await _card(query, ctx, callback_data.child)


def make_router() -> Router:
    router = Router(name="subagents")
    router.message.register(list_children, Command("subagents"))
    router.callback_query.register(list_children, MenuCb.filter(F.area == "subagents"))
    router.callback_query.register(list_page, SubCb.filter(F.action == "list"))
    router.callback_query.register(open_child, SubCb.filter(F.action == "open"))
    router.callback_query.register(child_orders, SubCb.filter(F.action == "orders"))
    router.callback_query.register(child_report, SubCb.filter(F.action == "report"))
    router.callback_query.register(ask_freeze, SubCb.filter(F.action.in_({"freeze", "unfreeze"})))
    router.callback_query.register(freeze_confirmed, FreezeCb.filter(F.action == "ok"))
    router.callback_query.register(freeze_cancelled, FreezeCb.filter(F.action == "no"))
    moves.register(router)
    return router
