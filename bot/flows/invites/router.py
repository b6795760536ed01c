"""/invite: new single- or multi-use links for sub-agents, a team link for a manager or viewer, and the
open invites (paged) with Revoke after a confirmation.

Who may invite is the core's to say (core.parties.invites: a party's owner, while the party is active);
every press asks it again with the acting member. A link's code is shown once, in the message that
created it: only a hash is stored.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.menu import MenuCb, may_have_children
from bot.ui import bot_username, keyboard, refuse_strangers, show
from core.config import Settings
from core.parties import invites, team
from core.parties.models import Invite, InvitePurpose, MemberRole

# What the buttons offer; the core bounds what it accepts (1–1000 uses, 1 hour–90 days).
MULTI_USE_CAPS = (5, 10, 25, 50)
MULTI_USE_DAYS = (1, 3, 7, 30)
TEAM_ROLES = (MemberRole.MANAGER, MemberRole.VIEWER)
PAGE_SIZE = 5


class InviteCb(CallbackData, prefix="iv"):
    action: str  # menu | single | multi | cap | make | team | member | list | revoke
    uses: int = 0  # cap, make
    days: int = 0  # make
    role: str = "-"  # member
    invite_id: int = 0  # revoke
    page: int = 0  # list, revoke (the page to come back to)


class RevokeCb(CallbackData, prefix="ivr"):
    action: str  # ok | no
    token: str
    page: int = 0


def _expires(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"




async def invite_menu(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    if await refuse_strangers(event, ctx):
        return
    # Reading the open invites asks the core whether this member may manage invites at all.
    open_now = await invites.open_invites(actor=ctx.actor, inviter_party_id=ctx.party.id)
    rows = []
    if may_have_children(ctx):
        rows.append([(ctx.t("invites.button.single"), InviteCb(action="single").pack())])
        rows.append([(ctx.t("invites.button.multi"), InviteCb(action="multi").pack())])
    rows.append([(ctx.t("invites.button.team"), InviteCb(action="team").pack())])
    rows.append([(ctx.t("invites.button.list", count=len(open_now)), InviteCb(action="list").pack())])
    rows.append([(ctx.t("button.back"), MenuCb(area="home").pack())])
    text = ctx.t("invites.menu", party=ctx.party.name) if may_have_children(ctx) \
        else ctx.t("invites.menu_team_only", party=ctx.party.name)
    await show(event, text, keyboard(rows))


def _created_markup(ctx: UpdateContext, link: str) -> InlineKeyboardMarkup:
    """Share the link from Telegram's share sheet; "More invites" opens a new menu below, so the link
    (shown only here) stays in the chat."""
    share = f"https://t.me/share/url?url={quote(link, safe='')}"
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=ctx.t("invites.button.share"), url=share)],
        [InlineKeyboardButton(text=ctx.t("invites.button.more"), callback_data=InviteCb(action="more").pack())],
    ])


async def _show_created(query: CallbackQuery, ctx: UpdateContext, text: str, link: str) -> None:
    # The link goes on a line of its own, outside the translated text: Fluent's bidi isolation marks
    # around a variable must not stick to the URL (Telegram would take them for part of the link).
    await show(query, f"{text}\n\n{link}", _created_markup(ctx, link))


async def more_invites(query: CallbackQuery, ctx: UpdateContext) -> None:
    """From a message that shows a link: the menu arrives as a new message, the link stays readable."""
    if await refuse_strangers(query, ctx):
        return
    await invite_menu(query.message, ctx)


async def create_single(query: CallbackQuery, ctx: UpdateContext, bot: Bot, settings: Settings) -> None:
    if await refuse_strangers(query, ctx):
        return
    created = await invites.create_invite(actor=ctx.actor, inviter_party_id=ctx.party.id, max_uses=1)
    link = created.link(await bot_username(bot, settings))
    await _show_created(query, ctx, ctx.t("invites.created.single", kind=str(created.invite.child_kind),
                                          expires=_expires(created.invite.expires_at)), link)


async def choose_cap(query: CallbackQuery, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    await team.check_may_manage(actor=ctx.actor, party_id=ctx.party.id)  # refused before any choice
    caps = [(str(n), InviteCb(action="cap", uses=n).pack()) for n in MULTI_USE_CAPS]
    await show(query, ctx.t("invites.multi.cap"),
               keyboard([caps, [(ctx.t("button.back"), InviteCb(action="menu").pack())]]))


async def choose_days(query: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    if callback_data.uses not in MULTI_USE_CAPS:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await team.check_may_manage(actor=ctx.actor, party_id=ctx.party.id)
    days = [(ctx.t("invites.days", days=d), InviteCb(action="make", uses=callback_data.uses, days=d).pack())
            for d in MULTI_USE_DAYS]
    await show(query, ctx.t("invites.multi.ttl", uses=callback_data.uses),
               keyboard([days[:2], days[2:], [(ctx.t("button.back"), InviteCb(action="multi").pack())]]))


async def create_multi(query: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext, bot: Bot,
                       settings: Settings) -> None:
    if await refuse_strangers(query, ctx):
        return
    if callback_data.uses not in MULTI_USE_CAPS or callback_data.days not in MULTI_USE_DAYS:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    created = await invites.create_invite(actor=ctx.actor, inviter_party_id=ctx.party.id,
                                          max_uses=callback_data.uses, ttl_hours=24 * callback_data.days)
    link = created.link(await bot_username(bot, settings))
    await _show_created(query, ctx, ctx.t("invites.created.multi", uses=callback_data.uses,
                                          kind=str(created.invite.child_kind),
                                          expires=_expires(created.invite.expires_at)), link)


async def choose_role(query: CallbackQuery, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    await team.check_may_manage(actor=ctx.actor, party_id=ctx.party.id)  # refused before any choice
    roles = [(ctx.t(f"invites.role.{role}"), InviteCb(action="member", role=str(role)).pack()) for role in TEAM_ROLES]
    await show(query, ctx.t("invites.team.choose", party=ctx.party.name),
               keyboard([roles, [(ctx.t("button.back"), InviteCb(action="menu").pack())]]))


async def create_member(query: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext, bot: Bot,
                        settings: Settings) -> None:
    if await refuse_strangers(query, ctx):
        return
    if callback_data.role not in {str(r) for r in TEAM_ROLES}:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    created = await invites.create_member_invite(actor=ctx.actor, party_id=ctx.party.id,
                                                 role=MemberRole(callback_data.role))
    link = created.link(await bot_username(bot, settings))
    await _show_created(query, ctx, ctx.t("invites.created.member", party=ctx.party.name,
                                          role=callback_data.role, expires=_expires(created.invite.expires_at)), link)


def _line(ctx: UpdateContext, invite: Invite) -> str:
    expires = _expires(invite.expires_at)
    if invite.purpose == InvitePurpose.MEMBER:
        return ctx.t("invites.line.member", hint=invite.code_hint, role=str(invite.member_role), expires=expires)
    return ctx.t("invites.line.party", hint=invite.code_hint, kind=str(invite.child_kind),
                 left=invite.max_uses - invite.uses, uses=invite.max_uses, expires=expires)


async def list_invites(query: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    await _show_list(query, ctx, callback_data.page)


async def _show_list(query: CallbackQuery, ctx: UpdateContext, page: int, *, prefix: str = "") -> None:
    open_now = await invites.open_invites(actor=ctx.actor, inviter_party_id=ctx.party.id)
    back = [(ctx.t("button.back"), InviteCb(action="menu").pack())]
    if not open_now:
        await show(query, (prefix + ctx.t("invites.list.empty")).strip(), keyboard([back]))
        return
    pages = (len(open_now) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = open_now[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    lines = [ctx.t("invites.list.title", count=len(open_now), page=page + 1, pages=pages)]
    lines += [_line(ctx, invite) for invite in shown]
    rows = [[(ctx.t("invites.button.revoke", hint=invite.code_hint),
              InviteCb(action="revoke", invite_id=invite.id, page=page).pack())] for invite in shown]
    paging = []
    if page > 0:
        paging.append((ctx.t("invites.button.prev"), InviteCb(action="list", page=page - 1).pack()))
    if page < pages - 1:
        paging.append((ctx.t("invites.button.next"), InviteCb(action="list", page=page + 1).pack()))
    rows += [paging, back]
    await show(query, prefix + "\n".join(lines), keyboard(rows))


async def ask_revoke(query: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext,
                     confirmations: Confirmations) -> None:
    if await refuse_strangers(query, ctx):
        return
    # The invite must be one of this party's open ones, as the core lists them for this member now.
    open_now = await invites.open_invites(actor=ctx.actor, inviter_party_id=ctx.party.id)
    invite = next((i for i in open_now if i.id == callback_data.invite_id), None)
    if invite is None:
        await query.answer(ctx.t("invites.revoke.gone"), show_alert=True)
        return
    token = await confirmations.offer(ctx.telegram_user_id, "invite.revoke",
                                      {"invite_id": invite.id, "hint": invite.code_hint})
    await show(query, ctx.t("invites.revoke.confirm", hint=invite.code_hint) + "\n\n" + _line(ctx, invite),
               keyboard([[(ctx.t("invites.button.revoke_confirm"), RevokeCb(action="ok", token=token,
                                                                               page=callback_data.page).pack()),
                          (ctx.t("button.cancel"), RevokeCb(action="no", token=token,
                                                            page=callback_data.page).pack())]]))


async def revoke_confirmed(query: CallbackQuery, callback_data: RevokeCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    if await refuse_strangers(query, ctx):
        return
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, "invite.revoke")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    await invites.revoke_invite(actor=ctx.actor, invite_id=payload["invite_id"])
    await _show_list(query, ctx, callback_data.page,
                     prefix=ctx.t("invites.revoked", hint=payload["hint"]) + "\n\n")


async def revoke_cancelled(query: CallbackQuery, callback_data: RevokeCb, ctx: UpdateContext,
                           confirmations: Confirmations) -> None:
    if await refuse_strangers(query, ctx):
        return
    await confirmations.take(ctx.telegram_user_id, callback_data.token, "invite.revoke")
    await _show_list(query, ctx, callback_data.page)


def make_router() -> Router:
    router = Router(name="invites")
    router.message.register(invite_menu, Command("invite"))
    router.callback_query.register(invite_menu, MenuCb.filter(F.area == "invite"))
    router.callback_query.register(invite_menu, InviteCb.filter(F.action == "menu"))
    router.callback_query.register(more_invites, InviteCb.filter(F.action == "more"))
    router.callback_query.register(create_single, InviteCb.filter(F.action == "single"))
    router.callback_query.register(choose_cap, InviteCb.filter(F.action == "multi"))
    router.callback_query.register(choose_days, InviteCb.filter(F.action == "cap"))
    router.callback_query.register(create_multi, InviteCb.filter(F.action == "make"))
    router.callback_query.register(choose_role, InviteCb.filter(F.action == "team"))
    router.callback_query.register(create_member, InviteCb.filter(F.action == "member"))
    router.callback_query.register(list_invites, InviteCb.filter(F.action == "list"))
    router.callback_query.register(ask_revoke, InviteCb.filter(F.action == "revoke"))
    router.callback_query.register(revoke_confirmed, RevokeCb.filter(F.action == "ok"))
    router.callback_query.register(revoke_cancelled, RevokeCb.filter(F.action == "no"))
    return router
