"""The main menu (inline buttons by role) and the catch-all answer for anything not understood."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.context import UpdateContext
from bot.ui import keyboard, show


class MenuCb(CallbackData, prefix="m"):
    area: str


# Buttons per role, as rows; an area's own router handles MenuCb(area=…).
_ROWS = {
    "parent": [["order", "orders"], ["wallet", "subagents"], ["invite", "report"], ["settings", "language"],
               ["help"]],
    "buyer": [["order", "orders"], ["wallet", "report"], ["settings", "language"], ["help"]],
    "viewer": [["orders", "wallet"], ["report", "settings"], ["language", "help"]],
}


def may_have_children(ctx: UpdateContext) -> bool:
    from core.config import get_settings

    return ctx.party is not None and ctx.party.depth < get_settings().max_depth


def menu_markup(ctx: UpdateContext):
    if ctx.role == "viewer":
        rows = _ROWS["viewer"]
    else:
        rows = _ROWS["parent"] if may_have_children(ctx) else _ROWS["buyer"]
    if ctx.role == "manager":
        rows = [[a for a in row if a != "invite"] for row in rows]
    buttons = [[(ctx.t(f"menu.{area}"), MenuCb(area=area).pack()) for area in row] for row in rows]
    if ctx.is_admin:
        buttons.append([(ctx.t("menu.admin"), MenuCb(area="admin").pack())])
    return keyboard(buttons)


async def show_menu(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    party = ctx.party
    await show(event, ctx.t("menu.title", party=party.name, status=str(party.status)), menu_markup(ctx))


async def menu_command(message: Message, ctx: UpdateContext) -> None:
    if ctx.member is None:
        await message.answer(ctx.t("start.unknown"))
        return
    await show_menu(message, ctx)


async def menu_home(query: CallbackQuery, ctx: UpdateContext) -> None:
    if ctx.member is None:
        await query.answer(ctx.t("error.not_a_member"), show_alert=True)
        return
    await show_menu(query, ctx)


async def unknown_button(query: CallbackQuery, ctx: UpdateContext) -> None:
    """Stale or forged button data: a polite refusal, nothing changes."""
    await query.answer(ctx.t("error.stale_button"), show_alert=True)


async def unknown_text(message: Message, ctx: UpdateContext) -> None:
    if ctx.member is None:
        await message.answer(ctx.t("start.unknown"))
    else:
        await message.answer(ctx.t("menu.not_understood"))


def make_router() -> Router:
    router = Router(name="menu")
    router.message.register(menu_command, Command("menu"))
    router.callback_query.register(menu_home, MenuCb.filter(F.area == "home"))
    return router


def make_fallback_router() -> Router:
    """Last of all: whatever no flow understood."""
    router = Router(name="fallback")
    router.callback_query.register(unknown_button)
    router.message.register(unknown_text)
    return router
