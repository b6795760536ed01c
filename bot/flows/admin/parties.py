"""/party (one party's card), /tree (the hierarchy with balances, paged) and /freeze, /unfreeze.

The card: kind, status, level, currency, the path up to the top, children and members, the wallet
(available, held, credit limit, accrued commission) and the latest orders, with Freeze or Unfreeze,
Credit, Adjust, Credit limit and Children. Freezing asks first; its Confirm works once; the core
(parties.freeze / unfreeze with the admin actor) checks the transition and writes the audit entry.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.callbacks import ConfirmCb, PartyCb
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import ask_party, card_button, find, kind_text, menu_button, say, status_text
from bot.i18n import money
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.parties import service as parties
from core.parties import tree
from core.parties.models import Party

TREE_PAGE = 8
ORDERS_SHOWN = 5
FREEZE_KINDS = ("freeze", "unfreeze")
_ORDER_STATUSES = ("pending", "placing", "processing", "completed", "partially_completed", "failed")


# --- The card ----------------------------------------------------------------------------------


async def party_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    if not (command.args or "").strip():
        await ask_party(message, ctx, state, "party")
        return
    party = await find(message, ctx, actor, command.args)
    if party is not None:
        await show_card(message, ctx, actor, party.id)


async def card_pressed(query: CallbackQuery, callback_data: PartyCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    await show_card(query, ctx, actor, callback_data.party)


def _order_status(ctx: UpdateContext, status: str) -> str:
    return ctx.t(f"admin.order_status.{status}") if status in _ORDER_STATUSES else status


async def show_card(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, party_id: int, *,
                    notice: str | None = None) -> None:
    details = await tree.party_details(actor=actor, party_id=party_id, orders=ORDERS_SHOWN)
    node, cur = details.node, details.node.currency
    place = " › ".join([ctx.t("admin.party.top"), *(p.name for p in details.path), node.name])
    lines = [ctx.t("admin.party.card", name=node.name, id=node.id, kind=kind_text(ctx, node.kind),
                   status=status_text(ctx, node.status), level=details.depth, currency=cur, place=place,
                   children=node.children, members=details.members,
                   available=money(node.available, cur), held=money(node.held, cur),
                   limit=money(node.credit_limit, cur), commission=money(node.commission, cur))]
    if node.status == "frozen":
        lines.append(ctx.t("admin.party.frozen_by_admin" if details.frozen_by == "admin" else "admin.party.frozen_by_parent"))
    if details.orders:
        lines.append(ctx.t("admin.party.orders"))
        lines += [ctx.t("admin.party.order_line", status=_order_status(ctx, o.status), when=f"{o.created_at:%Y-%m-%d %H:%M}",
                        quantity=o.quantity, product=o.product, total=money(o.total, o.currency))
                  for o in details.orders]
    else:
        lines.append(ctx.t("admin.party.no_orders"))
    text = "\n".join(lines)
    if notice:
        text = notice + "\n\n" + text
    rows: list[list[tuple[str, str]]] = []
    if node.status in ("active", "frozen"):
        action = "freeze" if node.status == "active" else "unfreeze"
        rows.append([(ctx.t(f"admin.party.button.{action}"), PartyCb(action=action, party=node.id).pack())])
    rows.append([(ctx.t("admin.party.button.credit"), PartyCb(action="credit", party=node.id).pack()),
                 (ctx.t("admin.party.button.adjust"), PartyCb(action="adjust", party=node.id).pack()),
                 (ctx.t("admin.party.button.creditlimit"), PartyCb(action="creditlimit", party=node.id).pack())])
    rows.append([(ctx.t("admin.party.button.children", count=node.children),
                  PartyCb(action="tree", party=node.id).pack())])
    if node.parent_id is not None:
        parent = details.path[-1]
        rows.append([(ctx.t("admin.party.button.parent", name=parent.name), PartyCb(action="card", party=parent.id).pack())])
    rows.append([menu_button(ctx)])
    await show(event, text, keyboard(rows))


# --- The tree ----------------------------------------------------------------------------------


async def tree_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext) -> None:
    """`/tree` shows the top level; `/tree <party>` that party's children."""
    await state.clear()
    actor = await ctx.admin_actor()
    parent_id = None
    if (command.args or "").strip():
        party = await find(message, ctx, actor, command.args)
        if party is None:
            return
        parent_id = party.id
    await _tree(message, ctx, actor, parent_id, page=0)


