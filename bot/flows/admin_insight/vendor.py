"""/vendor: Bamboo's account balances, the shared rate limiter's state, the last catalog sync and the
orders stuck at the vendor — one message, with Refresh.

The bot process has no vendor client, so the balance comes from the worker: /vendor (and Refresh)
shows the last reading at once, marked "asking Bamboo…", and enqueues `refresh_vendor_balance`
(jobs/admin.py), which asks Bamboo for its accounts, stores the reading in Redis (`BALANCE_KEY`, with
its time) and edits the same message with the whole view rendered again. Everything else is read
here directly: the rate limiter's windows in Redis (the same keys the worker's client writes), the
catalog sync runs, and core.orders.attention's list.

`vendor_view` renders the message for both processes (the worker passes a system actor).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from arq.connections import ArqRedis

from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb
from bot.flows.admin_insight.callbacks import VendorCb
from bot.i18n import Money, t
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.catalog.status import catalog_status
from core.config import Settings
from core.orders.attention import orders_needing_attention
from core.vendors.bamboo import SharedRateLimiter
from core.vendors.bamboo.ratelimit import DEFAULT_KEY_PREFIX

BALANCE_KEY = "steller:vendor:accounts"
BALANCE_TTL_SECONDS = 7 * 24 * 3600
STUCK_SHOWN = 5
# Presses of Refresh within this many seconds share one balance job (arq ignores a job id it knows).
REFRESH_BUCKET_SECONDS = 10


def when_text(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment is not None else "—"


def _period(seconds: float, lang: str) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return t("admin_insight.vendor.period.hours", lang, count=int(seconds // 3600))
    if seconds >= 60 and seconds % 60 == 0:
        return t("admin_insight.vendor.period.minutes", lang, count=int(seconds // 60))
    return t("admin_insight.vendor.period.seconds", lang, count=Decimal(str(round(seconds, 3))).normalize())


# --- The balance reading (written by the worker) --------------------------------------------------


async def read_balance(redis) -> dict | None:
    raw = await redis.get(BALANCE_KEY)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def store_balance(redis, *, accounts: list[dict] | None, error: str | None) -> dict:
    """The worker's reading; an error keeps the last good balances beside it."""
    previous = await read_balance(redis) or {}
    reading = {"at": datetime.now(UTC).isoformat(), "error": error,
               "accounts": accounts if accounts is not None else previous.get("accounts"),
               "accounts_at": datetime.now(UTC).isoformat() if accounts is not None else previous.get("accounts_at")}
    await redis.set(BALANCE_KEY, json.dumps(reading), ex=BALANCE_TTL_SECONDS)
    return reading


def _balance_lines(reading: dict | None, settings: Settings, lang: str, refreshing: bool) -> list[str]:
    lines = []
    accounts = (reading or {}).get("accounts")
    if accounts is None:
        lines.append(t("admin_insight.vendor.balance.unknown", lang))
    else:
        at = datetime.fromisoformat(reading["accounts_at"]) if reading.get("accounts_at") else None
        lines.append(t("admin_insight.vendor.balance.title", lang, at=when_text(at)))
        if not accounts:
            lines.append(t("admin_insight.vendor.balance.none", lang))
        for account in accounts:
            try:
                balance = Decimal(str(account["balance"]))
                amount: object = Money.of(balance, account["currency"])
            except (InvalidOperation, KeyError, ValueError, TypeError):
                balance, amount = None, str(account.get("balance"))
            key = "active" if account.get("active", True) else "inactive"
            low = account.get("active", True) and balance is not None and balance < settings.vendor_low_balance
            lines.append(t(f"admin_insight.vendor.balance.account.{key}", lang, id=str(account.get("id", "?")),
                           balance=amount) + (t("admin_insight.vendor.balance.low", lang) if low else ""))
    if reading and reading.get("error"):
        lines.append(t("admin_insight.vendor.balance.error", lang, at=when_text(datetime.fromisoformat(reading["at"])),
                       error=reading["error"]))
    if refreshing:
        lines.append(t("admin_insight.vendor.balance.refreshing", lang))
    return lines


# --- Rate limits, catalog, stuck orders -------------------------------------------------------------


