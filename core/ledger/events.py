"""What a wallet movement tells the world: `wallet.credited` and `wallet.low_balance`.

The outbox rows are written in the money's own transaction and returned on `Posted.notifications`
so the caller can enqueue their delivery after commit (the worker's sweeper picks up the rest).
"""

from __future__ import annotations

from core.config import get_settings
from core.ledger.models import TransferKind
from core.ledger.posting import Posted
from core.money import from_minor, to_minor

# Telegram message keys (bot/locales) by what credited the wallet.
CREDIT_MESSAGES = {
    TransferKind.TOPUP: "wallet.credited.topup",
    TransferKind.ALLOCATION: "wallet.credited.allocation",
    TransferKind.RECLAIM: "wallet.credited.reclaim",
    TransferKind.ADJUSTMENT: "wallet.credited.adjustment",
    TransferKind.COMMISSION_PAYOUT: "wallet.credited.commission",
}


def low_balance_threshold(currency: str) -> int:
    return to_minor(get_settings().wallet_low_balance, currency)


async def _wallet_data(party_id: int, change: dict) -> dict:
    from core.ledger.service import wallet_summary

    w = await wallet_summary(party_id=party_id)

    def money(minor: int) -> str:
        return str(from_minor(minor, w.currency))

    return {"wallet": {"party_id": party_id, "currency": w.currency, "balance": money(w.balance),
                       "available": money(w.available), "held": money(w.held),
                       "credit_limit": money(w.credit_limit), "spendable": money(w.spendable),
                       "change": {**change, "amount": money(change["amount"])}}}


async def _emit(party_id: int, event_type: str, message_key: str, data: dict) -> list:
    from core.notifications import service as notifications

    rows = await notifications.emit_event(party_id=party_id, event_type=event_type, data=data)
    wallet = data["wallet"]
    rows += await notifications.notify_party_members(
        party_id=party_id, message_key=message_key,
        params={"amount": wallet["change"]["amount"], "available": wallet["available"],
                "currency": wallet["currency"]},
        roles=("owner", "manager"),
    )
    return rows


async def wallet_credited(posted: Posted, *, party_id: int, amount: int, kind: TransferKind) -> None:
    data = await _wallet_data(party_id, {"amount": amount, "kind": kind.value, "operation_id": posted.operation.id})
    posted.notifications += await _emit(party_id, "wallet.credited", CREDIT_MESSAGES[kind], data)


async def wallet_debited(posted: Posted, *, party_id: int, wallet_account_id: int, currency: str) -> None:
    """`wallet.low_balance` once per crossing: the balance went from at or above the threshold to below."""
    threshold = low_balance_threshold(currency)
    for t in posted.transfers:
        if t.debit_account_id != wallet_account_id:
            continue
        after = t.debit_balance_after
        if after < threshold <= after + t.amount:
            data = await _wallet_data(party_id, {"amount": t.amount, "kind": TransferKind(t.kind).value, "threshold": str(
                from_minor(threshold, currency)), "operation_id": posted.operation.id})
            posted.notifications += await _emit(party_id, "wallet.low_balance", "wallet.low_balance", data)
            return
