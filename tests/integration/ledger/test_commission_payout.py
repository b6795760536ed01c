"""Commission payouts: the monthly one and an admin's early one never cancel each other out, a replay
is reported as a replay, a missed month is caught up, and racing payouts pay the balance once."""

from __future__ import annotations

import asyncio
import functools
from datetime import date

import pytest

from core.access.actor import Actor
from core.db import atomic, run_atomic
from core.errors import PermissionDenied, ValidationFailed
from core.ledger import commission as commission_module
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.commission import (
    pay_commission,
    pay_monthly_commission,
    pay_out_all,
    period_bounds,
    previous_month,
)
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Operation, TransferKind
from core.ledger.service import Split
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties.models import MemberRole
from tests.factories import make_tree
from tests.support.ledger_clock import install_ledger_clock

pytestmark = pytest.mark.usefixtures("db")

ADMIN = Actor.admin(label="admin")
CRON = Actor.system("cron")


@pytest.fixture
def clock(monkeypatch):
    clock = install_ledger_clock(monkeypatch, commission_module)
    clock.set(2026, 9, 1)
    return clock


async def earn(agent, sub, amount: int) -> None:
    """The agent earns `amount` of commission on a 10.00 order of its sub-agent, at the clock's time."""
    key = f"earn-{agent.id}-{await Operation.all().count()}"
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=ADMIN, idempotency_key=key)
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference=key, actor=ADMIN, idempotency_key=key)
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 10_00 - amount),
                                                   Split(commission.id, amount, TransferKind.COMMISSION_ACCRUAL)],
                             actor=ADMIN, idempotency_key=key)


async def commission_of(party) -> int:
    return (await ledger.read_wallet(party_id=party.id)).commission


async def early(party):
    async with atomic():
        return await pay_commission(party_id=party.id, actor=ADMIN)


async def monthly(party, period: str):
    async with atomic():
        return await pay_monthly_commission(party_id=party.id, period=period, actor=CRON)


def test_previous_month():
    assert previous_month(date(2026, 1, 1)) == "2025-12"
    assert previous_month(date(2026, 11, 23)) == "2026-10"


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "p-1", "2026-10-01", "", "month"])
def test_a_period_is_a_month(period):
    with pytest.raises(ValidationFailed):
        period_bounds(period)


async def test_monthly_payout_pays_each_party_once_per_period_and_a_frozen_one_after_unfreezing(clock):
    (a1, s1, _), (a2, s2, _), (frozen, s3, _) = [await make_tree(funds=100_00) for _ in range(3)]
    clock.set(2026, 10, 15)
    await earn(a1, s1, 30)
    await earn(a2, s2, 45)
    await earn(frozen, s3, 10)
    async with atomic():
        await parties.freeze(party_id=frozen.id, actor=ADMIN)

    clock.set(2026, 11, 1, 0, 15)
    first = await pay_out_all(period="2026-10")
    assert (first.paid, first.skipped, first.amount) == (2, 1, 75)
    second = await pay_out_all(period="2026-10")  # the cron firing again pays nothing more
    assert (second.paid, second.amount) == (0, 0)
    assert await commission_of(a1) == 0
    assert await commission_of(frozen) == 10  # waits until unfrozen

    async with atomic():
        await parties.unfreeze(party_id=frozen.id, actor=ADMIN)
    clock.set(2026, 11, 2, 0, 15)  # the next day's run
    third = await pay_out_all(period="2026-10")
    assert (third.paid, third.amount) == (1, 10)
    assert await commission_of(frozen) == 0
    assert await check_ledger() == []


