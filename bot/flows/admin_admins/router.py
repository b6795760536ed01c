"""/admins (and Admins in the /admin menu): who the admins are — the environment's marked, they cannot be
revoked here — with Grant (type a Telegram user id) and Revoke buttons, each after a confirmation that
works once. Shortcuts: `/grant_admin <telegram user id>`, `/revoke_admin <telegram user id>`.

The core decides and audits (core.parties.admins: grant / revoke, never one's own rights, never an
environment admin) and tells the person concerned; the bot re-checks the acting admin on every update
and refreshes the command menu of the person whose rights changed.
"""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.commands import publish_commands_for_chat
from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb, IsAdmin
from bot.i18n import pick_language
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.config import get_settings
from core.logging import get_logger
from core.parties import admins
from core.parties.models import Member, MemberStatus
from jobs.notifications import enqueue_deliveries

log = get_logger("bot.admin_admins")
# Telegram user ids are positive integers below 2^52 (no sign, no spaces, no decimal mark).
_USER_ID = re.compile(r"^\d{1,16}$")
CONFIRM_ACTION = "admin_rights"  # payload: change (grant | revoke), user


class AdminsCb(CallbackData, prefix="aad"):
    action: str  # list | grant | revoke | ok | no
    user: int = 0  # revoke: whose rights
    token: str = "-"  # ok / no: the confirmation


class AdminsStates(StatesGroup):
    user_id = State()  # waiting for the Telegram user id of a new admin


def _user_id(text: str | None) -> int | None:
    text = (text or "").strip()
    if not _USER_ID.match(text):
        return None
    value = int(text)
    return value if 0 < value < 2**52 else None


def _who(ctx: UpdateContext, user: admins.KnownUser | admins.AdminEntry) -> str:
    if user.name:
        return ctx.t("admins.who.member", id=str(user.telegram_user_id), name=user.name, party=user.party_name or "")
    return ctx.t("admins.who.unknown", id=str(user.telegram_user_id))


def _menu_row(ctx: UpdateContext) -> list[tuple[str, str]]:
    return [(ctx.t("admins.button.menu"), AdminCb(area="menu").pack())]


# --- The list ----------------------------------------------------------------------------------


async def _show_list(event: Message | CallbackQuery, ctx: UpdateContext, *, prefix: str = "") -> None:
    actor = await ctx.admin_actor()
    entries = await admins.list_admins(actor=actor)
    lines = [ctx.t("admins.title", count=len(entries))]
    for entry in entries:
        if entry.from_environment:
            source = ctx.t("admins.source.environment")
        else:
            source = ctx.t("admins.source.granted", by=entry.granted_by or "?",
                           when=entry.granted_at.strftime("%Y-%m-%d") if entry.granted_at else "?")
        you = ctx.t("admins.you") if entry.telegram_user_id == ctx.telegram_user_id else ""
        lines.append(ctx.t("admins.line", who=_who(ctx, entry), source=source, you=you).rstrip())
    rows = [[(ctx.t("admins.button.revoke", who=entry.name or str(entry.telegram_user_id)),
              AdminsCb(action="revoke", user=entry.telegram_user_id).pack())]
            for entry in entries if entry.revocable]
    rows.append([(ctx.t("admins.button.grant"), AdminsCb(action="grant").pack())])
    rows.append(_menu_row(ctx))
    await show(event, prefix + "\n".join(lines), keyboard(rows))


