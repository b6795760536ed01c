"""Every ledger rule, including the refusals, against real PostgreSQL."""

from __future__ import annotations

from core.access.actor import Actor
import pytest

from core.audit.models import AuditEntry
from core.db import atomic
from core.errors import ValidationFailed
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.errors import (
    HoldAlreadySettled,
    IdempotencyMismatch,
    InsufficientFunds,
    InvalidAmount,
    MoneyMovementRefused,
)
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, HoldStatus, Transfer, TransferKind
from core.ledger.service import Split
from core.parties.errors import NotYourChild
from core.parties.models import PartyKind, PartyStatus
from tests.factories import ADMIN, member_actor, balance, make_party, make_tree, next_ref

pytestmark = pytest.mark.usefixtures("db")


async def test_topup_credits_wallet_from_funding_and_is_idempotent_on_reference():
    agent = await make_party()
    async with atomic():
        first = await ledger.topup(party_id=agent.id, amount=10_00, reference="bank-77", actor=Actor.admin(label="cli"))
    async with atomic():
        again = await ledger.topup(party_id=agent.id, amount=10_00, reference="bank-77", actor=Actor.admin(label="cli"))
    assert again.replayed and again.operation.id == first.operation.id
    assert await balance(agent.id) == 10_00
    funding = await system_account(AccountKind.FUNDING, "USD")
    await funding.refresh_from_db()
    assert funding.balance == -10_00
    with pytest.raises(IdempotencyMismatch):
        async with atomic():
            await ledger.topup(party_id=agent.id, amount=99_00, reference="bank-77", actor=Actor.admin(label="cli"))
    assert await balance(agent.id) == 10_00
    assert await check_ledger() == []


async def test_topup_needs_reference_and_positive_amount():
    agent = await make_party()
    for amount in (0, -5, 1.5):
        with pytest.raises(InvalidAmount):
            async with atomic():
                await ledger.topup(party_id=agent.id, amount=amount, reference=next_ref(), actor=Actor.admin(label="cli"))
    with pytest.raises(ValidationFailed):
        async with atomic():
            await ledger.topup(party_id=agent.id, amount=100, reference="  ", actor=Actor.admin(label="cli"))
    assert await balance(agent.id) == 0


async def test_allocation_and_reclaim_move_money_between_parent_and_child():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=30_00, actor=Actor.admin(label="tg:1"),
                              idempotency_key=next_ref())
    async with atomic():
        await ledger.reclaim(child_id=sub.id, parent_id=agent.id, amount=12_50, actor=Actor.admin(label="tg:1"),
                             idempotency_key=next_ref())
    assert await balance(agent.id) == 82_50
    assert await balance(sub.id) == 17_50
    actions = [e.action async for e in AuditEntry.filter(action__startswith="ledger.").order_by("id")]
    assert actions == ["ledger.topup", "ledger.allocation", "ledger.reclaim"]
    assert await check_ledger() == []


async def test_reclaim_more_than_available_is_refused_and_moves_nothing():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=5_00, actor=Actor.admin(label="t"), idempotency_key=next_ref())
    with pytest.raises(InsufficientFunds):
        async with atomic():
            await ledger.reclaim(child_id=sub.id, amount=5_01, actor=Actor.admin(label="t"), idempotency_key=next_ref())
    assert (await balance(sub.id), await balance(agent.id)) == (5_00, 95_00)


async def test_reclaim_never_takes_the_childs_credit():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.set_credit_limit(party_id=sub.id, limit=50_00, actor=Actor.admin(label="admin"))
    with pytest.raises(InsufficientFunds):
        async with atomic():
            await ledger.reclaim(child_id=sub.id, amount=1, actor=Actor.admin(label="t"), idempotency_key=next_ref())


async def test_allocation_beyond_parent_balance_is_refused_even_with_credit():
    agent, sub, _ = await make_tree(funds=10_00)
    async with atomic():
        await ledger.set_credit_limit(party_id=agent.id, limit=1000_00, actor=Actor.admin(label="admin"))
    with pytest.raises(InsufficientFunds):
        async with atomic():
            await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_01, actor=Actor.admin(label="t"),
                                  idempotency_key=next_ref())
    assert await balance(sub.id) == 0


async def test_allocation_into_a_frozen_party_is_refused():
    agent, sub, _ = await make_tree(funds=10_00)
    from core.parties import service as parties

    async with atomic():
        await parties.freeze(party_id=sub.id, actor=await member_actor(agent))
    with pytest.raises(MoneyMovementRefused):
        async with atomic():
            await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=1_00, actor=Actor.admin(label="t"),
                                  idempotency_key=next_ref())
    with pytest.raises(MoneyMovementRefused):
        async with atomic():
            await ledger.reclaim(child_id=sub.id, amount=1, actor=Actor.admin(label="t"), idempotency_key=next_ref())
    assert await balance(agent.id) == 10_00