async def _rate_limit_lines(redis, settings: Settings, lang: str) -> list[str]:
    limiter = SharedRateLimiter(redis, key_prefix=f"{DEFAULT_KEY_PREFIX}{settings.bamboo_client_id}:")
    lines = [t("admin_insight.vendor.limits.title", lang)]
    busy = [s for s in (await limiter.state()).values() if s.used_in_window or s.blocked_for_seconds > 0]
    if not busy:
        lines.append(t("admin_insight.vendor.limits.quiet", lang))
    for state in busy:
        line = t("admin_insight.vendor.limits.line", lang, endpoint=state.endpoint, used=state.used_in_window,
                 limit=state.limit.count, period=_period(state.limit.period_seconds, lang))
        if state.blocked_for_seconds > 0:
            line += t("admin_insight.vendor.limits.blocked", lang, seconds=max(1, round(state.blocked_for_seconds)))
        lines.append(line)
    return lines


async def _catalog_lines(actor: Actor, lang: str) -> list[str]:
    status = await catalog_status(actor=actor)
    lines = [t("admin_insight.vendor.catalog.title", lang, products=status.products, gone=status.gone)]
    last = status.last_finished
    if last is None:
        lines.append(t("admin_insight.vendor.catalog.never", lang))
    else:
        lines.append(t(f"admin_insight.vendor.catalog.last.{'full' if last.full else 'changes'}", lang,
                       at=when_text(last.finished_at), pages=last.pages, added=last.added, changed=last.changed,
                       gone=last.gone))
    if status.running is not None:
        lines.append(t("admin_insight.vendor.catalog.running", lang, at=when_text(status.running.started_at),
                       pages=status.running.pages, products=status.running.products_seen))
        if status.running.error:
            lines.append(t("admin_insight.vendor.catalog.error", lang, error=status.running.error[:200]))
    if status.last_failed is not None:
        lines.append(t("admin_insight.vendor.catalog.failed", lang, at=when_text(status.last_failed.finished_at),
                       error=(status.last_failed.error or "—")[:200]))
    return lines


async def _stuck_lines(actor: Actor, settings: Settings, lang: str) -> list[str]:
    stuck = await orders_needing_attention(actor=actor,
                                           overdue_after=timedelta(hours=settings.order_attention_after_hours))
    if not stuck:
        return [t("admin_insight.vendor.stuck.none", lang)]
    lines = [t("admin_insight.vendor.stuck.title", lang, count=len(stuck))]
    for item in stuck[:STUCK_SHOWN]:
        key = "halted" if item.halted else "open"
        lines.append(t(f"admin_insight.vendor.stuck.{key}", lang, order=str(item.order.id)[:8],
                       status=item.order.status.value, since=when_text(item.since), reason=item.reason[:160]))
    if len(stuck) > STUCK_SHOWN:
        lines.append(t("admin_insight.vendor.stuck.more", lang, count=len(stuck) - STUCK_SHOWN))
    return lines


async def vendor_view(*, actor: Actor, redis, settings: Settings, lang: str,
                      refreshing: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    sections = [
        [t("admin_insight.vendor.title", lang)],
        _balance_lines(await read_balance(redis), settings, lang, refreshing),
        await _rate_limit_lines(redis, settings, lang),
        await _catalog_lines(actor, lang),
        await _stuck_lines(actor, settings, lang),
    ]
    markup = keyboard([
        [(t("admin_insight.vendor.button.refresh", lang), VendorCb(action="refresh").pack())],
        [(t("admin_insight.button.menu", lang), AdminCb(area="menu").pack())],
    ])
    return "\n\n".join("\n".join(section) for section in sections), markup


# --- Handlers ---------------------------------------------------------------------------------------


async def enqueue_refresh(arq: ArqRedis, *, chat_id: int, message_id: int, language: str) -> bool:
    bucket = int(time.time() // REFRESH_BUCKET_SECONDS)
    job = await arq.enqueue_job("refresh_vendor_balance", int(chat_id), int(message_id), language,
                                _job_id=f"refresh_vendor_balance:{chat_id}:{message_id}:{bucket}", _expires=120)
    return job is not None


async def vendor_command(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext, redis, arq: ArqRedis,
                         settings: Settings) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    text, markup = await vendor_view(actor=actor, redis=redis, settings=settings, lang=ctx.lang, refreshing=True)
    sent = await show(event, text, markup)
    if sent is not None:
        chat_id, message_id, lang = sent.chat.id, sent.message_id, ctx.lang
        ctx.later(lambda: enqueue_refresh(arq, chat_id=chat_id, message_id=message_id, language=lang))


def register(router: Router) -> None:
    router.message.register(vendor_command, Command("vendor"))
    router.callback_query.register(vendor_command, AdminCb.filter(F.area == "vendor"))
    router.callback_query.register(vendor_command, VendorCb.filter(F.action == "refresh"))
