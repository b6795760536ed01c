"""Wallet events (core.ledger.events) as partner webhooks and Telegram messages.

`wallet.credited` and `wallet.low_balance` go to the party's webhook (if it subscribes) and to its
owners and managers in Telegram; viewers are not told about money. Runs in the money's transaction.
"""

from __future__ import annotations

from core.ledger.events import LowBalanceCrossed, MoneyReclaimed, WalletCredited, WalletEvent
from core.ledger.models import TransferKind
from core.ledger.service import read_wallet
from core.money import from_minor
from core.notifications import service as notifications
from core.notifications.models import Notification

# Telegram message keys (bot/locales) by what credited the wallet.
CREDIT_MESSAGES = {
    TransferKind.TOPUP: "wallet.credited.topup",
    TransferKind.ALLOCATION: "wallet.credited.allocation",
    TransferKind.RECLAIM: "wallet.credited.reclaim",
    TransferKind.ADJUSTMENT: "wallet.credited.adjustment",
    TransferKind.COMMISSION_PAYOUT: "wallet.credited.commission",
}
LOW_BALANCE_MESSAGE = "wallet.low_balance"
RECLAIMED_MESSAGE = "wallet.reclaimed"
TOLD_ROLES = ("owner", "manager")


async def on_wallet_event(event: WalletEvent) -> list[Notification]:
    """The outbox rows for one wallet event; the caller enqueues them after commit."""
    if isinstance(event, WalletCredited):
        change = {"amount": event.amount, "kind": event.kind.value, "operation_id": event.operation_id}
        return await _emit(event.party_id, "wallet.credited", CREDIT_MESSAGES[event.kind], change)
    if isinstance(event, LowBalanceCrossed):
        change = {"amount": event.amount, "kind": event.kind.value,
                  "threshold": str(from_minor(event.threshold, event.currency)), "operation_id": event.operation_id}
        return await _emit(event.party_id, "wallet.low_balance", LOW_BALANCE_MESSAGE, change)
    if isinstance(event, MoneyReclaimed):  # Telegram only: the API's events are credits and low balance
        data = await _wallet_data(event.party_id, {"amount": event.amount, "kind": "reclaim",
                                                   "operation_id": event.operation_id})
        wallet = data["wallet"]
        return await notifications.notify_party_members(
            party_id=event.party_id, message_key=RECLAIMED_MESSAGE,
            params={"amount": wallet["change"]["amount"], "available": wallet["available"],
                    "currency": wallet["currency"]},
            roles=TOLD_ROLES)
    raise TypeError(f"not a wallet event: {event!r}")


async def _wallet_data(party_id: int, change: dict) -> dict:
    """The webhook's `data`: the wallet as it is now, in this transaction, and what changed it."""
    w = await read_wallet(party_id=party_id)

    def money(minor: int) -> str:
        return str(from_minor(minor, w.currency))

    return {"wallet": {"party_id": party_id, "currency": w.currency, "balance": money(w.balance),
                       "available": money(w.available), "held": money(w.held),
                       "credit_limit": money(w.credit_limit), "spendable": money(w.spendable),
                       "change": {**change, "amount": money(change["amount"])}}}


async def _emit(party_id: int, event_type: str, message_key: str, change: dict) -> list[Notification]:
    data = await _wallet_data(party_id, change)
    rows = await notifications.emit_event(party_id=party_id, event_type=event_type, data=data)
    wallet = data["wallet"]
    rows += await notifications.notify_party_members(
        party_id=party_id, message_key=message_key,
        params={"amount": wallet["change"]["amount"], "available": wallet["available"],
                "currency": wallet["currency"]},
        roles=TOLD_ROLES,
    )
    return rows
