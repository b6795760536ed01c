"""Ledger use cases. Each runs inside the caller's transaction and writes its audit entry there."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import Permission, authorize, require_admin
from core.audit import service as audit
from core.db import require_transaction
from core.errors import ValidationFailed
from core.ledger import events
from core.ledger.accounts import party_account, system_account
from core.ledger.digest import fingerprint
from core.ledger.errors import (
    InvalidAmount,
    MoneyMovementRefused,
)
from core.ledger.models import Account, AccountKind, Hold, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation, lock_accounts
from core.access.errors import NotYourChild, PartyNotFound

# Party statuses as stored (the ledger reads the party table directly and imports nothing of parties).
ACTIVE, PENDING, CLOSED = "active", "pending", "closed"

_SHARE_PARTIES_SQL = (
    "SELECT id, kind, status, parent_id, currency, name FROM party WHERE id = ANY($1::bigint[]) "
    "ORDER BY id FOR SHARE"
)


@dataclass(frozen=True)
class PartyRow:
    id: int
    kind: str
    status: str
    parent_id: int | None
    currency: str
    name: str


async def share_lock_parties(*party_ids: int) -> dict[int, PartyRow]:
    """Hold the parties' status steady until commit: a freeze waits for money already moving."""
    ids = sorted(set(party_ids))
    rows = await get_connection("default").execute_query_dict(_SHARE_PARTIES_SQL, [ids])
    found = {r["id"]: PartyRow(**r) for r in rows}
    for party_id in ids:
        if party_id not in found:
            raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    return found


def _require_active(party: PartyRow, what: str) -> None:
    if party.status != ACTIVE:
        raise MoneyMovementRefused(
            f"{party.name} is {party.status}: {what} is not allowed", party_id=party.id
        )


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount("the amount must be a positive number of minor units", amount=amount)
    return amount


# --- Top-ups, allocations, reclaims, adjustments --------------------------------------------


async def topup(*, actor: Actor, party_id: int, amount: int, reference: str) -> Posted:
    """Admin credit from outside. The external reference makes it idempotent."""
    require_transaction()
    require_admin(actor)
    _positive(amount)
    if not reference or not reference.strip():
        raise ValidationFailed("a top-up needs an external reference", code="ledger.reference_required")
    party = (await share_lock_parties(party_id))[party_id]
    posted = await claim_operation(
        kind=TransferKind.TOPUP, idempotency_key=f"topup:{reference.strip()}",
        fingerprint=fingerprint("topup", party_id, amount), actor=actor, reference=reference.strip(),
    )
    if posted.replayed:
        return posted
    _require_active(party, "a top-up")
    funding = await system_account(AccountKind.FUNDING, party.currency)
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency)
    await apply_legs(posted, [Leg(funding.id, wallet.id, amount)])
    await audit.record(
        actor=actor, action="ledger.topup", object_type="party", object_id=party_id,
        after={"amount": amount, "currency": party.currency, "reference": reference.strip(),
               "operation_id": posted.operation.id},
    )
    await events.wallet_credited(posted, party_id=party_id, amount=amount, kind=TransferKind.TOPUP)
    return posted


async def allocate(
    *, actor: Actor, parent_id: int, child_id: int, amount: int, idempotency_key: str
) -> Posted:
    """Parent funds one of its direct children from its own balance (never from credit).

    The parent's owner or manager acts (or an admin); the child must be the parent's direct child.
    """
    require_transaction()
    await authorize(actor, party_id=parent_id, permission=Permission.MOVE_MONEY)
    _positive(amount)
    parties = await share_lock_parties(parent_id, child_id)
    parent, child = parties[parent_id], parties[child_id]
    if child.parent_id != parent_id:
        raise NotYourChild("that party is not your direct child", child_id=child_id)
    posted = await claim_operation(
        kind=TransferKind.ALLOCATION, idempotency_key=f"allocation:{idempotency_key}",
        fingerprint=fingerprint("allocation", parent_id, child_id, amount), actor=actor,
        reference=f"party:{child_id}",
    )
    if posted.replayed:
        return posted
    _require_active(parent, "an allocation")
    _require_active(child, "an allocation")
    source = await party_account(parent_id, AccountKind.WALLET, parent.currency)
    target = await party_account(child_id, AccountKind.WALLET, child.currency)
    await apply_legs(posted, [Leg(source.id, target.id, amount)])
    await audit.record(
        actor=actor, action="ledger.allocation", object_type="party", object_id=child_id,
        after={"from": parent_id, "to": child_id, "amount": amount, "operation_id": posted.operation.id},
    )
    await events.wallet_credited(posted, party_id=child_id, amount=amount, kind=TransferKind.ALLOCATION)
    await events.wallet_debited(posted, party_id=parent_id, wallet_account_id=source.id, currency=parent.currency)
    return posted


