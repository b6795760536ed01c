"""Partner API: the wallet and its statement (JSON pages, or the whole statement as CSV)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import current_actor
from api.v1.common import Money, Page, decode_position, encode_cursor, money, \
    problem_responses
from core.access.actor import Actor
from core.ledger import export
from core.ledger import service as ledger
from core.ledger.export import DescribedLine

router = APIRouter(prefix="/v1", tags=["wallet"])


class Wallet(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "balance": {"amount": "250.00", "currency": "USD"}, "held": {"amount": "28.41", "currency": "USD"},
        "available": {"amount": "221.59", "currency": "USD"}, "credit_limit": {"amount": "0.00", "currency": "USD"},
        "currency": "USD", "livemode": True}]}}

    balance: Money = Field(description="What you own: available + held")
    held: Money = Field(description="Set aside for orders in progress")
    available: Money = Field(description="What new orders can use (negative while credit is in use)")
    credit_limit: Money = Field(description="How far below zero `available` may go")
    currency: str = Field(examples=["USD"])
    livemode: bool = Field(description="false: the sandbox wallet of a sk_test_ key", examples=[True])


class Transaction(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{
        "id": 812, "kind": "order_hold", "amount": {"amount": "-28.41", "currency": "USD"},
        "balance_after": {"amount": "221.59", "currency": "USD"},
        "order_id": "0b6f7c1e-4d2a-4c8e-9a53-2f1d7f0e9b11",
        "description": "Order: order 0b6f7c1e: 3 × Amazon.com US 10 10 USD",
        "created_at": "2025-01-31T12:00:00Z"}]}}

    id: int = Field(description="The ledger transfer's id", examples=[812])
    kind: str = Field(description="topup, allocation, reclaim, adjustment, order_hold, order_capture, "
                                  "order_release, commission_accrual, commission_payout", examples=["order_hold"])
    amount: Money = Field(description="Signed: + money in, − money out")
    balance_after: Money = Field(description="The wallet's balance right after this line")
    order_id: str | None = Field(default=None, description="The order this line belongs to, when the ledger names it",
                                 examples=["0b6f7c1e-4d2a-4c8e-9a53-2f1d7f0e9b11"])
    description: str = Field(description="What it was for", examples=["Top-up"])
    created_at: datetime = Field(description="RFC 3339, UTC")


class TransactionPage(Page[Transaction]):
    pass


_KIND_TEXT = {
    "topup": "Top-up", "allocation": "Funds", "reclaim": "Funds taken back", "adjustment": "Adjustment",
    "order_hold": "Order", "order_capture": "Order charged", "order_release": "Order refund",
    "commission_accrual": "Commission", "commission_payout": "Commission payout",
}
_ORDER_REFERENCE = re.compile(r"^order:([0-9a-fA-F-]{32,36})$")


def _order_id(reference: str | None) -> str | None:
    match = _ORDER_REFERENCE.match(reference or "")
    if match is None:
        return None
    try:
        return str(uuid.UUID(match.group(1)))
    except ValueError:
        return None


def _description(item: DescribedLine) -> str:
    line = item.line
    text = _KIND_TEXT.get(line.kind, line.kind.replace("_", " ").capitalize())
    if item.counterparty:
        text += (" from " if line.amount > 0 else " to ") + item.counterparty
    if line.memo:
        text += ": " + line.memo
    return text


def _transaction(item: DescribedLine, currency: str) -> Transaction:
    line = item.line
    return Transaction(id=line.transfer_id, kind=line.kind, amount=money(line.amount, currency),
                       balance_after=money(line.balance_after, currency), order_id=_order_id(item.order_reference),
                       description=_description(item), created_at=line.created_at)


@router.get("/wallet", response_model=Wallet, summary="Your wallet's balance", responses=problem_responses())
async def get_wallet(actor: Actor = Depends(current_actor)) -> Wallet:
    summary = await ledger.wallet_summary(actor=actor, party_id=actor.party_id)
    currency = summary.currency
    return Wallet(balance=money(summary.balance, currency), held=money(summary.held, currency),
                  available=money(summary.available, currency), credit_limit=money(summary.credit_limit, currency),
                  currency=currency, livemode=actor.livemode)


async def _stream(first: str, rest: AsyncIterator[str]) -> AsyncIterator[bytes]:
    yield first.encode()
    async for chunk in rest:
        yield chunk.encode()


@router.get(
    "/wallet/transactions", response_model=TransactionPage, summary="Your wallet's statement",
    description="Statement lines, newest first, in cursor pages. `format=csv` returns the whole statement "
                "instead, oldest first, as a CSV download (columns: date, kind, amount, currency, "
                "balance_after, counterparty, reference, memo, transfer_id, seq).",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"},
                                              "example": "date,kind,amount,currency,balance_after,counterparty,"
                                                         "reference,memo,transfer_id,seq\r\n"}}},
               **problem_responses((422, "cursor.invalid"), (422, "validation_failed"))},
)
async def list_transactions(
    actor: Actor = Depends(current_actor),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page"),
    format: Literal["json", "csv"] = Query("json", description="`csv`: the whole statement as a file"),
):
    if format == "csv":
        chunks = export.iter_statement_csv(actor=actor, party_id=actor.party_id)
        first = await anext(chunks)  # the access check runs here: a refusal is still a problem+json
        filename = f"steller-statement-{actor.party_id}-{datetime.now(UTC):%Y%m%d}.csv"
        return StreamingResponse(_stream(first, chunks), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    page = await export.statement_page(actor=actor, party_id=actor.party_id, limit=limit,
                                       before_seq=decode_position(cursor))
    lines = [_transaction(item, page.currency) for item in page.lines]
    next_cursor = encode_cursor(page.lines[-1].line.seq) if page.has_older else None
    return TransactionPage(data=lines, next_cursor=next_cursor)
