"""/settings: the party's name (Rename: owner only, a typed name), its team (Remove for the owner, after a
confirmation; the last owner stays) and a shortcut to the language.

What the acting member may change is the core's answer (core.parties.team: `may_manage`), asked again on
every press; the changes are core.parties.service.rename and remove_member.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.commands import publish_commands_for_chat
from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb
from bot.ui import keyboard, refuse_strangers, show
from core.parties import service as parties
from core.parties import team
from core.parties.errors import NotAMember

TEAM_PAGE = 8


class SettingsCb(CallbackData, prefix="st"):
    action: str  # show | rename | cancel | remove
    member_id: int = 0  # remove
    page: int = 0  # the team list's page


class RemoveCb(CallbackData, prefix="stm"):
    action: str  # ok | no
    token: str


class Rename(StatesGroup):
    name = State()



async def _show_settings(event: Message | CallbackQuery, ctx: UpdateContext, page: int = 0, *,
                         prefix: str = "") -> None:
    view = await team.team_view(actor=ctx.actor, party_id=ctx.party.id)
    party, members = view.party, view.members
    pages = max(1, (len(members) + TEAM_PAGE - 1) // TEAM_PAGE)
    page = min(max(page, 0), pages - 1)
    shown = members[page * TEAM_PAGE:(page + 1) * TEAM_PAGE]
    lines = [ctx.t("settings.title", party=party.name, kind=str(party.kind), status=str(party.status))]
    if view.may_manage:
        lines.append(ctx.t("settings.name_hint"))
    lines += ["", ctx.t("settings.team.title", count=len(members), page=page + 1, pages=pages)]
    for member in shown:
        key = "settings.member.you" if member.id == ctx.member.id else "settings.member"
        lines.append(ctx.t(key, name=member.display_name or str(member.telegram_user_id), role=str(member.role)))
    rows: list[list[tuple[str, str]]] = []
    if view.may_manage:
        rows.append([(ctx.t("settings.button.rename"), SettingsCb(action="rename").pack())])
        rows += [[(ctx.t("settings.button.remove", name=member.display_name or str(member.telegram_user_id)),
                   SettingsCb(action="remove", member_id=member.id, page=page).pack())] for member in shown]
    paging = []
    if page > 0:
        paging.append((ctx.t("settings.button.prev"), SettingsCb(action="show", page=page - 1).pack()))
    if page < pages - 1:
        paging.append((ctx.t("settings.button.next"), SettingsCb(action="show", page=page + 1).pack()))
    rows.append(paging)
    rows.append([(ctx.t("settings.button.language"), MenuCb(area="language").pack()),
                 (ctx.t("button.back"), MenuCb(area="home").pack())])
    await show(event, prefix + "\n".join(lines), keyboard(rows))


async def settings_command(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    if await refuse_strangers(event, ctx):
        return
    if await state.get_state() == Rename.name.state:
        await state.clear()
    await _show_settings(event, ctx)


async def settings_page(query: CallbackQuery, callback_data: SettingsCb, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    await _show_settings(query, ctx, callback_data.page)


# --- Rename ---------------------------------------------------------------------------------------


async def rename_asked(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    await team.check_may_manage(actor=ctx.actor, party_id=ctx.party.id)  # a viewer is refused here
    await state.set_state(Rename.name)
    await show(query, ctx.t("settings.rename.ask", party=ctx.party.name),
               keyboard([[(ctx.t("button.cancel"), SettingsCb(action="cancel").pack())]]))


async def rename_typed(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    if await refuse_strangers(message, ctx):
        await state.clear()
        return
    # The core checks the name (1–200 characters) and the role; on a refusal the state stays, so the
    # owner may simply type another name.
    party = await parties.rename(actor=ctx.actor, party_id=ctx.party.id, name=message.text or "")
    await state.clear()
    ctx.party = party
    await _show_settings(message, ctx, prefix=ctx.t("settings.renamed", party=party.name) + "\n\n")


async def rename_cancelled(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    if await refuse_strangers(query, ctx):
        return
    await _show_settings(query, ctx)


# --- Remove a member ------------------------------------------------------------------------------


async def remove_asked(query: CallbackQuery, callback_data: SettingsCb, ctx: UpdateContext,
                       confirmations: Confirmations) -> None:
    if await refuse_strangers(query, ctx):
        return
    member = await team.managed_member(actor=ctx.actor, member_id=callback_data.member_id)
    name = member.display_name or str(member.telegram_user_id)
    token = await confirmations.offer(ctx.telegram_user_id, "member.remove", {"member_id": member.id, "name": name})
    key = "settings.remove.confirm_self" if member.id == ctx.member.id else "settings.remove.confirm"
    await show(query, ctx.t(key, name=name, role=str(member.role), party=ctx.party.name),
               keyboard([[(ctx.t("settings.button.remove_confirm"), RemoveCb(action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), RemoveCb(action="no", token=token).pack())]]))


async def _stranger_commands(bot: Bot, telegram_user_id: int, lang: str) -> None:
    """The removed person is a stranger from now on: their command menu goes back to a stranger's."""
    await publish_commands_for_chat(bot, chat_id=telegram_user_id, lang=lang, role=None, may_have_children=False,
                                    is_admin=await parties.is_admin(telegram_user_id))


async def remove_confirmed(query: CallbackQuery, callback_data: RemoveCb, ctx: UpdateContext,
                           confirmations: Confirmations, bot: Bot) -> None:
    if await refuse_strangers(query, ctx):
        return
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "member.remove")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    try:
        removed = await parties.remove_member(actor=ctx.actor, member_id=payload["member_id"])
    except NotAMember:  # removed meanwhile (or no longer this owner's to remove): nothing changed
        await query.answer(ctx.t("settings.remove.gone"), show_alert=True)
        return
    ctx.later(lambda: _stranger_commands(bot, removed.telegram_user_id, removed.language or ctx.lang))
    if removed.id == ctx.member.id:  # the owner removed themselves (another owner stays)
        await show(query, ctx.t("settings.left", party=ctx.party.name))
        return
    await _show_settings(query, ctx, prefix=ctx.t("settings.removed", name=payload["name"]) + "\n\n")


async def remove_cancelled(query: CallbackQuery, callback_data: RemoveCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    if await refuse_strangers(query, ctx):
        return
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "member.remove")
    await _show_settings(query, ctx)


def make_router() -> Router:
    router = Router(name="settings")
    router.message.register(settings_command, Command("settings"))
    router.callback_query.register(settings_command, MenuCb.filter(F.area == "settings"))
    router.callback_query.register(settings_page, SettingsCb.filter(F.action == "show"))
    router.callback_query.register(rename_asked, SettingsCb.filter(F.action == "rename"))
    router.callback_query.register(rename_cancelled, SettingsCb.filter(F.action == "cancel"))
    router.message.register(rename_typed, Rename.name, F.text, ~F.text.startswith("/"))
    router.callback_query.register(remove_asked, SettingsCb.filter(F.action == "remove"))
    router.callback_query.register(remove_confirmed, RemoveCb.filter(F.action == "ok"))
    router.callback_query.register(remove_cancelled, RemoveCb.filter(F.action == "no"))
    return router
