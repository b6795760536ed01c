"""An admin's "pay commission now" over the whole network: who has accrued commission (the preview), and
paying each of them early (`core.ledger.commission.pay_commission`) in the caller's one transaction.

A party that is not active keeps its commission (a frozen party moves no money) and is reported as
skipped; a party with nothing left to pay (paid by an earlier run, or by a racing one) pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.db import require_transaction
from core.ledger.commission import CommissionPayout, pay_commission
from core.ledger.service import ACTIVE, share_lock_parties


@dataclass(frozen=True)
class AccruedCommission:
    party_id: int
    name: str
    kind: str
    status: str
    currency: str
    amount: int  # minor units accrued and not yet paid


_ACCRUED_SQL = """
SELECT p.id AS party_id, p.name, p.kind, p.status, a.currency, a.balance AS amount
  FROM ledger_account a JOIN party p ON p.id = a.party_id
 WHERE a.kind = 'commission' AND a.balance > 0
 ORDER BY p.id, a.currency
"""


async def accrued_commissions(*, actor: Actor) -> list[AccruedCommission]:
    """Every party with commission accrued and not yet paid, by party id."""
    require_admin(actor)
    rows = await get_connection("default").execute_query_dict(_ACCRUED_SQL)
    return [AccruedCommission(party_id=r["party_id"], name=r["name"], kind=str(r["kind"]), status=str(r["status"]),
                              currency=r["currency"], amount=int(r["amount"])) for r in rows]


@dataclass(frozen=True)
class EarlyPayoutRun:
    paid: list[CommissionPayout] = field(default_factory=list)  # payouts made now (amount > 0)
    skipped: list[int] = field(default_factory=list)  # parties not active: their commission stays

    @property
    def totals(self) -> dict[str, int]:
        """What was paid now, per currency (minor units)."""
        out: dict[str, int] = {}
        for payout in self.paid:
            out[payout.currency] = out.get(payout.currency, 0) + payout.amount
        return out

    @property
    def notifications(self) -> list:
        """Outbox rows (the parties told of their payout) to enqueue after commit."""
        return [row for payout in self.paid for row in payout.notifications]


async def pay_accrued_now(*, actor: Actor, party_ids: Iterable[int]) -> EarlyPayoutRun:
    """Pay each party's whole accrued commission now; inactive parties are skipped, not refused.

    Each party is held steady (FOR SHARE) before its status is read, so a freeze cannot slip in
    between the check and the payout. Running it again pays only what accrued since.
    """
    require_transaction()
    require_admin(actor)
    run = EarlyPayoutRun()
    for party_id in sorted(set(party_ids)):
        party = (await share_lock_parties(party_id))[party_id]
        if party.status != ACTIVE:
            run.skipped.append(party_id)
            continue
        payout = await pay_commission(actor=actor, party_id=party_id)
        if payout.paid_now:
            run.paid.append(payout)
    return run