async def admins_command(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await _show_list(message, ctx)


async def admins_area(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await _show_list(query, ctx)


# --- Grant -------------------------------------------------------------------------------------


async def grant_asked(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await ctx.admin_actor()
    await state.set_state(AdminsStates.user_id)
    await show(query, ctx.t("admins.grant.ask"),
               keyboard([[(ctx.t("button.cancel"), AdminsCb(action="no").pack())]]))


async def typed_user_id(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    user_id = _user_id(message.text)
    if user_id is None:
        await message.answer(ctx.t("admins.not_a_user_id"))  # still waiting for one
        return
    await state.clear()
    await _offer_grant(message, ctx, confirmations, actor, user_id)


async def grant_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                        confirmations: Confirmations) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    user_id = _user_id(command.args)
    if user_id is None:
        await message.answer(ctx.t("admins.usage.grant"))
        return
    await _offer_grant(message, ctx, confirmations, actor, user_id)


async def _offer_grant(message: Message, ctx: UpdateContext, confirmations: Confirmations, actor: Actor,
                       user_id: int) -> None:
    user = await admins.known_user(actor=actor, telegram_user_id=user_id)
    if user.is_admin:
        await message.answer(ctx.t("admins.already", who=_who(ctx, user)),
                             reply_markup=keyboard([[(ctx.t("admins.button.list"), AdminsCb(action="list").pack())]]))
        return
    token = await confirmations.offer(ctx.telegram_user_id, CONFIRM_ACTION, {"change": "grant", "user": user_id})
    await message.answer(ctx.t("admins.grant.confirm", who=_who(ctx, user)), reply_markup=keyboard([[
        (ctx.t("admins.button.grant_confirm"), AdminsCb(action="ok", token=token).pack()),
        (ctx.t("button.cancel"), AdminsCb(action="no", token=token).pack())]]))


# --- Revoke ------------------------------------------------------------------------------------


async def revoke_asked(query: CallbackQuery, callback_data: AdminsCb, ctx: UpdateContext,
                       confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    await _offer_revoke(query, ctx, confirmations, actor, callback_data.user)


async def revoke_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                         confirmations: Confirmations) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    user_id = _user_id(command.args)
    if user_id is None:
        await message.answer(ctx.t("admins.usage.revoke"))
        return
    await _offer_revoke(message, ctx, confirmations, actor, user_id)


async def _offer_revoke(event: Message | CallbackQuery, ctx: UpdateContext, confirmations: Confirmations,
                        actor: Actor, user_id: int) -> None:
    user = await admins.known_user(actor=actor, telegram_user_id=user_id)
    if not user.is_admin:
        text = ctx.t("admins.not_admin", who=_who(ctx, user))
        if isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        else:
            await event.answer(text)
        return
    token = await confirmations.offer(ctx.telegram_user_id, CONFIRM_ACTION, {"change": "revoke", "user": user_id})
    await show(event, ctx.t("admins.revoke.confirm", who=_who(ctx, user)), keyboard([[
        (ctx.t("admins.button.revoke_confirm"), AdminsCb(action="ok", token=token).pack()),
        (ctx.t("button.cancel"), AdminsCb(action="no", token=token).pack())]]))


# --- Confirm / cancel --------------------------------------------------------------------------


async def confirmed(query: CallbackQuery, callback_data: AdminsCb, ctx: UpdateContext, bot: Bot,
                    confirmations: Confirmations, arq: ArqRedis) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, CONFIRM_ACTION)
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    user_id = int(payload["user"])
    user = await admins.known_user(actor=actor, telegram_user_id=user_id)
    if payload.get("change") == "grant":
        changed, rows = await admins.grant(actor=actor, telegram_user_id=user_id)
        done = ctx.t("admins.granted" if changed else "admins.already", who=_who(ctx, user))
    else:
        changed, rows = await admins.revoke(actor=actor, telegram_user_id=user_id)
        done = ctx.t("admins.revoked" if changed else "admins.not_admin", who=_who(ctx, user))
    if rows:
        ctx.later(lambda: enqueue_deliveries(arq, rows))
    if changed:
        ctx.later(lambda: _refresh_commands(bot, user_id))
    await _show_list(query, ctx, prefix=done + "\n\n")


async def cancelled(query: CallbackQuery, callback_data: AdminsCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    await ctx.admin_actor()
    await state.clear()
    if callback_data.token != "-":
        await confirmations.take(ctx.telegram_user_id, callback_data.token, CONFIRM_ACTION)
    await _show_list(query, ctx, prefix=ctx.t("admins.cancelled") + "\n\n")


async def _refresh_commands(bot: Bot, telegram_user_id: int) -> None:
    """The person whose rights changed sees /admin in their command menu (or no longer does)."""
    from core.parties.service import is_admin

    try:
        member = await Member.get_or_none(telegram_user_id=telegram_user_id, status=MemberStatus.ACTIVE) \
            .prefetch_related("party")
        await publish_commands_for_chat(
            bot, chat_id=telegram_user_id, lang=pick_language(member.language if member else None),
            role=str(member.role) if member else None,
            may_have_children=bool(member and member.party.depth < get_settings().max_depth),
            is_admin=await is_admin(telegram_user_id))
    except Exception as exc:  # noqa: BLE001 - a chat that never started the bot has no menu to refresh
        log.info("admin_commands_not_refreshed", error_type=type(exc).__name__)


def make_router() -> Router:
    router = Router(name="admin_admins")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(admins_command, Command("admins"))
    router.message.register(grant_command, Command("grant_admin"))
    router.message.register(revoke_command, Command("revoke_admin"))
    router.callback_query.register(admins_area, AdminCb.filter(F.area == "admins"))
    router.callback_query.register(admins_area, AdminsCb.filter(F.action == "list"))
    router.callback_query.register(grant_asked, AdminsCb.filter(F.action == "grant"))
    router.callback_query.register(revoke_asked, AdminsCb.filter(F.action == "revoke"))
    router.callback_query.register(confirmed, AdminsCb.filter(F.action == "ok"))
    router.callback_query.register(cancelled, AdminsCb.filter(F.action == "no"))
    router.message.register(typed_user_id, StateFilter(AdminsStates.user_id), ~F.text.startswith("/"))
    return router
