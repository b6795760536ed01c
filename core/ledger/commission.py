"""The monthly commission payout: every parent's accrued revenue share into its wallet, once a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.db import atomic
from core.errors import DomainError
from core.ledger import service as ledger
from core.ledger.models import Account, AccountKind
from core.logging import get_logger

log = get_logger("ledger.commission")


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
                posted = await ledger.pay_commission(party_id=party_id, actor=actor, period=period)
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
