"""What a wallet movement means, as domain events: money came in, the balance crossed below the threshold.

The ledger only says what happened. `core.notifications.wallet` decides who hears of it and how
(webhook events, Telegram messages); its outbox rows are written in the money's own transaction and
land on `Posted.notifications`, so the caller enqueues their delivery after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import get_settings
from core.ledger.models import TransferKind
from core.ledger.posting import Posted


@dataclass(frozen=True)
class WalletCredited:
    party_id: int
    amount: int  # minor units
    kind: TransferKind  # what credited it: top-up, allocation, reclaim, adjustment, commission payout
    operation_id: int


@dataclass(frozen=True)
class LowBalanceCrossed:
    """A debit took the wallet from at or above the threshold to below it (once per crossing)."""

    party_id: int
    amount: int  # minor units: the debit that crossed
    kind: TransferKind
    threshold: int  # minor units
    currency: str
    operation_id: int


@dataclass(frozen=True)
class MoneyReclaimed:
    """The parent took money back from this party's wallet."""

    party_id: int
    amount: int  # minor units
    operation_id: int


WalletEvent = WalletCredited | LowBalanceCrossed | MoneyReclaimed


def low_balance_threshold(currency: str) -> int:
    return get_settings().low_balance_minor(currency)


async def _announce(posted: Posted, event: WalletEvent) -> None:
    # The ledger's one reference to notifications, imported here: notifications reads the wallet
    # through the ledger, so importing it at the top would be a cycle.
    from core.notifications.wallet import on_wallet_event

    posted.notifications += await on_wallet_event(event)


async def wallet_credited(posted: Posted, *, party_id: int, amount: int, kind: TransferKind) -> None:
    await _announce(posted, WalletCredited(party_id=party_id, amount=amount, kind=kind,
                                           operation_id=posted.operation.id))


async def money_reclaimed(posted: Posted, *, party_id: int, amount: int) -> None:
    await _announce(posted, MoneyReclaimed(party_id=party_id, amount=amount, operation_id=posted.operation.id))


async def wallet_debited(posted: Posted, *, party_id: int, wallet_account_id: int, currency: str) -> None:
    """Announces a crossing below the low-balance threshold; other debits are not news."""
    threshold = low_balance_threshold(currency)
    for t in posted.transfers:
        if t.debit_account_id != wallet_account_id:
            continue
        after = t.debit_balance_after
        if after < threshold <= after + t.amount:
            await _announce(posted, LowBalanceCrossed(
                party_id=party_id, amount=t.amount, kind=TransferKind(t.kind), threshold=threshold,
                currency=currency, operation_id=posted.operation.id,
            ))
            return
