"""/start (menu or how to join), /start inv_<code> (join through an invite), applying as an agent,
/help and /language."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.commands import publish_commands_for_chat
from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb, may_have_children, show_menu
from bot.i18n import available_languages
from bot.ui import keyboard, show
from core.config import get_settings
from core.parties import invites
from core.parties import service as parties
from jobs.notifications import enqueue_deliveries

class JoinCb(CallbackData, prefix="j"):
    action: str  # "ok" | "no"
    token: str


class ApplyCb(CallbackData, prefix="ap"):
    action: str  # "ask" | "ok" | "no"
    token: str = "-"


class LanguageCb(CallbackData, prefix="lang"):
    code: str


def _display_name(message_or_query) -> str:
    user = message_or_query.from_user
    return (user.full_name or user.username or str(user.id))[:200]


async def _refresh_commands(bot: Bot, ctx: UpdateContext) -> None:
    await publish_commands_for_chat(bot, chat_id=ctx.telegram_user_id, lang=ctx.lang, role=ctx.role,
                                    may_have_children=may_have_children(ctx), is_admin=ctx.is_admin)


def _deliver_later(ctx: UpdateContext, arq: ArqRedis, rows) -> None:
    if rows:
        ctx.later(lambda: enqueue_deliveries(arq, rows))


async def start_with_invite(message: Message, command: CommandObject, ctx: UpdateContext,
                            confirmations: Confirmations) -> None:
    if ctx.member is not None:
        await message.answer(ctx.t("join.already_member", party=ctx.party.name))
        return
    preview = await invites.preview_invite(code=command.args)
    what = (ctx.t(f"join.as.{preview.child_kind}") if preview.child_kind is not None
            else ctx.t(f"join.role.{preview.member_role}"))
    token = await confirmations.offer(ctx.telegram_user_id, "join", {"code": command.args})
    await message.answer(
        ctx.t("join.preview", inviter=preview.inviter_name, what=what),
        reply_markup=keyboard([[(ctx.t("button.join"), JoinCb(action="ok", token=token).pack()),
                                (ctx.t("button.cancel"), JoinCb(action="no", token=token).pack())]]),
    )


async def join_confirmed(query: CallbackQuery, callback_data: JoinCb, ctx: UpdateContext, bot: Bot,
                         confirmations: Confirmations, arq: ArqRedis) -> None:
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "join")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    outbox: list = []
    party, member = await invites.redeem_invite(code=payload["code"], telegram_user_id=ctx.telegram_user_id,
                                                display_name=_display_name(query), language=ctx.lang, outbox=outbox)
    _deliver_later(ctx, arq, outbox)
    ctx.member, ctx.party = member, party
    await show(query, ctx.t("join.welcome", party=party.name, role=ctx.t(f"join.role.{member.role}")))
    await show_menu(query.message, ctx)
    ctx.later(lambda: _refresh_commands(bot, ctx))


async def join_cancelled(query: CallbackQuery, callback_data: JoinCb, ctx: UpdateContext,
                         confirmations: Confirmations) -> None:
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "join")
    await show(query, ctx.t("join.cancelled"))


async def start(message: Message, ctx: UpdateContext, bot: Bot) -> None:
    if ctx.member is None:
        await message.answer(ctx.t("start.unknown"),
                             reply_markup=keyboard([[(ctx.t("button.apply"), ApplyCb(action="ask").pack())]]))
        return
    await show_menu(message, ctx)
    ctx.later(lambda: _refresh_commands(bot, ctx))


async def apply_asked(query: CallbackQuery, ctx: UpdateContext, confirmations: Confirmations) -> None:
    if ctx.member is not None:
        await query.answer(ctx.t("join.already_member", party=ctx.party.name), show_alert=True)
        return
    token = await confirmations.offer(ctx.telegram_user_id, "apply", {})
    await show(query, ctx.t("apply.confirm", name=_display_name(query)),
               keyboard([[(ctx.t("button.apply_confirm"), ApplyCb(action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), ApplyCb(action="no", token=token).pack())]]))


async def apply_confirmed(query: CallbackQuery, callback_data: ApplyCb, ctx: UpdateContext,
                          confirmations: Confirmations, arq: ArqRedis) -> None:
    if await confirmations.take(ctx.telegram_user_id, callback_data.token, "apply") is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    outbox: list = []
    party = await parties.apply_as_agent(telegram_user_id=ctx.telegram_user_id, display_name=_display_name(query),
                                         language=ctx.lang, outbox=outbox)
    _deliver_later(ctx, arq, outbox)
    await show(query, ctx.t("apply.received", name=party.name))


async def apply_cancelled(query: CallbackQuery, callback_data: ApplyCb, ctx: UpdateContext,
                          confirmations: Confirmations) -> None:
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "apply")
    await show(query, ctx.t("start.unknown"))


async def help_(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    role = "none" if ctx.member is None else ("viewer" if ctx.role == "viewer" else
                                               "parent" if may_have_children(ctx) else "buyer")
    text = ctx.t(f"help.{role}", support=get_settings().support_contact)
    if ctx.is_admin:
        text += "\n\n" + ctx.t("help.admin")
    back = keyboard([[(ctx.t("button.back"), MenuCb(area="home").pack())]]) if ctx.member else None
    await show(event, text, back)


async def language_menu(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    rows = [[(ctx.t(f"language.name.{code}"), LanguageCb(code=code).pack())] for code in available_languages()]
    await show(event, ctx.t("language.choose"), keyboard(rows))


async def language_chosen(query: CallbackQuery, callback_data: LanguageCb, ctx: UpdateContext, bot: Bot) -> None:
    if callback_data.code not in available_languages():
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    if ctx.member is None:  # strangers follow Telegram's own language setting
        await query.answer(ctx.t("language.members_only"), show_alert=True)
        return
    await parties.set_language(actor=ctx.actor, language=callback_data.code)
    ctx.lang = callback_data.code
    await show(query, ctx.t("language.set"))
    await show_menu(query.message, ctx)
    ctx.later(lambda: _refresh_commands(bot, ctx))


def make_router() -> Router:
    router = Router(name="start")
    router.message.register(start_with_invite, CommandStart(deep_link=True, magic=F.args.startswith(invites.INVITE_PREFIX)))
    router.callback_query.register(join_confirmed, JoinCb.filter(F.action == "ok"))
    router.callback_query.register(join_cancelled, JoinCb.filter(F.action == "no"))
    router.message.register(start, CommandStart())
    router.callback_query.register(apply_asked, ApplyCb.filter(F.action == "ask"))
    router.callback_query.register(apply_confirmed, ApplyCb.filter(F.action == "ok"))
    router.callback_query.register(apply_cancelled, ApplyCb.filter(F.action == "no"))
    router.message.register(help_, Command("help"))
    router.callback_query.register(help_, MenuCb.filter(F.area == "help"))
    router.message.register(language_menu, Command("language"))
    router.callback_query.register(language_menu, MenuCb.filter(F.area == "language"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    return router
