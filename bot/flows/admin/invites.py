"""/agent_invite (and the menu's Invite area): links for a new top-level agent or partner, and the open
admin links with Revoke.

`/agent_invite` makes a single-use agent link at once; `/agent_invite partner` a partner link;
a number (`/agent_invite 10`, `/agent_invite partner 5`) lets the link be used that many times. The
core (invites.create_invite with no inviting party) checks the admin and writes the audit entry; the
code is shown once, here.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.args import Usage, words
from bot.flows.admin.callbacks import AdminInviteCb, ConfirmCb
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import kind_text, menu_button
from bot.ui import bot_username, keyboard, show
from core.access.actor import Actor
from core.config import Settings
from core.parties import invites
from core.parties.models import Invite, PartyKind

KINDS = ("agent", "partner")
PAGE = 5


def _expires(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"



async def invite_menu(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    open_now = await invites.open_invites(actor=actor, inviter_party_id=None)
    await show(event, ctx.t("admin.invite.menu"), keyboard([
        [(ctx.t("admin.invite.button.agent"), AdminInviteCb(action="agent").pack()),
         (ctx.t("admin.invite.button.partner"), AdminInviteCb(action="partner").pack())],
        [(ctx.t("admin.invite.button.list", count=len(open_now)), AdminInviteCb(action="list").pack())],
        [menu_button(ctx)],
    ]))


async def _create(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, bot: Bot, settings: Settings,
                  *, kind: str, uses: int) -> None:
    created = await invites.create_invite(actor=actor, inviter_party_id=None, max_uses=uses,
                                          child_kind=PartyKind(kind))
    link = created.link(await bot_username(bot, settings))
    text = ctx.t("admin.invite.created", kind=kind_text(ctx, kind), uses=uses,
                 expires=_expires(created.invite.expires_at))
    share = f"https://t.me/share/url?url={quote(link, safe='')}"
    markup = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=ctx.t("admin.invite.button.share"), url=share)],
        [InlineKeyboardButton(text=ctx.t("admin.invite.button.more"), callback_data=AdminInviteCb(action="more").pack())],
    ])
    # The link on a line of its own, outside the translated text (no bidi marks stuck to the URL). A
    # press sends a new message: the link, shown only once, stays in the chat.
    message = event.message if isinstance(event, CallbackQuery) else event
    await message.answer(f"{text}\n\n{link}", reply_markup=markup)


async def agent_invite_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                               bot: Bot, settings: Settings) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    kind, uses = "agent", 1
    try:
        for word in words(command.args):
            if word.lower() in KINDS:
                kind = word.lower()
            elif word.isascii() and word.isdigit() and 1 <= int(word) <= invites.MAX_USES_CAP:
                uses = int(word)
            else:
                raise Usage(word)
    except Usage:
        await message.answer(ctx.t("admin.invite.usage"))
        return
    await _create(message, ctx, actor, bot, settings, kind=kind, uses=uses)


async def create_pressed(query: CallbackQuery, callback_data: AdminInviteCb, ctx: UpdateContext, bot: Bot,
                         settings: Settings) -> None:
    actor = await ctx.admin_actor()
    await _create(query, ctx, actor, bot, settings, kind=callback_data.action, uses=1)


async def more_pressed(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await invite_menu(query.message, ctx, state)


def _line(ctx: UpdateContext, invite: Invite) -> str:
    return ctx.t("admin.invite.line", hint=invite.code_hint, kind=kind_text(ctx, str(invite.child_kind)),
                 left=invite.max_uses - invite.uses, uses=invite.max_uses, expires=_expires(invite.expires_at))


async def list_pressed(query: CallbackQuery, callback_data: AdminInviteCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    await _list(query, ctx, actor, callback_data.page)


async def _list(query: CallbackQuery, ctx: UpdateContext, actor: Actor, page: int, *, notice: str | None = None) -> None:
    open_now = await invites.open_invites(actor=actor, inviter_party_id=None)
    head = [notice] if notice else []
    back = [(ctx.t("button.back"), AdminCb(area="invite").pack())]
    if not open_now:
        await show(query, "\n\n".join([*head, ctx.t("admin.invite.none")]), keyboard([back]))
        return
    pages = (len(open_now) + PAGE - 1) // PAGE
    page = min(max(page, 0), pages - 1)
    shown = open_now[page * PAGE:(page + 1) * PAGE]
    lines = [ctx.t("admin.invite.list", count=len(open_now))]
    if pages > 1:
        lines.append(ctx.t("admin.page", page=page + 1, pages=pages))
    lines += [_line(ctx, i) for i in shown]
    rows = [[(ctx.t("admin.invite.button.revoke", hint=i.code_hint),
              AdminInviteCb(action="revoke", invite=i.id, page=page).pack())] for i in shown]
    nav = []
    if page > 0:
        nav.append((ctx.t("admin.button.previous"), AdminInviteCb(action="list", page=page - 1).pack()))
    if page + 1 < pages:
        nav.append((ctx.t("admin.button.next"), AdminInviteCb(action="list", page=page + 1).pack()))
    await show(query, "\n\n".join([*head, "\n".join(lines)]), keyboard([*rows, nav, back]))


async def ask_revoke(query: CallbackQuery, callback_data: AdminInviteCb, ctx: UpdateContext,
                     confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    open_now = await invites.open_invites(actor=actor, inviter_party_id=None)
    invite = next((i for i in open_now if i.id == callback_data.invite), None)
    if invite is None:
        await query.answer(ctx.t("admin.invite.gone"), show_alert=True)
        return
    token = await confirmations.offer(ctx.telegram_user_id, "admin.revoke",
                                      {"invite": invite.id, "hint": invite.code_hint, "page": callback_data.page})
    await show(query, ctx.t("admin.invite.revoke_confirm", hint=invite.code_hint) + "\n\n" + _line(ctx, invite),
               keyboard([[(ctx.t("admin.invite.button.revoke_confirm"),
                           ConfirmCb(kind="revoke", action="ok", token=token).pack()),
                          (ctx.t("button.cancel"), ConfirmCb(kind="revoke", action="no", token=token).pack())]]))


async def revoke_confirmed(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "admin.revoke")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    await invites.revoke_invite(actor=actor, invite_id=payload["invite"])
    await _list(query, ctx, actor, payload.get("page", 0), notice=ctx.t("admin.invite.revoked", hint=payload["hint"]))


def register(router: Router) -> None:
    router.message.register(agent_invite_command, Command("agent_invite"))
    router.callback_query.register(invite_menu, AdminCb.filter(F.area == "invite"))
    router.callback_query.register(create_pressed, AdminInviteCb.filter(F.action.in_(KINDS)))
    router.callback_query.register(more_pressed, AdminInviteCb.filter(F.action == "more"))
    router.callback_query.register(list_pressed, AdminInviteCb.filter(F.action == "list"))
    router.callback_query.register(ask_revoke, AdminInviteCb.filter(F.action == "revoke"))
    router.callback_query.register(revoke_confirmed, ConfirmCb.filter((F.kind == "revoke") & (F.action == "ok")))
