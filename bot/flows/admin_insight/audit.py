"""/audit [filters]: the audit log, newest first, a page at a time — who, from which update, what, on
which object, when, and the state before → after.

Filters (combined): `action:<prefix>` (`action:ledger` is every ledger.* action), `actor:<label>` (or
`by:`; `actor:tg:42`, `actor:cli`), and an object as `<type>:<id>` (`party:12`, `order:<uuid>`,
`card_list:3`). They do not fit in a button (64 bytes), so they are stored in Redis under a short key
derived from them; the page buttons carry that key and the cursor (the last entry id shown). The
core reads the log (`core.audit.service.page`, admins only).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.context import UpdateContext
from bot.flows.admin.args import Usage, words
from bot.flows.admin.common import AdminCb
from bot.flows.admin_insight.callbacks import AuditCb
from bot.flows.admin_insight.vendor import when_text
from bot.ui import keyboard, show
from core.audit.models import AuditEntry
from core.audit.service import AuditFilter, page

PAGE = 5
STATE_WIDTH = 180  # characters of a before / after state shown
FILTER_TTL_SECONDS = 7 * 24 * 3600
_ACTION_WORDS = ("action", "a")
_ACTOR_WORDS = ("actor", "by", "who")


def parse_filters(args: str | None) -> AuditFilter:
    """`action:ledger party:12 by:tg:42` → an AuditFilter; Usage when a word is not a filter."""
    found: dict[str, str] = {}
    for word in words(args):
        name, _, value = word.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not value or not name:
            raise Usage(word)
        if name in _ACTION_WORDS:
            key = "action_prefix"
        elif name in _ACTOR_WORDS:
            key = "actor"
        else:
            if "object_type" in found:
                raise Usage(word)
            found["object_type"], key = name, "object_id"
        if key in found:
            raise Usage(word)
        found[key] = value[:64]
    return AuditFilter(**found)


def _filter_key(filters: AuditFilter) -> str:
    blob = json.dumps(asdict(filters), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


async def store_filters(redis, filters: AuditFilter) -> str:
    if filters.empty:
        return ""
    key = _filter_key(filters)
    await redis.set(f"steller:audit_filter:{key}", json.dumps(asdict(filters)), ex=FILTER_TTL_SECONDS)
    return key


async def load_filters(redis, key: str) -> AuditFilter | None:
    if not key:
        return AuditFilter()
    raw = await redis.get(f"steller:audit_filter:{key}")
    if raw is None:
        return None
    try:
        return AuditFilter(**json.loads(raw))
    except (ValueError, TypeError):
        return None


def _state(value) -> str:
    if value is None:
        return "—"
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return text if len(text) <= STATE_WIDTH else text[:STATE_WIDTH - 1] + "…"


def _filters_text(ctx: UpdateContext, filters: AuditFilter) -> str:
    parts = []
    if filters.action_prefix:
        parts.append(f"action:{filters.action_prefix}")
    if filters.actor:
        parts.append(f"actor:{filters.actor}")
    if filters.object_type:
        parts.append(f"{filters.object_type}:{filters.object_id}" if filters.object_id else filters.object_type)
    return " ".join(parts)


def entry_text(ctx: UpdateContext, entry: AuditEntry) -> str:
    target = f"{entry.object_type} {entry.object_id}" if entry.object_id else entry.object_type
    return ctx.t("admin_insight.audit.entry", id=str(entry.id), when=when_text(entry.created_at), actor=entry.actor,
                 request=entry.request_id or "—", action=entry.action, target=target,
                 before=_state(entry.before), after=_state(entry.after))


async def _render(event: Message | CallbackQuery, ctx: UpdateContext, filters: AuditFilter, key: str,
                  cursor: int | None) -> None:
    actor = await ctx.admin_actor()
    found = await page(actor=actor, filters=filters, limit=PAGE, cursor=cursor)
    head = ctx.t("admin_insight.audit.title") if filters.empty else \
        ctx.t("admin_insight.audit.title.filtered", filters=_filters_text(ctx, filters))
    if not found.items:
        body = ctx.t("admin_insight.audit.none" if cursor is None else "admin_insight.audit.no_more")
    else:
        body = "\n\n".join(entry_text(ctx, entry) for entry in found.items)
    nav = []
    if cursor is not None:
        nav.append((ctx.t("admin_insight.audit.button.newest"), AuditCb(action="page", filters=key).pack()))
    if found.next_cursor is not None:
        nav.append((ctx.t("admin_insight.audit.button.older"),
                    AuditCb(action="page", filters=key, cursor=found.next_cursor).pack()))
    await show(event, f"{head}\n\n{body}", keyboard([nav, [(ctx.t("admin_insight.button.menu"),
                                                            AdminCb(area="menu").pack())]]))


async def audit_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                        redis) -> None:
    await state.clear()
    await ctx.admin_actor()
    try:
        filters = parse_filters(command.args)
    except Usage:
        await message.answer(ctx.t("admin_insight.audit.usage"))
        return
    key = await store_filters(redis, filters)
    await _render(message, ctx, filters, key, cursor=None)


async def audit_menu(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await _render(query, ctx, AuditFilter(), "", cursor=None)


async def audit_page(query: CallbackQuery, callback_data: AuditCb, ctx: UpdateContext, redis) -> None:
    await ctx.admin_actor()
    filters = await load_filters(redis, callback_data.filters)
    if filters is None:  # the stored filters expired: start again from the command
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _render(query, ctx, filters, callback_data.filters, cursor=callback_data.cursor or None)


def register(router: Router) -> None:
    router.message.register(audit_command, Command("audit"))
    router.callback_query.register(audit_menu, AdminCb.filter(F.area == "audit"))
    router.callback_query.register(audit_page, AuditCb.filter(F.action == "page"))
