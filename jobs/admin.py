"""arq tasks the admin commands start: a catalog sync now with a live progress message (/sync), and a
fresh reading of Bamboo's account balances for /vendor. Both answer by editing the admin's message
through the worker's notifier; the texts are the bot's (bot/flows/admin_insight), in the admin's
language."""

from __future__ import annotations

import asyncio
from contextlib import suppress

from arq.worker import func

from core.access.actor import Actor
from core.catalog.sync import SyncAlreadyRunning, SyncProgress, sync_catalog
from core.config import get_settings
from core.logging import get_logger
from core.notifications.telegram import TelegramRetryLater
from core.vendors.bamboo import VendorError

log = get_logger("jobs.admin")

# Telegram lets a bot edit a message about once a second; the sync's pages come about as fast.
PROGRESS_EDIT_SECONDS = 1.5
# The final "done" edit waits out Telegram's flood control this long at most.
FINAL_EDIT_MAX_WAIT_SECONDS = 30.0
SYNC_TIMEOUT_SECONDS = 3600  # a full sync is pages × 1 s (Bamboo's limit) and more on a slow day


async def _edit(ctx, chat_id: int, message_id: int, text: str, markup=None, *, final: bool = False) -> bool:
    notifier = ctx.get("telegram")
    if notifier is None:
        log.warning("admin_job_without_bot", chat_id=chat_id)
        return False
    try:
        return await notifier.edit_text(chat_id=int(chat_id), message_id=int(message_id), text=text, markup=markup)
    except TelegramRetryLater as exc:
        if not final or exc.seconds > FINAL_EDIT_MAX_WAIT_SECONDS:
            log.info("admin_job_edit_skipped", chat_id=chat_id, retry_after=exc.seconds)
            return False
        await asyncio.sleep(exc.seconds)
        try:
            return await notifier.edit_text(chat_id=int(chat_id), message_id=int(message_id), text=text,
                                            markup=markup)
        except TelegramRetryLater:
            log.warning("admin_job_edit_failed", chat_id=chat_id)
            return False


async def sync_catalog_now(ctx, chat_id: int, message_id: int, language: str, full: bool = False,
                           page_size: int | None = None) -> str:
    """Run the catalog sync (resuming an interrupted one), editing the admin's message as pages are
    written (at most every PROGRESS_EDIT_SECONDS) and once more at the end. Returns how it ended."""
    from bot.flows.admin_insight import sync as texts

    latest: dict[str, SyncProgress] = {}
    changed = asyncio.Event()

    def progress(report: SyncProgress) -> None:
        latest["progress"] = report
        changed.set()

    async def follow() -> None:
        shown = None
        while True:
            await changed.wait()
            changed.clear()
            report = latest["progress"]
            if report != shown:
                await _edit(ctx, chat_id, message_id, texts.progress_text(language, report, full=full))
                shown = report
            await asyncio.sleep(PROGRESS_EDIT_SECONDS)

    follower = asyncio.create_task(follow())
    options = {"page_size": page_size} if page_size else {}
    outcome = "done"
    try:
        result = await sync_catalog(ctx["vendor"], full=bool(full), progress=progress, **options)
        text = texts.done_text(language, result)
    except SyncAlreadyRunning:
        outcome, text = "busy", texts.busy_text(language)
    except VendorError as exc:
        log.warning("admin_sync_failed", error_type=type(exc).__name__)
        outcome, text = "failed", texts.failed_text(language, str(exc))
    except Exception as exc:  # told to the admin, then re-raised: arq records the failure
        log.error("admin_sync_crashed", error_type=type(exc).__name__, exc_info=exc)
        await _stop(follower)
        await _edit(ctx, chat_id, message_id, texts.failed_text(language, type(exc).__name__), final=True)
        raise
    await _stop(follower)
    await _edit(ctx, chat_id, message_id, text, final=True)
    return outcome


async def _stop(task: asyncio.Task) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def refresh_vendor_balance(ctx, chat_id: int, message_id: int, language: str) -> bool:
    """Ask Bamboo for its accounts, keep the reading for /vendor, and show it in the admin's message."""
    from bot.flows.admin_insight import vendor

    try:
        accounts = await ctx["vendor"].get_accounts()
        reading = [{"id": a.id, "currency": a.currency, "balance": str(a.balance), "active": a.is_active}
                   for a in accounts]
        await vendor.store_balance(ctx["redis"], accounts=reading, error=None)
    except VendorError as exc:
        log.warning("vendor_balance_refresh_failed", error_type=type(exc).__name__)
        await vendor.store_balance(ctx["redis"], accounts=None, error=f"{type(exc).__name__}: {exc}"[:300])
    text, markup = await vendor.vendor_view(actor=Actor.system("worker"), redis=ctx["redis"], settings=get_settings(),
                                            lang=language)
    return await _edit(ctx, chat_id, message_id, text, markup, final=True)


FUNCTIONS = [
    func(sync_catalog_now, name="sync_catalog_now", timeout=SYNC_TIMEOUT_SECONDS, max_tries=1),
    func(refresh_vendor_balance, name="refresh_vendor_balance", max_tries=1),
]