async def reclaim(*, actor: Actor, child_id: int, amount: int, idempotency_key: str,
                  parent_id: int | None = None) -> Posted:
    """Money back from a child to its parent: never more than the child's own available balance.

    The parent's owner or manager acts (or an admin); `parent_id`, when given, must be the parent.
    """
    require_transaction()
    _positive(amount)
    child_row = (await share_lock_parties(child_id))[child_id]
    if child_row.parent_id is None:
        raise NotYourChild("a top-level party has no parent to give money back to")
    if parent_id is not None and child_row.parent_id != parent_id:
        raise NotYourChild("that party is not your direct child", child_id=child_id)
    await authorize(actor, party_id=child_row.parent_id, permission=Permission.MOVE_MONEY)
    parties = await share_lock_parties(child_row.parent_id, child_id)
    parent, child = parties[child_row.parent_id], parties[child_id]
    posted = await claim_operation(
        kind=TransferKind.RECLAIM, idempotency_key=f"reclaim:{idempotency_key}",
        fingerprint=fingerprint("reclaim", parent.id, child_id, amount), actor=actor,
        reference=f"party:{child_id}",
    )
    if posted.replayed:
        return posted
    _require_active(parent, "a reclaim")
    _require_active(child, "a reclaim")
    source = await party_account(child_id, AccountKind.WALLET, child.currency)
    target = await party_account(parent.id, AccountKind.WALLET, parent.currency)
    await apply_legs(posted, [Leg(source.id, target.id, amount)])  # no credit: floor is zero
    await audit.record(
        actor=actor, action="ledger.reclaim", object_type="party", object_id=child_id,
        after={"from": child_id, "to": parent.id, "amount": amount, "operation_id": posted.operation.id},
    )
    await events.wallet_credited(posted, party_id=parent.id, amount=amount, kind=TransferKind.RECLAIM)
    await events.wallet_debited(posted, party_id=child_id, wallet_account_id=source.id, currency=child.currency)
    await events.money_reclaimed(posted, party_id=child_id, amount=amount)
    return posted


async def adjust(*, actor: Actor, party_id: int, amount: int, reason: str, idempotency_key: str) -> Posted:
    """Admin correction, signed: positive credits the wallet, negative debits it (within credit)."""
    require_transaction()
    require_admin(actor)
    if not isinstance(amount, int) or amount == 0:
        raise InvalidAmount("an adjustment needs a non-zero amount")
    if not reason or not reason.strip():
        raise ValidationFailed("an adjustment needs a reason", code="ledger.reason_required")
    party = (await share_lock_parties(party_id))[party_id]
    posted = await claim_operation(
        kind=TransferKind.ADJUSTMENT, idempotency_key=f"adjustment:{idempotency_key}",
        fingerprint=fingerprint("adjustment", party_id, amount, reason.strip()), actor=actor,
        reference=f"party:{party_id}", memo=reason.strip(),
    )
    if posted.replayed:
        return posted
    if party.status == CLOSED:
        raise MoneyMovementRefused("the party is closed", party_id=party_id)
    funding = await system_account(AccountKind.FUNDING, party.currency)
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency)
    # The balance the audit entry shows as "before" is read under the lock the transfer writes under.
    locked = await lock_accounts([funding.id, wallet.id])
    before = locked[wallet.id].balance
    leg = Leg(funding.id, wallet.id, amount) if amount > 0 else Leg(wallet.id, funding.id, -amount)
    await apply_legs(posted, [leg], allow_credit=frozenset({wallet.id}), locked=locked)
    await audit.record(
        actor=actor, action="ledger.adjustment", object_type="party", object_id=party_id,
        before={"balance": before}, after={"balance": before + amount, "amount": amount,
                                            "reason": reason.strip(), "operation_id": posted.operation.id},
    )
    if amount > 0:
        await events.wallet_credited(posted, party_id=party_id, amount=amount, kind=TransferKind.ADJUSTMENT)
    else:
        await events.wallet_debited(posted, party_id=party_id, wallet_account_id=wallet.id, currency=party.currency)
    return posted


