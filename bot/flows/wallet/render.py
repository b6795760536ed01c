"""A wallet and its statement lines as texts: what each line was for, with whom, in the member's language."""

from __future__ import annotations

from bot.context import UpdateContext
from bot.i18n import money
from core.ledger.export import DescribedLine
from core.ledger.models import TransferKind
from core.ledger.service import WalletSummary

MEMO_SHOWN = 120  # a page of lines stays under Telegram's 4096 characters; the CSV has every memo whole

# Lines whose "what" names the other party (the sub-agent funded, the agent that took money back).
_WITH_COUNTERPARTY = {"allocation", "reclaim"}
_KNOWN_KINDS = {kind.value for kind in TransferKind}


def when(line) -> str:
    return line.created_at.strftime("%d.%m %H:%M")


def what(ctx: UpdateContext, item: DescribedLine) -> str:
    line = item.line
    kind = line.kind if line.kind in _KNOWN_KINDS else "other"
    if kind in _WITH_COUNTERPARTY:
        direction = "in" if line.amount > 0 else "out"
        return ctx.t(f"wallet.what.{kind}.{direction}", name=item.counterparty or "—")
    return ctx.t(f"wallet.what.{kind}")


def line_text(ctx: UpdateContext, item: DescribedLine, currency: str) -> str:
    line = item.line
    params = {"when": when(line), "direction": "in" if line.amount > 0 else "out",
              "amount": money(abs(line.amount), currency), "what": what(ctx, item)}
    if line.memo:
        memo = line.memo if len(line.memo) <= MEMO_SHOWN else line.memo[:MEMO_SHOWN - 1] + "…"
        return ctx.t("wallet.line_memo", memo=memo, **params)
    return ctx.t("wallet.line", **params)


def summary_text(ctx: UpdateContext, party_name: str, wallet: WalletSummary, *, show_commission: bool) -> str:
    cur = wallet.currency
    lines = [ctx.t("wallet.title", party=party_name, balance=money(wallet.balance, cur), held=money(wallet.held, cur),
                   available=money(wallet.available, cur), credit=money(wallet.credit_limit, cur))]
    if wallet.credit_limit:
        lines.append(ctx.t("wallet.spendable", spendable=money(wallet.spendable, cur)))
    if show_commission or wallet.commission:
        lines.append(ctx.t("wallet.commission", commission=money(wallet.commission, cur)))
    return "\n".join(lines)
