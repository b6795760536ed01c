"""Paying accrued commission now across the network: the preview lists who has some, the payout pays
each active party once, skips the inactive, and a second run pays nothing more."""

from __future__ import annotations

import pytest

from core.db import atomic
from core.errors import PermissionDenied
from core.ledger import early_payout
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Operation, TransferKind
from core.ledger.service import Split
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def earn(agent, sub, amount: int) -> None:
    """The agent earns `amount` of commission on a 10.00 order of its sub-agent."""
    key = f"earn-{agent.id}-{await Operation.all().count()}"
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=ADMIN, idempotency_key=key)
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference=key, actor=ADMIN, idempotency_key=key)
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 10_00 - amount),
                                                   Split(commission.id, amount, TransferKind.COMMISSION_ACCRUAL)],
                             actor=ADMIN, idempotency_key=key)


async def network():
    first = await make_party(PartyKind.AGENT, name="First", funds=100_00)
    second = await make_party(PartyKind.AGENT, name="Second", funds=100_00)
    await earn(first, await make_party(PartyKind.SUBAGENT, parent=first), 1_50)
    await earn(second, await make_party(PartyKind.SUBAGENT, parent=second), 2_25)
    return first, second


async def test_the_preview_lists_every_party_with_commission_accrued():
    first, second = await network()
    await make_party(PartyKind.AGENT)  # nothing accrued: not listed
    accrued = await early_payout.accrued_commissions(actor=ADMIN)
    assert [(a.party_id, a.name, a.amount, a.status) for a in accrued] == [
        (first.id, "First", 1_50, "active"), (second.id, "Second", 2_25, "active")]


async def test_paying_now_pays_each_once_and_a_second_run_pays_nothing():
    first, second = await network()
    await make_member(first, telegram_user_id=6101)
    async with atomic():
        run = await early_payout.pay_accrued_now(actor=ADMIN, party_ids=[first.id, second.id])
    assert run.totals == {"USD": 3_75} and not run.skipped
    assert [r.telegram_user_id for r in run.notifications] == [6101]
    assert (await ledger.read_wallet(party_id=first.id)).commission == 0
    async with atomic():
        again = await early_payout.pay_accrued_now(actor=ADMIN, party_ids=[first.id, second.id])
    assert again.paid == [] and again.totals == {}
    assert await early_payout.accrued_commissions(actor=ADMIN) == []
    assert await check_ledger() == []


async def test_a_frozen_party_keeps_its_commission_and_is_reported_skipped():
    first, second = await network()
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=second.id)
    async with atomic():
        run = await early_payout.pay_accrued_now(actor=ADMIN, party_ids=[first.id, second.id])
    assert run.skipped == [second.id] and run.totals == {"USD": 1_50}
    assert (await ledger.read_wallet(party_id=second.id)).commission == 2_25


async def test_only_admins_see_or_pay_accrued_commission():
    first, _ = await network()
    owner = await member_actor(first)
    with pytest.raises(PermissionDenied):
        await early_payout.accrued_commissions(actor=owner)
    with pytest.raises(PermissionDenied):
        async with atomic():
            await early_payout.pay_accrued_now(actor=owner, party_ids=[first.id])
    assert (await ledger.read_wallet(party_id=first.id)).commission == 1_50