async def test_allocation_to_someone_elses_child_or_grandchild_is_refused():
    agent, sub, _ = await make_tree(funds=10_00)
    other_agent, other_sub, _ = await make_tree(funds=10_00)
    grandchild = await make_party(PartyKind.SUBAGENT, parent=sub)
    for child in (other_sub, grandchild, other_agent, agent):
        with pytest.raises(NotYourChild):
            async with atomic():
                await ledger.allocate(parent_id=agent.id, child_id=child.id, amount=1_00, actor=Actor.admin(label="t"),
                                      idempotency_key=next_ref())
    with pytest.raises(NotYourChild):
        async with atomic():
            await ledger.reclaim(child_id=other_sub.id, parent_id=agent.id, amount=1, actor=Actor.admin(label="t"),
                                 idempotency_key=next_ref())
    assert await balance(agent.id) == 10_00


@pytest.mark.parametrize("amount", [0, -100])
async def test_zero_or_negative_amounts_are_refused(amount):
    agent, sub, _ = await make_tree(funds=10_00)
    with pytest.raises(InvalidAmount):
        async with atomic():
            await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=amount, actor=Actor.admin(label="t"),
                                  idempotency_key=next_ref())
    with pytest.raises(InvalidAmount):
        async with atomic():
            await ledger.reclaim(child_id=sub.id, amount=amount, actor=Actor.admin(label="t"), idempotency_key=next_ref())
    with pytest.raises(InvalidAmount):
        async with atomic():
            await ledger.hold(party_id=agent.id, amount=amount, reference="o", actor=Actor.admin(label="t"), idempotency_key=next_ref())
    assert await Transfer.filter(kind=TransferKind.ALLOCATION).count() == 0


async def test_repeated_allocation_key_moves_money_once():
    agent, sub, _ = await make_tree(funds=10_00)
    for _ in range(3):
        async with atomic():
            await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=2_00, actor=Actor.admin(label="t"), idempotency_key="k1")
    assert await balance(sub.id) == 2_00
    with pytest.raises(IdempotencyMismatch):
        async with atomic():
            await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=3_00, actor=Actor.admin(label="t"), idempotency_key="k1")


async def test_credit_limit_lets_orders_go_negative_down_to_the_limit_only():
    agent = await make_party(funds=5_00)
    async with atomic():
        await ledger.set_credit_limit(party_id=agent.id, limit=10_00, actor=Actor.admin(label="admin"))
    async with atomic():
        h = await ledger.hold(party_id=agent.id, amount=15_00, reference="o1", actor=Actor.admin(label="t"), idempotency_key="o1")
    summary = await ledger.read_wallet(party_id=agent.id)
    assert (summary.available, summary.held, summary.spendable) == (-10_00, 15_00, 0)
    with pytest.raises(InsufficientFunds):
        async with atomic():
            await ledger.hold(party_id=agent.id, amount=1, reference="o2", actor=Actor.admin(label="t"), idempotency_key="o2")
    with pytest.raises(ValidationFailed):  # cannot lower the limit below what is used
        async with atomic():
            await ledger.set_credit_limit(party_id=agent.id, limit=5_00, actor=Actor.admin(label="admin"))
    async with atomic():
        await ledger.release(hold_id=h.id, actor=Actor.admin(label="t"), idempotency_key="o1")
    assert await balance(agent.id) == 5_00
    assert await check_ledger() == []


async def test_hold_capture_split_and_partial_release_each_exactly_once():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=50_00, actor=Actor.admin(label="t"), idempotency_key="a")
    async with atomic():
        h = await ledger.hold(party_id=sub.id, amount=20_00, reference="order:1", actor=Actor.admin(label="t"), idempotency_key="order:1")
    assert (await ledger.read_wallet(party_id=sub.id)).held == 20_00
    vendor = await system_account(AccountKind.VENDOR, "USD")
    revenue = await system_account(AccountKind.REVENUE, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    splits = [Split(vendor.id, 9_00), Split(revenue.id, 50), Split(commission.id, 20, TransferKind.COMMISSION_ACCRUAL)]
    async with atomic():
        await ledger.capture(hold_id=h.id, splits=splits, actor=Actor.admin(label="worker"), idempotency_key="order:1")
    async with atomic():  # the same job running twice: a replay, nothing moves
        replay = await ledger.capture(hold_id=h.id, splits=splits, actor=Actor.admin(label="worker"), idempotency_key="order:1")
    assert replay.replayed
    with pytest.raises(HoldAlreadySettled):  # a second capture under another key
        async with atomic():
            await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 1)], actor=Actor.admin(label="worker"), idempotency_key="other")
    with pytest.raises(InvalidAmount):
        async with atomic():
            await ledger.release(hold_id=h.id, amount=10_31, actor=Actor.admin(label="worker"), idempotency_key="order:1")
    async with atomic():
        await ledger.release(hold_id=h.id, actor=Actor.admin(label="worker"), idempotency_key="order:1")
    with pytest.raises(HoldAlreadySettled):
        async with atomic():
            await ledger.release(hold_id=h.id, actor=Actor.admin(label="worker"), idempotency_key="again")
    await h.refresh_from_db()
    assert (h.captured, h.released, h.status) == (9_70, 10_30, HoldStatus.SETTLED)
    trail = [e.action async for e in AuditEntry.filter(object_type="hold", object_id=str(h.id)).order_by("id")]
    assert trail == ["ledger.hold", "ledger.capture", "ledger.release"]
    summary = await ledger.read_wallet(party_id=sub.id)
    assert (summary.available, summary.held) == (50_00 - 9_70, 0)
    assert (await ledger.read_wallet(party_id=agent.id)).commission == 20
    assert await check_ledger() == []


