"""/sync [full]: a catalog sync now, with one message that follows it to the end.

The bot records the request (core.catalog.status.request_sync: audited, in the update's transaction),
shows "queued" and, after commit, enqueues `sync_catalog_now` with the deterministic job id
`sync_catalog_now:<chat>:<message>` (a second press on the same message starts nothing more). The
worker runs core.catalog.sync.sync_catalog with a progress callback and edits that message through
its notifier as pages are written, then once more with the counts ("done"), or why it stopped. The
texts below are rendered by the worker too, in the admin's language.

From the /admin menu: the last sync's state, and a choice between the changes since the last sync and
a full sync (which also marks cards that vanished from Bamboo as gone).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb
from bot.flows.admin_insight.callbacks import SyncCb
from bot.flows.admin_insight.vendor import when_text
from bot.i18n import t
from bot.ui import keyboard, show
from core.catalog import status as catalog
from core.catalog.sync import CatalogSyncResult, SyncProgress

SYNC_JOB = "sync_catalog_now"


def sync_job_id(chat_id: int, message_id: int) -> str:
    return f"{SYNC_JOB}:{chat_id}:{message_id}"


def _kind(full: bool, lang: str) -> str:
    return t(f"admin_insight.sync.kind.{'full' if full else 'changes'}", lang)


def queued_text(lang: str, *, full: bool) -> str:
    return t("admin_insight.sync.queued", lang, kind=_kind(full, lang))


def progress_text(lang: str, progress: SyncProgress, *, full: bool) -> str:
    if progress.pages_total:
        return t("admin_insight.sync.progress.known", lang, kind=_kind(full, lang), pages=progress.pages,
                 total=progress.pages_total, products=progress.products)
    return t("admin_insight.sync.progress.started", lang, kind=_kind(full, lang), pages=progress.pages,
             products=progress.products)


def done_text(lang: str, result: CatalogSyncResult) -> str:
    text = t("admin_insight.sync.done", lang, kind=_kind(result.full, lang), seconds=max(1, round(result.seconds)),
             pages=result.pages, products=result.products, added=result.added, changed=result.changed,
             gone=result.gone)
    if result.gone_skipped:
        text += "\n" + t("admin_insight.sync.gone_skipped", lang)
    return text


def busy_text(lang: str) -> str:
    return t("admin_insight.sync.busy", lang)


def failed_text(lang: str, error: str) -> str:
    return t("admin_insight.sync.failed", lang, error=error[:300])


async def enqueue_sync(arq: ArqRedis, *, chat_id: int, message_id: int, language: str, full: bool) -> bool:
    job = await arq.enqueue_job(SYNC_JOB, int(chat_id), int(message_id), language, bool(full),
                                _job_id=sync_job_id(chat_id, message_id))
    return job is not None


async def _start(event: Message | CallbackQuery, ctx: UpdateContext, arq: ArqRedis, *, full: bool) -> None:
    actor = await ctx.admin_actor()
    await catalog.request_sync(actor=actor, full=full)
    sent = await show(event, queued_text(ctx.lang, full=full))
    if sent is not None:
        chat_id, message_id, lang = sent.chat.id, sent.message_id, ctx.lang
        ctx.later(lambda: enqueue_sync(arq, chat_id=chat_id, message_id=message_id, language=lang, full=full))


async def sync_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                       arq: ArqRedis) -> None:
    await state.clear()
    await ctx.admin_actor()
    args = (command.args or "").strip().lower()
    if args not in ("", "full"):
        await message.answer(ctx.t("admin_insight.sync.usage"))
        return
    await _start(message, ctx, arq, full=args == "full")


async def sync_menu(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    status = await catalog.catalog_status(actor=actor)
    last = status.last_finished
    lines = [ctx.t("admin_insight.sync.menu", products=status.products)]
    lines.append(ctx.t("admin_insight.sync.last", at=when_text(last.finished_at)) if last is not None
                 else ctx.t("admin_insight.vendor.catalog.never"))
    if status.running is not None:
        lines.append(ctx.t("admin_insight.sync.running", at=when_text(status.running.started_at)))
    await show(query, "\n".join(lines), keyboard([
        [(ctx.t("admin_insight.sync.button.changes"), SyncCb(action="start", full=0).pack())],
        [(ctx.t("admin_insight.sync.button.full"), SyncCb(action="start", full=1).pack())],
        [(ctx.t("admin_insight.button.menu"), AdminCb(area="menu").pack())],
    ]))


async def sync_pressed(query: CallbackQuery, callback_data: SyncCb, ctx: UpdateContext, arq: ArqRedis) -> None:
    await _start(query, ctx, arq, full=bool(callback_data.full))


def register(router: Router) -> None:
    router.message.register(sync_command, Command("sync"))
    router.callback_query.register(sync_menu, AdminCb.filter(F.area == "sync"))
    router.callback_query.register(sync_pressed, SyncCb.filter(F.action == "start"))
