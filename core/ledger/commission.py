"""Commission payouts: a parent's accrued revenue share moves from its commission account to its wallet.

Two kinds, which never cancel each other out:

- The **monthly payout** for a month that has ended pays what was accrued before the month ended
  and is still unpaid (the account's balance minus what arrived since). Its idempotency key is the
  party and the month, so running it again pays nothing twice; the cron runs daily, so a day the
  worker missed is caught up the next day.
- An admin's **early payout** pays everything accrued now. A monthly payout after it finds only
  what accrued since, because the early payout already took the rest out of the account.

Every payout counts all that was accrued before its cut-off and not yet paid, so money posted late
(a capture in flight at midnight) or left by a missed month is paid by the next payout, never lost.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.db import require_transaction, run_atomic
from core.errors import DomainError, ValidationFailed
from core.ledger import events
from core.ledger.accounts import party_account
from core.ledger.digest import fingerprint
from core.ledger.models import Account, AccountKind, Operation, Transfer, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation, lock_accounts
from core.logging import get_logger

log = get_logger("ledger.commission")

CRON = Actor.system("cron")


@dataclass(frozen=True)
class CommissionPayout:
    """What one payout call did, truthfully: a replay is never reported as money moved now."""

    party_id: int
    currency: str
    amount: int  # minor units: what this payout moved (0 when nothing was due)
    period: str | None  # the month a monthly payout settles; None for an early payout
    posted: Posted | None = None  # None when nothing was due
    replayed: bool = False  # an earlier call made this payout; `amount` is what that call paid

    @property
    def paid_now(self) -> bool:
        return self.posted is not None and not self.replayed

    @property
    def notifications(self) -> list:
        """Outbox rows to enqueue after commit (only a payout made now wrote any)."""
        return self.posted.notifications if self.paid_now else []


# --- Periods ------------------------------------------------------------------------------------


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a "YYYY-MM" month in UTC."""
    try:
        year, month = (int(part) for part in period.split("-"))
        start = datetime(year, month, 1, tzinfo=UTC)
    except (AttributeError, ValueError) as exc:
        raise ValidationFailed("a payout period is a month: YYYY-MM", code="ledger.invalid_period",
                               period=period) from exc
    if len(period) != 7:
        raise ValidationFailed("a payout period is a month: YYYY-MM", code="ledger.invalid_period", period=period)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) if month == 12 else datetime(year, month + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _require_ended(period: str) -> datetime:
    _, end = period_bounds(period)
    if end > datetime.now(UTC):
        # Paying a month before it ends would close its key while its accruals still arrive.
        raise ValidationFailed("that month has not ended yet; an early payout is the way to pay now",
                               code="ledger.period_not_ended", period=period)
    return end


# --- One party ------------------------------------------------------------------------------------

_ACCRUED_SINCE_SQL = (
    "SELECT COALESCE(SUM(amount), 0)::bigint AS accrued FROM ledger_transfer "
    "WHERE credit_account_id = $1 AND created_at >= $2"
)


@dataclass(frozen=True)
class _Accounts:
    party: PartyRow
    commission: Account
    wallet: Account
    locked: dict[int, Account] = field(repr=False)


async def _lock(party_id: int) -> _Accounts:
    """The party held steady, then its commission and wallet accounts locked (ascending ids)."""
    party = (await share_lock_parties(party_id))[party_id]
    commission = await party_account(party_id, AccountKind.COMMISSION, party.currency)
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency)
    locked = await lock_accounts([commission.id, wallet.id])
    return _Accounts(party, locked[commission.id], locked[wallet.id], locked)


async def _accrued_since(account_id: int, moment: datetime) -> int:
    rows = await get_connection("default").execute_query_dict(_ACCRUED_SINCE_SQL, [account_id, moment])
    return int(rows[0]["accrued"])


async def _replay(operation: Operation, party_id: int, currency: str, period: str | None) -> CommissionPayout:
    transfers = await Transfer.filter(operation_id=operation.id).order_by("id")
    return CommissionPayout(
        party_id=party_id, currency=currency, amount=sum(t.amount for t in transfers), period=period,
        posted=Posted(operation=operation, transfers=transfers, replayed=True), replayed=True,
    )


