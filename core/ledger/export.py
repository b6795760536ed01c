"""A wallet's statement for people: lines that say whom the money went to, and the same as CSV.

The bot shows a few lines and sends the whole statement as a CSV document; the partner API streams
the same CSV (`iter_statement_csv`). Reads only, with the same rule as `wallet_statement`: the
party's members, its direct parent and admins.

The CSV is oldest first (each line's balance reads on from the one above), UTF-8, amounts as plain
decimals in the wallet's currency, times in ISO 8601 UTC. A text cell that a spreadsheet would run
as a formula (a party name or memo starting with `=`, `+`, `-`, `@`) is prefixed with `'`.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.errors import PartyNotFound
from core.access.policy import Permission, authorize
from core.ledger.models import Account, AccountKind, Hold
from core.ledger.service import StatementLine, book_of, statement
from core.money import from_minor

CSV_COLUMNS = ("date", "kind", "amount", "currency", "balance_after", "counterparty", "reference", "memo",
               "transfer_id", "seq")
CSV_BATCH = 1000
# Above this many lines the CSV text is rendered in a worker thread, off the event loop.
RENDER_IN_THREAD_ABOVE = 2000

_COUNTERPARTY_SQL = (
    "SELECT a.id, p.name FROM ledger_account a JOIN party p ON p.id = a.party_id "
    "WHERE a.id = ANY($1::bigint[]) AND a.party_id <> $2"
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DescribedLine:
    """A statement line with the other party's name: the sub-agent funded, the agent that took money back.

    `counterparty` is None when the money went to or came from Steller (top-ups, adjustments) or
    another of the party's own accounts (order holds and refunds, commission payouts).
    """

    line: StatementLine
    counterparty: str | None
    # "order:<id>" when the line belongs to an order: its hold names it directly, its refund and
    # capture through the hold ("hold:<id>").
    order_reference: str | None = None


@dataclass(frozen=True)
class StatementPage:
    party_id: int
    currency: str
    entry_count: int  # lines in the wallet's whole history: seqs run 1..entry_count
    lines: list[DescribedLine]  # newest first

    @property
    def has_older(self) -> bool:
        return bool(self.lines) and self.lines[-1].line.seq > 1

    @property
    def has_newer(self) -> bool:
        return bool(self.lines) and self.lines[0].line.seq < self.entry_count


async def _wallet(actor: Actor, party_id: int) -> Account:
    await authorize(actor, party_id=party_id, permission=Permission.READ, parent_may=True)
    wallet = await Account.get_or_none(party_id=party_id, kind=AccountKind.WALLET, livemode=book_of(actor))
    if wallet is None:
        raise PartyNotFound(f"party {party_id} has no wallet", party_id=party_id)
    return wallet


async def _counterparties(party_id: int, lines: list[StatementLine]) -> dict[int, str]:
    ids = sorted({line.counterparty_account_id for line in lines})
    if not ids:
        return {}
    rows = await get_connection("default").execute_query_dict(_COUNTERPARTY_SQL, [ids, party_id])
    return {r["id"]: r["name"] for r in rows}


async def _hold_references(lines: list[StatementLine]) -> dict[str, str]:
    hold_ids = sorted({int(ref[5:]) for ref in (line.reference or "" for line in lines)
                       if ref.startswith("hold:") and ref[5:].isdigit()})
    if not hold_ids:
        return {}
    rows = await Hold.filter(id__in=hold_ids).values_list("id", "reference")
    return {f"hold:{hold_id}": reference for hold_id, reference in rows if reference}


async def _described(party_id: int, lines: list[StatementLine]) -> list[DescribedLine]:
    names = await _counterparties(party_id, lines)
    holds = await _hold_references(lines)

    def order_reference(reference: str | None) -> str | None:
        reference = holds.get(reference or "", reference)
        return reference if reference and reference.startswith("order:") else None

    return [DescribedLine(line=line, counterparty=names.get(line.counterparty_account_id),
                          order_reference=order_reference(line.reference)) for line in lines]


async def statement_page(*, actor: Actor, party_id: int, limit: int = 10,
                         before_seq: int | None = None) -> StatementPage:
    """Newest first; the next (older) page starts at `before_seq` = the last line's seq."""
    wallet = await _wallet(actor, party_id)
    lines = await statement(account_id=wallet.id, limit=max(1, min(limit, 100)), before_seq=before_seq)
    return StatementPage(party_id=party_id, currency=wallet.currency, entry_count=wallet.entry_count,
                         lines=await _described(party_id, lines))


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(item: DescribedLine, currency: str) -> list[str]:
    line = item.line
    return [line.created_at.isoformat().replace("+00:00", "Z"), line.kind, str(from_minor(line.amount, currency)),
            currency, str(from_minor(line.balance_after, currency)), _cell(item.counterparty),
            _cell(line.reference), _cell(line.memo), str(line.transfer_id), str(line.seq)]


def render_csv(lines: list[DescribedLine], currency: str, *, header: bool = True) -> str:
    """CSV text for `lines` in the order given (pure: safe to run in a worker thread)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for item in lines:
        writer.writerow(_row(item, currency))
    return out.getvalue()


async def _batches(wallet: Account, party_id: int, batch: int) -> AsyncIterator[list[DescribedLine]]:
    """Oldest first, `batch` lines at a time, up to the lines the wallet had when the export began.

    Seqs are contiguous (1..entry_count), so the lines after seq k are exactly those below k+batch+1.
    """
    last = wallet.entry_count
    done = 0
    while done < last:
        upto = min(done + batch, last)
        lines = await statement(account_id=wallet.id, limit=upto - done, before_seq=upto + 1)
        lines.reverse()
        if not lines:
            return
        yield await _described(party_id, lines)
        done = upto


async def iter_statement_csv(*, actor: Actor, party_id: int, batch: int = CSV_BATCH) -> AsyncIterator[str]:
    """The statement as CSV chunks (the header first): for a streaming HTTP response."""
    wallet = await _wallet(actor, party_id)
    yield render_csv([], wallet.currency)
    async for lines in _batches(wallet, party_id, batch):
        yield render_csv(lines, wallet.currency, header=False)


@dataclass(frozen=True)
class StatementCsv:
    party_id: int
    currency: str
    lines: int
    text: str


async def statement_csv(*, actor: Actor, party_id: int) -> StatementCsv:
    """The whole statement as one CSV text; a long one is rendered off the event loop."""
    wallet = await _wallet(actor, party_id)
    lines: list[DescribedLine] = []
    async for batch in _batches(wallet, party_id, CSV_BATCH):
        lines.extend(batch)
    if len(lines) > RENDER_IN_THREAD_ABOVE:
        text = await asyncio.to_thread(render_csv, lines, wallet.currency)
    else:
        text = render_csv(lines, wallet.currency)
    return StatementCsv(party_id=party_id, currency=wallet.currency, lines=len(lines), text=text)
