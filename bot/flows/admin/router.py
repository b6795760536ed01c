"""/admin: the admin menu (a button per area of `common.AREAS`), and the areas of this package —
applications (/pending), invite links (/agent_invite), money (/credit, /adjust, /creditlimit),
parties (/party, /tree, /freeze, /unfreeze) and early commission payouts (/payout).

The router answers admins only (`IsAdmin` on messages and presses): anyone else's admin command or
button falls through to the fallback and gets the answer for anything not understood. Every handler
still asks `ctx.admin_actor()`, which re-checks the rights now and carries the update into the audit.
Other admin areas (discount, cardlist, metrics, …) have their own routers; this menu shows their buttons.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin import invites, money, parties, payout, pending
from bot.flows.admin.common import AREAS, AdminCb, IsAdmin
from bot.flows.admin.shared import GUIDED, AdminStates, ask_party, find
from bot.flows.menu import MenuCb
from bot.ui import keyboard, show


async def admin_menu(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await ctx.admin_actor()
    buttons = [(ctx.t(f"admin.area.{area}"), AdminCb(area=area).pack()) for area in AREAS]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if ctx.member is not None:
        rows.append([(ctx.t("button.back"), MenuCb(area="home").pack())])
    await show(event, ctx.t("admin.menu"), keyboard(rows))


async def guided_area(query: CallbackQuery, callback_data: AdminCb, ctx: UpdateContext, state: FSMContext) -> None:
    """Credit, Adjust, Credit limit, Freeze and Party in the menu: first, which party."""
    await state.clear()
    await ctx.admin_actor()
    await ask_party(query, ctx, state, callback_data.area)


async def typed_party(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    purpose = (await state.get_data()).get("purpose")
    if purpose not in GUIDED:
        await state.clear()
        await message.answer(ctx.t("error.stale_button"))
        return
    party = await find(message, ctx, actor, message.text or "")
    if party is None:  # told why; the question stays
        return
    if purpose in money.MONEY_KINDS:
        await money.ask_amount(message, ctx, state, actor, purpose, party)
        return
    await state.clear()
    if purpose == "freeze":
        await parties.offer_freeze(message, ctx, confirmations, party)
    else:
        await parties.show_card(message, ctx, actor, party.id)


def make_router() -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(admin_menu, Command("admin"))
    router.callback_query.register(admin_menu, MenuCb.filter(F.area == "admin"))
    router.callback_query.register(admin_menu, AdminCb.filter(F.area == "menu"))
    router.callback_query.register(guided_area, AdminCb.filter(F.area.in_(GUIDED)))
    pending.register(router)
    invites.register(router)
    parties.register(router)
    payout.register(router)
    money.register(router)  # its Cancel answers every confirmation of this package: registered last
    router.message.register(typed_party, StateFilter(AdminStates.party), F.text & ~F.text.startswith("/"))
    return router
