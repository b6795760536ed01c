from datetime import date

import pytest

from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.commission import pay_out_all, previous_month
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, TransferKind
from core.ledger.service import Split
from core.parties import service as parties
from tests.factories import make_tree

pytestmark = pytest.mark.usefixtures("db")


def test_previous_month():
    assert previous_month(date(2026, 1, 1)) == "2025-12"
    assert previous_month(date(2026, 11, 23)) == "2026-10"


async def _earn(agent, sub, amount: int, key: str) -> None:
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor="t", idempotency_key=key)
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference=key, actor="t", idempotency_key=key)
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 10_00 - amount),
                                                   Split(commission.id, amount, TransferKind.COMMISSION_ACCRUAL)],
                             actor="t", idempotency_key=key)


async def test_monthly_payout_pays_each_party_once_per_period():
    a1, s1, _ = await make_tree(funds=100_00)
    a2, s2, _ = await make_tree(funds=100_00)
    frozen, s3, _ = await make_tree(funds=100_00)
    await _earn(a1, s1, 30, "k1")
    await _earn(a2, s2, 45, "k2")
    await _earn(frozen, s3, 10, "k3")
    async with atomic():
        await parties.freeze(party_id=frozen.id, actor="admin")
    first = await pay_out_all(period="2026-10")
    assert (first.paid, first.skipped, first.amount) == (2, 1, 75)
    second = await pay_out_all(period="2026-10")  # the cron firing twice pays nothing more
    assert (second.paid, second.amount) == (0, 0)
    assert (await ledger.wallet_summary(party_id=a1.id)).commission == 0
    assert (await ledger.wallet_summary(party_id=frozen.id)).commission == 10  # waits until unfrozen
    assert await check_ledger() == []