async def test_an_early_payout_pays_what_is_accrued_and_the_month_then_pays_only_what_accrued_since(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    wallet_before = (await ledger.read_wallet(party_id=agent.id)).available - 4 * 10_00  # four earn() calls
    clock.set(2026, 10, 10)
    await earn(agent, sub, 30)
    clock.set(2026, 10, 20)
    paid_early = await early(agent)
    assert (paid_early.paid_now, paid_early.amount, paid_early.period) == (True, 30, None)

    clock.set(2026, 10, 25)
    await earn(agent, sub, 20)  # October, after the early payout
    clock.set(2026, 11, 1, 0, 5)
    await earn(agent, sub, 7)  # November: not October's

    clock.set(2026, 11, 1, 0, 15)
    october = await monthly(agent, "2026-10")
    assert (october.paid_now, october.amount, october.period) == (True, 20, "2026-10")
    assert await commission_of(agent) == 7

    clock.set(2026, 11, 20)
    await earn(agent, sub, 5)
    clock.set(2026, 12, 1, 0, 15)
    november = await monthly(agent, "2026-11")
    assert (november.paid_now, november.amount) == (True, 12)
    summary = await ledger.read_wallet(party_id=agent.id)
    assert (summary.commission, summary.available - wallet_before) == (0, 30 + 20 + 12)
    assert await check_ledger() == []


async def test_an_early_payout_after_the_month_ended_leaves_the_monthly_one_nothing_to_pay(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    clock.set(2026, 10, 10)
    await earn(agent, sub, 30)
    clock.set(2026, 11, 2)  # the cron missed the 1st; an admin pays first
    assert (await early(agent)).amount == 30
    await earn(agent, sub, 5)
    october = await monthly(agent, "2026-10")
    assert (october.paid_now, october.replayed, october.amount) == (False, False, 0)
    assert await commission_of(agent) == 5  # November's, for November's payout
    assert not await Operation.filter(idempotency_key=f"commission_payout:{agent.id}:2026-10").exists()


async def test_a_monthly_payout_run_again_reports_a_replay_not_money_paid_now(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    clock.set(2026, 10, 10)
    await earn(agent, sub, 30)
    clock.set(2026, 11, 1, 0, 15)
    first = await monthly(agent, "2026-10")
    wallet = (await ledger.read_wallet(party_id=agent.id)).available
    again = await monthly(agent, "2026-10")
    assert (first.paid_now, first.amount) == (True, 30)
    assert (again.paid_now, again.replayed, again.amount) == (False, True, 30)  # what the first call paid
    assert again.posted.operation.id == first.posted.operation.id and again.notifications == []
    assert (await ledger.read_wallet(party_id=agent.id)).available == wallet


async def test_a_missed_month_is_caught_up_by_the_next_payout(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    clock.set(2026, 9, 10)
    await earn(agent, sub, 11)  # September's payout never ran
    clock.set(2026, 10, 10)
    await earn(agent, sub, 22)
    clock.set(2026, 11, 3)
    run = await pay_out_all(period="2026-10")
    assert (run.paid, run.amount) == (1, 33)
    assert await commission_of(agent) == 0


async def test_a_month_is_paid_only_once_it_has_ended(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    clock.set(2026, 10, 10)
    await earn(agent, sub, 30)
    for attempt in (lambda: monthly(agent, "2026-10"), lambda: pay_out_all(period="2026-10")):
        with pytest.raises(ValidationFailed) as refused:
            await attempt()
        assert refused.value.code == "ledger.period_not_ended"
    assert await commission_of(agent) == 30


async def test_an_early_payout_with_nothing_accrued_moves_nothing(clock):
    agent, _, _ = await make_tree(funds=100_00)
    payout = await early(agent)
    assert (payout.paid_now, payout.amount, payout.posted) == (False, 0, None)
    assert not await Operation.filter(kind=TransferKind.COMMISSION_PAYOUT).exists()


async def test_payouts_are_for_admins_and_the_platform_only(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    await earn(agent, sub, 30)
    partner_key = Actor.api_key(key_id=1, party_id=agent.id, prefix="sk_live_ab12", livemode=True)
    for actor, code in ((partner_key, "admin.required"), ("admin", "access.denied"), (None, "access.denied")):
        with pytest.raises(PermissionDenied) as refused:
            async with atomic():
                await pay_commission(party_id=agent.id, actor=actor)
        assert refused.value.code == code
        with pytest.raises(PermissionDenied):
            await pay_out_all(period="2026-08", actor=actor)
    assert await commission_of(agent) == 30


async def test_a_payout_tells_the_owner_and_is_audited(clock):
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await parties.bind_member(party_id=agent.id, telegram_user_id=9301, role=MemberRole.OWNER, actor=ADMIN)
    clock.set(2026, 10, 10)
    await earn(agent, sub, 30)
    clock.set(2026, 11, 1, 0, 15)
    run = await pay_out_all(period="2026-10")
    [row] = [n for n in run.notifications if n.telegram_user_id == 9301]
    assert row.event_type == "wallet.credited.commission" and row.payload["params"]["amount"] == "0.30"
    assert await Notification.filter(telegram_user_id=9301, event_type="wallet.credited.commission").count() == 1
    from core.audit.models import AuditEntry

    [entry] = await AuditEntry.filter(action="ledger.commission_payout")
    assert (entry.actor, entry.after["amount"], entry.after["period"]) == ("cron", 30, "2026-10")


async def test_racing_early_and_monthly_payouts_pay_the_balance_exactly_once(clock):
    agents = [await make_tree(funds=100_00) for _ in range(3)]
    clock.set(2026, 10, 10)
    for agent, sub, _ in agents:
        await earn(agent, sub, 30)
    clock.set(2026, 11, 1, 0, 10)
    for agent, sub, _ in agents:
        await earn(agent, sub, 5)  # November's
    clock.set(2026, 11, 1, 0, 15)
    before = {agent.id: (await ledger.read_wallet(party_id=agent.id)).available for agent, _, _ in agents}

    early_payouts = [run_atomic(functools.partial(pay_commission, party_id=agent.id, actor=ADMIN))
                     for agent, _, _ in agents for _ in range(2)]
    runs = [pay_out_all(period="2026-10") for _ in range(3)]
    results = await asyncio.gather(*early_payouts, *runs)

    paid_early = sum(r.amount for r in results[:len(early_payouts)] if r.paid_now)
    paid_monthly = sum(r.amount for r in results[len(early_payouts):])
    assert paid_early + paid_monthly == 3 * 35
    for agent, _, _ in agents:
        summary = await ledger.read_wallet(party_id=agent.id)
        assert (summary.commission, summary.available - before[agent.id]) == (0, 35)
        assert await Operation.filter(idempotency_key=f"commission_payout:{agent.id}:2026-10").count() <= 1
    assert await check_ledger() == []