async def set_credit_limit(*, actor: Actor, party_id: int, limit: int) -> Account:
    require_transaction()
    require_admin(actor)
    if not isinstance(limit, int) or limit < 0:
        raise InvalidAmount("a credit limit is zero or more")
    party = (await share_lock_parties(party_id))[party_id]
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency)
    wallet = (await lock_accounts([wallet.id]))[wallet.id]
    if wallet.balance < -limit:
        raise ValidationFailed(
            "the wallet already uses more credit than that", code="ledger.credit_limit_below_usage",
            used=-wallet.balance,
        )
    before = wallet.credit_limit
    await Account.filter(id=wallet.id).update(credit_limit=limit)
    wallet.credit_limit = limit
    await audit.record(
        actor=actor, action="ledger.credit_limit", object_type="party", object_id=party_id,
        before={"credit_limit": before}, after={"credit_limit": limit},
    )
    return wallet


# --- Holds for orders ------------------------------------------------------------------------


async def hold(*, party_id: int, amount: int, reference: str, actor: Actor | str, idempotency_key: str,
               memo: str | None = None, livemode: bool = True) -> Hold:
    """Reserve an order's total: wallet → the party's holds account (credit may be used).

    Internal to ordering: `orders.create_order` authorized the actor before it asks for the hold.
    `livemode=False` holds in the party's sandbox book (a test order), which a pending partner may
    use too; nothing of the live book is touched.
    """
    require_transaction()
    _positive(amount)
    party = (await share_lock_parties(party_id))[party_id]
    posted = await claim_operation(
        kind=TransferKind.ORDER_HOLD, idempotency_key=f"hold:{idempotency_key}",
        fingerprint=fingerprint("hold", party_id, amount, reference), actor=actor, reference=reference,
        memo=memo,
    )
    if posted.replayed:
        return await Hold.get(operation_id=posted.operation.id)
    if livemode:
        _require_active(party, "an order")
    elif party.status not in (ACTIVE, PENDING):
        _require_active(party, "a sandbox order")
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency, livemode=livemode)
    holds = await party_account(party_id, AccountKind.HOLDS, party.currency, livemode=livemode)
    # The sandbox has no credit line: a test wallet spends what it holds.
    credit = frozenset({wallet.id}) if livemode else frozenset()
    await apply_legs(posted, [Leg(wallet.id, holds.id, amount)], allow_credit=credit)
    created = await Hold.create(
        party_id=party_id, wallet_account_id=wallet.id, hold_account_id=holds.id, amount=amount,
        currency=party.currency, reference=reference, operation_id=posted.operation.id, livemode=livemode,
    )
    await audit.record(actor=actor, action="ledger.hold", object_type="hold", object_id=created.id,
                       after={"party_id": party_id, "amount": amount, "reference": reference,
                              "livemode": livemode})
    if livemode:  # the sandbox sends no wallet alerts
        await events.wallet_debited(posted, party_id=party_id, wallet_account_id=wallet.id,
                                    currency=party.currency)
    created.notifications = posted.notifications  # not a column: handed to the caller with the hold
    return created


# --- Reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WalletSummary:
    party_id: int
    currency: str
    balance: int  # what the party owns: available + held
    held: int
    available: int  # wallet balance; negative while credit is used
    credit_limit: int
    spendable: int  # available + credit_limit
    commission: int
    livemode: bool = True


