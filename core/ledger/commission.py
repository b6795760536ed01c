"""The monthly commission payout: every parent's accrued revenue share into its wallet, once a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.audit import service as audit
from core.db import atomic, require_transaction
from core.errors import DomainError
from core.ledger import events
from core.ledger.accounts import party_account
from core.ledger.digest import fingerprint
from core.ledger.models import Account, AccountKind, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation, lock_accounts
from core.ledger.service import _positive, _require_active, share_lock_parties
from core.logging import get_logger

log = get_logger("ledger.commission")


async def pay_commission(*, party_id: int, actor: str, period: str, amount: int | None = None) -> Posted | None:
    """Commission account → wallet. One payout per party and period (e.g. "2026-11")."""
    require_transaction()
    party = (await share_lock_parties(party_id))[party_id]
    commission = await party_account(party_id, AccountKind.COMMISSION, party.currency)
    wallet = await party_account(party_id, AccountKind.WALLET, party.currency)
    locked = await lock_accounts([commission.id, wallet.id])
    due = locked[commission.id].balance if amount is None else _positive(amount)
    if due <= 0:
        return None  # nothing earned: leave the period open rather than burn its key
    posted = await claim_operation(
        kind=TransferKind.COMMISSION_PAYOUT, idempotency_key=f"commission_payout:{party_id}:{period}",
        fingerprint=fingerprint("commission_payout", party_id, period), actor=actor,
        reference=f"period:{period}",
    )
    if posted.replayed:
        return posted
    _require_active(party, "a commission payout")
    await apply_legs(posted, [Leg(commission.id, wallet.id, due)], locked=locked)
    await audit.record(
        actor=actor, action="ledger.commission_payout", object_type="party", object_id=party_id,
        after={"amount": due, "period": period, "operation_id": posted.operation.id},
    )
    await events.wallet_credited(posted, party_id=party_id, amount=due, kind=TransferKind.COMMISSION_PAYOUT)
    return posted


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class PayoutRun:
    period: str
    paid: int  # parties paid now
    skipped: int  # nothing due, already paid for the period, or not active
    amount: int  # minor units, all currencies together (for the log only)


async def pay_out_all(*, period: str, actor: str = "cron") -> PayoutRun:
    """Safe to run twice: the period is part of each payout's idempotency key."""
    paid = skipped = total = 0
    party_ids = await Account.filter(kind=AccountKind.COMMISSION, balance__gt=0).values_list("party_id", flat=True)
    for party_id in party_ids:
        try:
            async with atomic():  # one party per transaction: one failure does not stop the rest
                posted = await pay_commission(party_id=party_id, actor=actor, period=period)
        except DomainError as exc:
            log.warning("commission_payout_skipped", party_id=party_id, code=exc.code)
            skipped += 1
            continue
        if posted is None or posted.replayed:
            skipped += 1
        else:
            paid += 1
            total += sum(t.amount for t in posted.transfers)
    log.info("commission_payout_done", period=period, paid=paid, skipped=skipped)
    return PayoutRun(period=period, paid=paid, skipped=skipped, amount=total)
