"""/report: sales, GMV and commission for today / 7 days / 30 days / this month, in one message edited in
place; a party with sub-agents sees each one's figures (paged); "Chart" sends a PNG of daily sales.

The figures are core.reports' (who may read which party's report is its rule: the party's members, its
direct parent, admins). A parent opens a child's report with
`ReportCb(action="show", period="7d", party_id=<child id>).pack()` (from /subagents).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.context import UpdateContext
from bot.flows.menu import MenuCb, may_have_children
from bot.flows.reports.chart import render_daily_chart
from bot.i18n import money
from bot.ui import keyboard, refuse_strangers, show
from core.parties import service as parties
from core.reports.service import Period, SalesReport, sales_report

DEFAULT_PERIOD = Period.DAYS_7
CHILDREN_PAGE = 10


class ReportCb(CallbackData, prefix="rp"):
    action: str  # show | chart
    period: str  # a core.reports Period value
    party_id: int
    page: int = 0  # the sub-agent table's page


def _period(value: str) -> Period | None:
    try:
        return Period(value)
    except ValueError:
        return None


def _days(report: SalesReport) -> tuple[str, str]:
    """The period's first and last day (the core's end is exclusive)."""
    return report.start.date().isoformat(), (report.end - timedelta(days=1)).date().isoformat()


async def _report(ctx: UpdateContext, party_id: int, period: Period) -> tuple[SalesReport, str]:
    report = await sales_report(actor=ctx.actor, party_id=party_id, period=period)  # the core authorizes
    name = ctx.party.name if party_id == ctx.party.id else (await parties.get_party(party_id)).name
    return report, name


def _text(ctx: UpdateContext, report: SalesReport, name: str, page: int) -> tuple[str, int]:
    """The report's message, and how many pages its sub-agent table has."""
    start, end = _days(report)
    own = report.own
    lines = [
        ctx.t(f"reports.title.{report.period.value}", party=name, start=start, end=end),
        "",
        ctx.t("reports.sales", orders=own.orders, cards=own.cards, gmv=money(own.gmv, report.currency)),
    ]
    pages = 1
    if report.children or (report.party_id == ctx.party.id and may_have_children(ctx)):
        lines.append(ctx.t("reports.commission", commission=money(report.commission, report.currency)))
    if report.children:
        ranked = sorted(report.children, key=lambda c: (-c.sales.gmv, -c.commission, c.name.lower(), c.party_id))
        pages = (len(ranked) + CHILDREN_PAGE - 1) // CHILDREN_PAGE
        page = min(max(page, 0), pages - 1)
        lines += ["", ctx.t("reports.children.title", count=len(ranked), page=page + 1, pages=pages)]
        for child in ranked[page * CHILDREN_PAGE:(page + 1) * CHILDREN_PAGE]:
            lines.append(ctx.t("reports.child", name=child.name, orders=child.sales.orders, cards=child.sales.cards,
                               gmv=money(child.sales.gmv, report.currency),
                               commission=money(child.commission, report.currency)))
    return "\n".join(lines), pages


def _markup(ctx: UpdateContext, report: SalesReport, page: int, pages: int):
    party_id, current = report.party_id, report.period
    periods = [
        (("• " if period == current else "") + ctx.t(f"reports.period.{period.value}"),
         ReportCb(action="show", period=period.value, party_id=party_id).pack())
        for period in Period
    ]
    paging = []
    if page > 0:
        paging.append((ctx.t("reports.button.prev"),
                       ReportCb(action="show", period=current.value, party_id=party_id, page=page - 1).pack()))
    if page < pages - 1:
        paging.append((ctx.t("reports.button.next"),
                       ReportCb(action="show", period=current.value, party_id=party_id, page=page + 1).pack()))
    back = MenuCb(area="home" if party_id == ctx.party.id else "subagents").pack()
    return keyboard([
        periods[:2], periods[2:], paging,
        [(ctx.t("reports.button.chart"), ReportCb(action="chart", period=current.value, party_id=party_id).pack())],
        [(ctx.t("button.back"), back)],
    ])


async def _render(event: Message | CallbackQuery, ctx: UpdateContext, party_id: int, period: Period,
                  page: int = 0) -> None:
    report, name = await _report(ctx, party_id, period)
    text, pages = _text(ctx, report, name, page)
    await show(event, text, _markup(ctx, report, min(max(page, 0), pages - 1), pages))



async def report_command(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    if await refuse_strangers(event, ctx):
        return
    await _render(event, ctx, ctx.party.id, DEFAULT_PERIOD)


async def report_shown(query: CallbackQuery, callback_data: ReportCb, ctx: UpdateContext) -> None:
    if await refuse_strangers(query, ctx):
        return
    period = _period(callback_data.period)
    if period is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _render(query, ctx, callback_data.party_id, period, callback_data.page)


async def chart_sent(query: CallbackQuery, callback_data: ReportCb, ctx: UpdateContext, bot: Bot) -> None:
    if await refuse_strangers(query, ctx):
        return
    period = _period(callback_data.period)
    if period is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    report, name = await _report(ctx, callback_data.party_id, period)
    start, end = _days(report)
    caption = ctx.t("reports.chart.caption", party=name, start=start, end=end,
                    gmv=money(report.own.gmv, report.currency))
    chat_id = query.message.chat.id if query.message is not None else ctx.telegram_user_id
    async with ChatActionSender.upload_photo(bot=bot, chat_id=chat_id):
        png = await asyncio.to_thread(render_daily_chart, report.daily, currency=report.currency,
                                      title=f"{start}  -  {end}" if start != end else start)
        await bot.send_photo(chat_id, BufferedInputFile(png, filename=f"sales-{start}-{end}.png"), caption=caption)


def make_router() -> Router:
    router = Router(name="reports")
    router.message.register(report_command, Command("report"))
    router.callback_query.register(report_command, MenuCb.filter(F.area == "report"))
    router.callback_query.register(report_shown, ReportCb.filter(F.action == "show"))
    router.callback_query.register(chart_sent, ReportCb.filter(F.action == "chart"))
    return router