async def tree_area(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    await _tree(query, ctx, actor, None, page=0)


async def tree_pressed(query: CallbackQuery, callback_data: PartyCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    await _tree(query, ctx, actor, callback_data.party or None, page=callback_data.page)


async def _tree(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, parent_id: int | None, *,
                page: int) -> None:
    level = await tree.tree_level(actor=actor, parent_id=parent_id, page=page, per_page=TREE_PAGE)
    parent = level.parent
    if parent is None:
        lines = [ctx.t("admin.tree.top", count=level.total)]
    else:
        lines = [ctx.t("admin.tree.under", name=parent.name, id=parent.id, count=level.total)]
    if level.pages > 1:
        lines.append(ctx.t("admin.page", page=level.page + 1, pages=level.pages))
    start = level.page * TREE_PAGE
    rows: list[list[tuple[str, str]]] = []
    for i, node in enumerate(level.nodes):
        lines.append(ctx.t("admin.tree.line", index=start + i + 1, name=node.name, id=node.id,
                           kind=kind_text(ctx, node.kind), status=status_text(ctx, node.status),
                           available=money(node.available, node.currency), children=node.children))
        row = [(ctx.t("admin.tree.button.card", index=start + i + 1, name=node.name),
                PartyCb(action="card", party=node.id).pack())]
        if node.children:
            row.append((ctx.t("admin.tree.button.children", count=node.children),
                        PartyCb(action="tree", party=node.id).pack()))
        rows.append(row)
    if not level.nodes:
        lines.append(ctx.t("admin.tree.empty"))
    nav = []
    here = parent.id if parent is not None else 0
    if level.page > 0:
        nav.append((ctx.t("admin.button.previous"), PartyCb(action="tree", party=here, page=level.page - 1).pack()))
    if level.page + 1 < level.pages:
        nav.append((ctx.t("admin.button.next"), PartyCb(action="tree", party=here, page=level.page + 1).pack()))
    rows.append(nav)
    if parent is not None:
        rows.append([card_button(ctx, parent.id, parent.name),
                     (ctx.t("admin.tree.button.up"), PartyCb(action="tree", party=parent.parent_id or 0).pack())])
    rows.append([menu_button(ctx)])
    await show(event, "\n".join(lines), keyboard(rows))


# --- Freeze / Unfreeze -------------------------------------------------------------------------


async def _freeze_shortcut(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                           confirmations: Confirmations, to: str) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    if not (command.args or "").strip():
        await ask_party(message, ctx, state, "freeze")
        return
    party = await find(message, ctx, actor, command.args)
    if party is not None:
        await offer_freeze(message, ctx, confirmations, party, to)


async def freeze_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                         confirmations: Confirmations) -> None:
    await _freeze_shortcut(message, command, ctx, state, confirmations, "freeze")


async def unfreeze_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                           confirmations: Confirmations) -> None:
    await _freeze_shortcut(message, command, ctx, state, confirmations, "unfreeze")


async def offer_freeze(event: Message | CallbackQuery, ctx: UpdateContext, confirmations: Confirmations,
                       party: Party, to: str | None = None) -> None:
    """Freeze an active party or unfreeze a frozen one (`to` None: whichever applies), after a confirmation."""
    status = str(party.status)
    if to is None:
        to = "unfreeze" if status == "frozen" else "freeze"
    if (to == "freeze" and status != "active") or (to == "unfreeze" and status != "frozen"):
        await say(event, ctx.t(f"admin.{to}.not_possible", name=party.name, status=status_text(ctx, status)))
        return
    token = await confirmations.offer(ctx.telegram_user_id, f"admin.{to}", {"party": party.id})
    await show(event, ctx.t(f"admin.{to}.confirm", name=party.name, id=party.id, kind=kind_text(ctx, str(party.kind))),
               keyboard([[(ctx.t(f"admin.party.button.{to}"), ConfirmCb(kind=to, action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), ConfirmCb(kind=to, action="no", token=token).pack())]]))


async def freeze_pressed(query: CallbackQuery, callback_data: PartyCb, ctx: UpdateContext,
                         confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    party = await find(query, ctx, actor, str(callback_data.party))
    if party is not None and party.id == callback_data.party:
        await offer_freeze(query, ctx, confirmations, party, callback_data.action)


async def freeze_confirmed(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    to = callback_data.kind
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, f"admin.{to}")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    if to == "freeze":
        party = await parties.freeze(actor=actor, party_id=payload["party"])
    else:
        party = await parties.unfreeze(actor=actor, party_id=payload["party"])
    await show_card(query, ctx, actor, party.id, notice=ctx.t(f"admin.{to}.done", name=party.name))


def register(router: Router) -> None:
    router.message.register(party_command, Command("party"))
    router.callback_query.register(card_pressed, PartyCb.filter(F.action == "card"))
    router.message.register(tree_command, Command("tree"))
    router.callback_query.register(tree_area, AdminCb.filter(F.area == "tree"))
    router.callback_query.register(tree_pressed, PartyCb.filter(F.action == "tree"))
    router.message.register(freeze_command, Command("freeze"))
    router.message.register(unfreeze_command, Command("unfreeze"))
    router.callback_query.register(freeze_pressed, PartyCb.filter(F.action.in_(FREEZE_KINDS)))
    router.callback_query.register(freeze_confirmed, ConfirmCb.filter(F.kind.in_(FREEZE_KINDS) & (F.action == "ok")))