def book_of(actor: Actor) -> bool:
    """The book an actor sees: a test key the sandbox, everyone else the live book."""
    from core.access.actor import ActorKind

    return actor.livemode if isinstance(actor, Actor) and actor.kind == ActorKind.API_KEY else True


async def wallet_summary(*, actor: Actor, party_id: int) -> WalletSummary:
    """The party's members, its direct parent and admins see a wallet; nobody else. A test key sees
    the party's sandbox wallet."""
    await authorize(actor, party_id=party_id, permission=Permission.READ, parent_may=True)
    return await read_wallet(party_id=party_id, livemode=book_of(actor))


async def read_wallet(*, party_id: int, livemode: bool = True) -> WalletSummary:
    """The wallet's figures without an authorization check: for the core's own use (events, reports)."""
    accounts = {a.kind: a for a in await Account.filter(party_id=party_id, livemode=livemode)}
    wallet = accounts.get(AccountKind.WALLET)
    if wallet is None:
        raise PartyNotFound(f"party {party_id} has no {'' if livemode else 'sandbox '}wallet", party_id=party_id)
    held = accounts[AccountKind.HOLDS].balance if AccountKind.HOLDS in accounts else 0
    commission = accounts[AccountKind.COMMISSION].balance if AccountKind.COMMISSION in accounts else 0
    return WalletSummary(
        party_id=party_id, currency=wallet.currency, balance=wallet.balance + held, held=held,
        available=wallet.balance, credit_limit=wallet.credit_limit,
        spendable=wallet.balance + wallet.credit_limit, commission=commission, livemode=livemode,
    )


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    seq: int
    kind: str
    amount: int  # signed: + money in, − money out
    balance_after: int
    counterparty_account_id: int
    reference: str | None
    memo: str | None
    created_at: datetime


_STATEMENT_SQL = """
SELECT * FROM (
  SELECT t.id, t.kind, -t.amount AS amount, t.debit_seq AS seq, t.debit_balance_after AS balance_after,
         t.credit_account_id AS counterparty, t.reference, o.memo, t.created_at
    FROM ledger_transfer t JOIN ledger_operation o ON o.id = t.operation_id
   WHERE t.debit_account_id = $1 AND t.debit_seq < $2
  UNION ALL
  SELECT t.id, t.kind, t.amount, t.credit_seq, t.credit_balance_after,
         t.debit_account_id, t.reference, o.memo, t.created_at
    FROM ledger_transfer t JOIN ledger_operation o ON o.id = t.operation_id
   WHERE t.credit_account_id = $1 AND t.credit_seq < $2
) lines ORDER BY seq DESC LIMIT $3
"""


async def statement(*, account_id: int, limit: int = 50, before_seq: int | None = None) -> list[StatementLine]:
    """Newest first; page with `before_seq` = the last line's seq."""
    rows = await get_connection("default").execute_query_dict(
        _STATEMENT_SQL, [account_id, before_seq if before_seq is not None else 2**62, limit]
    )
    return [
        StatementLine(
            transfer_id=r["id"], seq=r["seq"], kind=r["kind"], amount=r["amount"],
            balance_after=r["balance_after"], counterparty_account_id=r["counterparty"],
            reference=r["reference"], memo=r["memo"],
            created_at=r["created_at"].astimezone(UTC),
        )
        for r in rows
    ]


async def wallet_statement(*, actor: Actor, party_id: int, limit: int = 50,
                           before_seq: int | None = None) -> list[StatementLine]:
    await authorize(actor, party_id=party_id, permission=Permission.READ, parent_may=True)
    wallet = await Account.get_or_none(party_id=party_id, kind=AccountKind.WALLET, livemode=book_of(actor))
    if wallet is None:
        raise PartyNotFound(f"party {party_id} has no wallet", party_id=party_id)
    return await statement(account_id=wallet.id, limit=limit, before_seq=before_seq)


# Settlement and commission payouts live in their own modules; re-exported for existing callers.
from core.ledger.commission import pay_commission  # noqa: E402,F401
from core.ledger.settlement import Split, capture, release  # noqa: E402,F401
