"""/metrics [today | 7d | 30d]: signups, activations, orders, GMV, revenue and margin, in one message whose
period buttons edit it in place; "Chart" sends a PNG of daily GMV (the /report chart, drawn in a
thread); "Definitions" says exactly what each figure counts (core.reports.metrics)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb
from bot.flows.admin_insight.callbacks import MetricsCb
from bot.flows.reports.chart import render_daily_chart
from bot.i18n import money
from bot.ui import keyboard, show
from core.money import plain
from core.reports.metrics import Metrics, growth_metrics
from core.reports.service import Period

PERIODS = (Period.TODAY, Period.DAYS_7, Period.DAYS_30)
DEFAULT_PERIOD = Period.DAYS_7
KINDS = ("agent", "subagent", "partner")


def _period(value: str | None) -> Period | None:
    try:
        period = Period((value or "").strip().lower())
    except ValueError:
        return None
    return period if period in PERIODS else None


def _days(metrics: Metrics) -> tuple[str, str]:
    return metrics.start.date().isoformat(), (metrics.end - timedelta(days=1)).date().isoformat()


def metrics_text(ctx: UpdateContext, metrics: Metrics) -> str:
    start, end = _days(metrics)
    lines = [
        ctx.t(f"admin_insight.metrics.title.{metrics.period.value}", start=start, end=end),
        "",
        ctx.t("admin_insight.metrics.signups", count=metrics.total_signups,
              agents=metrics.signups.get("agent", 0), subagents=metrics.signups.get("subagent", 0),
              partners=metrics.signups.get("partner", 0)),
        ctx.t("admin_insight.metrics.activations", count=metrics.activations),
        ctx.t("admin_insight.metrics.orders", orders=metrics.orders, cards=metrics.cards),
    ]
    if not metrics.by_currency:
        lines.append(ctx.t("admin_insight.metrics.no_sales"))
    for figures in metrics.by_currency:
        margin = figures.margin
        lines.append(ctx.t("admin_insight.metrics.money", currency=figures.currency,
                           gmv=money(figures.gmv, figures.currency),
                           revenue=money(figures.revenue, figures.currency),
                           margin=ctx.t("admin_insight.metrics.margin", percent=Decimal(plain(margin * 100)))
                           if margin is not None else "—"))
    return "\n".join(lines)


def _markup(ctx: UpdateContext, period: Period):
    periods = [(("• " if p == period else "") + ctx.t(f"admin_insight.metrics.period.{p.value}"),
                MetricsCb(action="show", period=p.value).pack()) for p in PERIODS]
    return keyboard([
        periods,
        [(ctx.t("admin_insight.metrics.button.chart"), MetricsCb(action="chart", period=period.value).pack()),
         (ctx.t("admin_insight.metrics.button.about"), MetricsCb(action="about", period=period.value).pack())],
        [(ctx.t("admin_insight.button.menu"), AdminCb(area="menu").pack())],
    ])


async def _render(event: Message | CallbackQuery, ctx: UpdateContext, period: Period) -> None:
    actor = await ctx.admin_actor()
    metrics = await growth_metrics(actor=actor, period=period)
    await show(event, metrics_text(ctx, metrics), _markup(ctx, period))


async def metrics_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await ctx.admin_actor()
    period = _period(command.args) if (command.args or "").strip() else DEFAULT_PERIOD
    if period is None:
        await message.answer(ctx.t("admin_insight.metrics.usage"))
        return
    await _render(message, ctx, period)


async def metrics_menu(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await _render(query, ctx, DEFAULT_PERIOD)


async def metrics_shown(query: CallbackQuery, callback_data: MetricsCb, ctx: UpdateContext) -> None:
    await ctx.admin_actor()
    period = _period(callback_data.period)
    if period is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _render(query, ctx, period)


async def definitions(query: CallbackQuery, callback_data: MetricsCb, ctx: UpdateContext) -> None:
    await ctx.admin_actor()
    period = _period(callback_data.period) or DEFAULT_PERIOD
    await show(query, ctx.t("admin_insight.metrics.about"), keyboard([
        [(ctx.t("admin_insight.button.back"), MetricsCb(action="show", period=period.value).pack())],
    ]))


async def chart_sent(query: CallbackQuery, callback_data: MetricsCb, ctx: UpdateContext, bot: Bot) -> None:
    actor = await ctx.admin_actor()
    period = _period(callback_data.period)
    if period is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    metrics = await growth_metrics(actor=actor, period=period)
    currency = metrics.main_currency
    if currency is None:
        await query.answer(ctx.t("admin_insight.metrics.no_sales"), show_alert=True)
        return
    start, end = _days(metrics)
    total = next(f.gmv for f in metrics.by_currency if f.currency == currency)
    caption = ctx.t("admin_insight.metrics.chart.caption", currency=currency, start=start, end=end,
                    gmv=money(total, currency))
    chat_id = query.message.chat.id if query.message is not None else ctx.telegram_user_id
    async with ChatActionSender.upload_photo(bot=bot, chat_id=chat_id):
        png = await asyncio.to_thread(render_daily_chart, metrics.daily[currency], currency=currency,
                                      title=f"{start}  -  {end}" if start != end else start)
        await bot.send_photo(chat_id, BufferedInputFile(png, filename=f"gmv-{currency}-{start}-{end}.png"),
                             caption=caption)


def register(router: Router) -> None:
    router.message.register(metrics_command, Command("metrics"))
    router.callback_query.register(metrics_menu, AdminCb.filter(F.area == "metrics"))
    router.callback_query.register(metrics_shown, MetricsCb.filter(F.action == "show"))
    router.callback_query.register(definitions, MetricsCb.filter(F.action == "about"))
    router.callback_query.register(chart_sent, MetricsCb.filter(F.action == "chart"))
