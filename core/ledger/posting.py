"""The one place that writes transfers: claim the idempotency key, lock, check, post."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.connection import get_connection

from core.db import require_transaction
from core.ledger.digest import transfer_digest
from core.ledger.errors import (
    CurrencyMismatch,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidAmount,
)
from core.ledger.models import Account, AccountKind, Operation, Transfer, TransferKind


@dataclass(frozen=True)
class Leg:
    debit_account_id: int
    credit_account_id: int
    amount: int
    kind: TransferKind | None = None  # defaults to the operation's kind


@dataclass
class Posted:
    operation: Operation
    transfers: list[Transfer] = field(default_factory=list)
    replayed: bool = False
    # Outbox rows this movement wrote (wallet events): the caller enqueues them after commit.
    notifications: list = field(default_factory=list)


_CLAIM_SQL = (
    "INSERT INTO ledger_operation (kind, idempotency_key, fingerprint, reference, actor, memo, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


async def claim_operation(
    *,
    kind: TransferKind,
    idempotency_key: str,
    fingerprint: str,
    actor,  # an Actor or a label: the operation records its label
    reference: str | None = None,
    memo: str | None = None,
) -> Posted:
    """Insert the operation row, or return the earlier one if the key was used before.

    ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll
    back, so two duplicates racing each other end with one operation, and no aborted transaction.
    """
    require_transaction()
    from core.access.actor import actor_label

    actor = actor_label(actor)
    now = datetime.now(UTC)
    rows = await get_connection("default").execute_query_dict(
        _CLAIM_SQL, [kind.value, idempotency_key, fingerprint, reference, actor, memo, now]
    )
    if rows:
        operation = Operation(
            id=rows[0]["id"], kind=kind, idempotency_key=idempotency_key, fingerprint=fingerprint,
            reference=reference, actor=actor, memo=memo, created_at=now,
        )
        operation._saved_in_db = True
        return Posted(operation=operation)
    existing = await Operation.get(idempotency_key=idempotency_key)
    if existing.fingerprint != fingerprint or existing.kind != kind:
        raise IdempotencyMismatch(
            "this idempotency key was already used for a different operation",
            idempotency_key=idempotency_key,
        )
    transfers = await Transfer.filter(operation_id=existing.id).order_by("id")
    return Posted(operation=existing, transfers=transfers, replayed=True)


async def lock_accounts(account_ids: set[int] | list[int]) -> dict[int, Account]:
    """SELECT … FOR UPDATE in ascending id order: two transfers never wait on each other in a cycle."""
    require_transaction()
    ids = sorted(set(account_ids))
    accounts = await Account.filter(id__in=ids).order_by("id").select_for_update()
    found = {a.id: a for a in accounts}
    missing = [i for i in ids if i not in found]
    if missing:
        from core.ledger.errors import AccountNotFound

        raise AccountNotFound(f"no account {missing}")
    return found


def floor_for(account: Account, *, allow_credit: bool) -> int | None:
    """The lowest balance an account may reach; None = unbounded (system accounts)."""
    if account.is_system:
        return None
    if account.kind == AccountKind.WALLET and allow_credit:
        return -account.credit_limit
    return 0


async def apply_legs(
    posted: Posted,
    legs: list[Leg],
    *,
    allow_credit: frozenset[int] = frozenset(),
    locked: dict[int, Account] | None = None,
) -> Posted:
    """Lock every account the legs touch, check, write the transfers and the cached balances."""
    if not legs:
        raise InvalidAmount("an operation needs at least one transfer")
    for leg in legs:
        if leg.amount <= 0:
            raise InvalidAmount("amounts must be above zero", amount=leg.amount)
        if leg.debit_account_id == leg.credit_account_id:
            raise InvalidAmount("a transfer needs two different accounts")
    ids = {leg.debit_account_id for leg in legs} | {leg.credit_account_id for leg in legs}
    accounts = locked if locked is not None else await lock_accounts(ids)
    currency = accounts[legs[0].debit_account_id].currency
    for account_id in ids:
        if accounts[account_id].currency != currency:
            raise CurrencyMismatch("all accounts of an operation share one currency")

    operation = posted.operation
    now = operation.created_at
    balances = {i: accounts[i].balance for i in ids}
    counts = {i: accounts[i].entry_count for i in ids}
    transfers: list[Transfer] = []
    for leg in legs:
        debit, credit = leg.debit_account_id, leg.credit_account_id
        balances[debit] -= leg.amount
        balances[credit] += leg.amount
        counts[debit] += 1
        counts[credit] += 1
        kind = leg.kind or operation.kind
        transfers.append(
            Transfer(
                operation_id=operation.id, kind=kind, debit_account_id=debit,
                credit_account_id=credit, amount=leg.amount, currency=currency,
                debit_seq=counts[debit], credit_seq=counts[credit],
                debit_balance_after=balances[debit], credit_balance_after=balances[credit],
                reference=operation.reference, created_at=now,
                digest=transfer_digest(
                    operation_id=operation.id, kind=kind.value, debit_account_id=debit,
                    credit_account_id=credit, amount=leg.amount, currency=currency,
                    debit_seq=counts[debit], credit_seq=counts[credit],
                    debit_balance_after=balances[debit], credit_balance_after=balances[credit],
                    reference=operation.reference, created_at=now,
                ),
            )
        )

    for account_id in ids:
        account = accounts[account_id]
        floor = floor_for(account, allow_credit=account_id in allow_credit)
        went_down = balances[account_id] < account.balance
        if floor is not None and went_down and balances[account_id] < floor:
            raise InsufficientFunds(
                "not enough money in the account",
                account_id=account_id,
                available=account.balance - floor,
                needed=account.balance - balances[account_id],
            )

    await Transfer.bulk_create(transfers)
    for account_id in ids:
        await Account.filter(id=account_id).update(
            balance=balances[account_id], entry_count=counts[account_id]
        )
        accounts[account_id].balance = balances[account_id]
        accounts[account_id].entry_count = counts[account_id]
    posted.transfers = transfers
    return posted
