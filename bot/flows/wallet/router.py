"""/wallet: balance, held, available, credit limit, accrued commission and the last lines with what each
was for; More lines pages back through the statement; Statement sends the whole of it as a CSV document.

Every member reads its own party's wallet (viewers too); the core checks it on every press.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.context import UpdateContext
from bot.flows.menu import MenuCb, may_have_children
from bot.flows.wallet.render import line_text, summary_text
from bot.ui import keyboard, show
from core.ledger import export
from core.ledger import service as ledger

LAST_LINES = 5
PAGE = 10


class WalletCb(CallbackData, prefix="w"):
    action: str  # home | lines | csv
    before: int = 0  # lines: the page ends below this seq (0: the newest page)


async def _not_a_member(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(ctx.t("error.not_a_member"), show_alert=True)
    else:
        await event.answer(ctx.t("error.not_a_member"))


async def wallet_home(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    if ctx.member is None:
        await _not_a_member(event, ctx)
        return
    party = ctx.party
    wallet = await ledger.wallet_summary(actor=ctx.actor, party_id=party.id)
    page = await export.statement_page(actor=ctx.actor, party_id=party.id, limit=LAST_LINES)
    parts = [summary_text(ctx, party.name, wallet, show_commission=may_have_children(ctx)), ""]
    if page.lines:
        parts.append(ctx.t("wallet.last_lines"))
        parts += [line_text(ctx, item, page.currency) for item in page.lines]
    else:
        parts.append(ctx.t("wallet.no_lines"))
    rows = [[(ctx.t("wallet.button.statement"), WalletCb(action="csv").pack())]]
    if page.has_older:
        rows[0].append((ctx.t("wallet.button.more"), WalletCb(action="lines").pack()))
    rows.append([(ctx.t("button.back"), MenuCb(area="home").pack())])
    await show(event, "\n".join(parts), keyboard(rows))


async def more_lines(query: CallbackQuery, callback_data: WalletCb, ctx: UpdateContext) -> None:
    """A page of PAGE lines, newest first; seqs are contiguous, so Newer is a page's first seq + PAGE."""
    if ctx.member is None:
        await _not_a_member(query, ctx)
        return
    before = callback_data.before if callback_data.before > 0 else None
    page = await export.statement_page(actor=ctx.actor, party_id=ctx.party.id, limit=PAGE, before_seq=before)
    if not page.lines:
        await query.answer(ctx.t("wallet.no_more_lines"), show_alert=True)
        return
    first, last = page.lines[-1].line.seq, page.lines[0].line.seq
    text = "\n".join([ctx.t("wallet.lines_title", first=first, last=last, total=page.entry_count),
                      *[line_text(ctx, item, page.currency) for item in page.lines]])
    nav = []
    if page.has_newer:
        newer = last + PAGE + 1
        nav.append((ctx.t("wallet.button.newer"),
                    WalletCb(action="lines", before=0 if newer > page.entry_count else newer).pack()))
    if page.has_older:
        nav.append((ctx.t("wallet.button.older"), WalletCb(action="lines", before=first).pack()))
    await show(query, text, keyboard([nav, [(ctx.t("wallet.button.wallet"), WalletCb(action="home").pack())]]))


async def send_statement(query: CallbackQuery, ctx: UpdateContext, bot: Bot) -> None:
    """The whole statement as a CSV document (the core renders a long one off the event loop)."""
    if ctx.member is None:
        await _not_a_member(query, ctx)
        return
    chat_id = query.message.chat.id if query.message else ctx.telegram_user_id
    await bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)
    party = ctx.party
    csv = await export.statement_csv(actor=ctx.actor, party_id=party.id)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    document = BufferedInputFile(csv.text.encode("utf-8-sig"),  # the BOM lets spreadsheets read Arabic names
                                 filename=f"steller-statement-{party.id}-{today}.csv")
    await bot.send_document(chat_id=chat_id, document=document,
                            caption=ctx.t("wallet.statement_caption", party=party.name, lines=csv.lines))


def make_router() -> Router:
    router = Router(name="wallet")
    router.message.register(wallet_home, Command("wallet"))
    router.callback_query.register(wallet_home, MenuCb.filter(F.area == "wallet"))
    router.callback_query.register(wallet_home, WalletCb.filter(F.action == "home"))
    router.callback_query.register(more_lines, WalletCb.filter(F.action == "lines"))
    router.callback_query.register(send_statement, WalletCb.filter(F.action == "csv"))
    return router