async def _pay(
    accounts: _Accounts, *, amount: int, key: str, actor: Actor, period: str | None
) -> CommissionPayout:
    party = accounts.party
    _require_active(party, "a commission payout")
    posted = await claim_operation(
        kind=TransferKind.COMMISSION_PAYOUT, idempotency_key=key,
        fingerprint=fingerprint("commission_payout", party.id, period or "early"), actor=actor,
        reference=f"period:{period}" if period else "early",
    )
    if posted.replayed:  # only if a caller bypassed the account lock; report it as what it is
        return await _replay(posted.operation, party.id, party.currency, period)
    await apply_legs(posted, [Leg(accounts.commission.id, accounts.wallet.id, amount)], locked=accounts.locked)
    await audit.record(
        actor=actor, action="ledger.commission_payout", object_type="party", object_id=party.id,
        after={"amount": amount, "period": period, "operation_id": posted.operation.id},
    )
    await events.wallet_credited(posted, party_id=party.id, amount=amount, kind=TransferKind.COMMISSION_PAYOUT)
    return CommissionPayout(party_id=party.id, currency=party.currency, amount=amount, period=period,
                            posted=posted)


async def pay_commission(*, actor: Actor, party_id: int) -> CommissionPayout:
    """An admin's early payout: everything accrued now. Nothing accrued → amount 0, nothing moves."""
    require_transaction()
    require_admin(actor)
    accounts = await _lock(party_id)
    due = accounts.commission.balance
    if due <= 0:
        return CommissionPayout(party_id=party_id, currency=accounts.party.currency, amount=0, period=None)
    # The account's entry count names its state: a payout changes it, so a repeated request finds
    # nothing left to pay rather than paying twice, and two payouts never share a key.
    key = f"commission_payout:{party_id}:early:{accounts.commission.entry_count}"
    return await _pay(accounts, amount=due, key=key, actor=actor, period=None)


async def pay_monthly_commission(*, actor: Actor, party_id: int, period: str) -> CommissionPayout:
    """The payout for a month that has ended: what was accrued before its end and is still unpaid.

    At most one per party and month; a second call reports the first as replayed. When nothing is
    due the month stays open, so an accrual posted late for it is paid by a later run.
    """
    require_transaction()
    require_admin(actor)
    end = _require_ended(period)
    accounts = await _lock(party_id)
    key = f"commission_payout:{party_id}:{period}"
    earlier = await Operation.get_or_none(idempotency_key=key)
    if earlier is not None:
        return await _replay(earlier, party_id, accounts.party.currency, period)
    due = accounts.commission.balance - await _accrued_since(accounts.commission.id, end)
    if due <= 0:
        return CommissionPayout(party_id=party_id, currency=accounts.party.currency, amount=0, period=period)
    return await _pay(accounts, amount=due, key=key, actor=actor, period=period)


# --- Every party (the cron) ---------------------------------------------------------------------

# Parties with something in their commission account that the month's payout has not reached yet.
_CANDIDATES_SQL = """
SELECT a.party_id FROM ledger_account a
 WHERE a.kind = 'commission' AND a.balance > 0 AND a.party_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM ledger_operation o
                    WHERE o.idempotency_key = 'commission_payout:' || a.party_id || ':' || $1)
 ORDER BY a.party_id
"""


@dataclass(frozen=True)
class PayoutRun:
    period: str
    paid: int  # parties paid by this run
    skipped: int  # nothing due for the month, already paid by another run, or not active
    amount: int  # minor units, all currencies together (for the log only)
    notifications: list = field(default_factory=list, repr=False)  # enqueue after the run


async def pay_out_all(*, period: str, actor: Actor = CRON) -> PayoutRun:
    """Every party's payout for `period`, each in its own retried transaction; safe to run again."""
    require_admin(actor)
    _require_ended(period)
    paid = skipped = total = 0
    rows: list = []
    candidates = await get_connection("default").execute_query_dict(_CANDIDATES_SQL, [period])
    for party_id in (r["party_id"] for r in candidates):
        try:  # one party per transaction: one refusal does not stop the rest
            payout = await run_atomic(
                functools.partial(pay_monthly_commission, actor=actor, party_id=party_id, period=period)
            )
        except DomainError as exc:
            log.warning("commission_payout_skipped", party_id=party_id, period=period, code=exc.code)
            skipped += 1
            continue
        if payout.paid_now:
            paid += 1
            total += payout.amount
            rows += payout.notifications
        else:
            skipped += 1
    log.info("commission_payout_done", period=period, paid=paid, skipped=skipped)
    return PayoutRun(period=period, paid=paid, skipped=skipped, amount=total, notifications=rows)


# Last: core.ledger.service re-exports pay_commission from here, so whichever module is imported
# first, the other finds what it needs already defined.
from core.ledger.service import PartyRow, _require_active, share_lock_parties