async def test_hold_in_frozen_party_is_refused_but_capture_of_earlier_hold_settles():
    agent = await make_party(funds=10_00)
    async with atomic():
        h = await ledger.hold(party_id=agent.id, amount=4_00, reference="o", actor=Actor.admin(label="t"), idempotency_key="o")
    from core.parties import service as parties

    async with atomic():
        await parties.freeze(party_id=agent.id, actor=Actor.admin(label="admin"))
    with pytest.raises(MoneyMovementRefused):
        async with atomic():
            await ledger.hold(party_id=agent.id, amount=1_00, reference="o2", actor=Actor.admin(label="t"), idempotency_key="o2")
    vendor = await system_account(AccountKind.VENDOR, "USD")
    async with atomic():
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 4_00)], actor=Actor.admin(label="worker"), idempotency_key="o")
    assert (await ledger.read_wallet(party_id=agent.id)).balance == 6_00


async def test_commission_payout_once_per_party_and_period():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=Actor.admin(label="t"), idempotency_key="a")
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference="o", actor=Actor.admin(label="t"), idempotency_key="o")
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 9_80),
                                                   Split(commission.id, 20, TransferKind.COMMISSION_ACCRUAL)],
                             actor=Actor.admin(label="w"), idempotency_key="o")
    async with atomic():
        first = await ledger.pay_commission(party_id=agent.id, actor=Actor.admin(label="admin"))
    async with atomic():
        second = await ledger.pay_commission(party_id=agent.id, actor=Actor.admin(label="admin"))
    assert (first.paid_now, first.amount) == (True, 20)
    assert (second.paid_now, second.amount) == (False, 0)  # nothing left to pay
    summary = await ledger.read_wallet(party_id=agent.id)
    assert (summary.commission, summary.available) == (0, 90_20)
    assert await check_ledger() == []


async def test_adjustment_needs_reason_and_is_audited_with_before_and_after():
    agent = await make_party(funds=10_00)
    with pytest.raises(ValidationFailed):
        async with atomic():
            await ledger.adjust(party_id=agent.id, amount=-1_00, reason="", actor=Actor.admin(label="tg:9"), idempotency_key="x")
    async with atomic():
        await ledger.adjust(party_id=agent.id, amount=-2_50, reason="duplicate top-up", actor=Actor.admin(label="tg:9"),
                            idempotency_key="adj-1")
    entry = await AuditEntry.filter(action="ledger.adjustment").first()
    assert entry.actor == "tg:9" and entry.before == {"balance": 10_00}
    assert entry.after["balance"] == 7_50 and entry.after["reason"] == "duplicate top-up"
    assert await balance(agent.id) == 7_50


async def test_statement_lines_are_signed_with_running_balance():
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=30_00, actor=Actor.admin(label="t"), idempotency_key="a")
    async with atomic():
        await ledger.reclaim(child_id=sub.id, amount=5_00, actor=Actor.admin(label="t"), idempotency_key="r")
    lines = await ledger.wallet_statement(actor=ADMIN, party_id=agent.id)
    assert [(l.kind, l.amount, l.balance_after) for l in lines] == [
        ("reclaim", 5_00, 75_00), ("allocation", -30_00, 70_00), ("topup", 100_00, 100_00)]
    page2 = await ledger.wallet_statement(actor=ADMIN, party_id=agent.id, limit=2, before_seq=lines[1].seq)
    assert [l.kind for l in page2] == ["topup"]


async def test_money_operations_outside_a_transaction_are_refused():
    agent = await make_party()
    with pytest.raises(RuntimeError):
        await ledger.topup(party_id=agent.id, amount=1, reference="r", actor=Actor.admin(label="t"))


async def test_pending_party_cannot_receive_money():
    agent = await make_party(status=PartyStatus.PENDING)
    with pytest.raises(MoneyMovementRefused):
        async with atomic():
            await ledger.topup(party_id=agent.id, amount=1_00, reference="r", actor=Actor.admin(label="t"))
