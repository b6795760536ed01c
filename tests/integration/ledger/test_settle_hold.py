"""`settle_hold`: an order's settlement as one ledger use case — the delivered split captured, the
rest released, under one ascending lock of every account, exactly once per key."""

from __future__ import annotations

import asyncio

import pytest

from core.access.actor import Actor
from core.db import atomic, run_atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.errors import AccountNotFound, IdempotencyMismatch, InvalidAmount
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Hold, HoldStatus, Operation
from core.ledger.settlement import DeliveredSplit, settle_hold
from tests.factories import make_tree

pytestmark = pytest.mark.usefixtures("db")
WORKER = Actor.system("worker")
T = Actor.admin(label="t")


async def funded_sub(amount: int = 50_00):
    agent, sub, _ = await make_tree(funds=100_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=amount, actor=T, idempotency_key=f"a{sub.id}")
    return agent, sub


async def hold_for(party, amount: int, key: str) -> Hold:
    async with atomic():
        return await ledger.hold(party_id=party.id, amount=amount, reference=key, actor=T, idempotency_key=key)


async def balances(agent, sub) -> dict[str, int]:
    return {
        "wallet": (await party_account(sub.id, AccountKind.WALLET, "USD")).balance,
        "holds": (await party_account(sub.id, AccountKind.HOLDS, "USD")).balance,
        "commission": (await party_account(agent.id, AccountKind.COMMISSION, "USD")).balance,
        "vendor": (await system_account(AccountKind.VENDOR, "USD")).balance,
        "revenue": (await system_account(AccountKind.REVENUE, "USD")).balance,
    }


async def test_partial_delivery_captures_the_split_and_releases_the_rest_once():
    agent, sub = await funded_sub()
    h = await hold_for(sub, 40_00, "order:1")  # 4 cards at 10.00, 3 delivered
    split = DeliveredSplit(paid=30_00, vendor=27_00, commission=60, commission_party_id=agent.id)
    before = await balances(agent, sub)
    async with atomic():
        first = await settle_hold(hold_id=h.id, split=split, actor=WORKER, idempotency_key="order:1")
    async with atomic():  # the same worker step twice: a replay, nothing moves
        again = await settle_hold(hold_id=h.id, split=split, actor=WORKER, idempotency_key="order:1")
    assert not first.replayed and again.replayed
    after = await balances(agent, sub)
    assert {k: after[k] - before[k] for k in after} == {
        "wallet": 10_00, "holds": -40_00, "commission": 60, "vendor": 27_00, "revenue": 2_40}
    await h.refresh_from_db()
    assert (h.captured, h.released, h.status) == (30_00, 10_00, HoldStatus.SETTLED)
    assert await Operation.filter(reference=f"hold:{h.id}", kind__in=["order_capture", "order_release"]).count() == 2
    with pytest.raises(IdempotencyMismatch):  # the same key for another split is refused
        async with atomic():
            await settle_hold(hold_id=h.id, split=DeliveredSplit(paid=40_00, vendor=36_00), actor=WORKER,
                              idempotency_key="order:1")
    assert await check_ledger() == []


async def test_a_vendor_charging_more_than_the_price_leaves_is_paid_by_revenue():
    agent, sub = await funded_sub()
    h = await hold_for(sub, 20_00, "order:2")
    before = await balances(agent, sub)
    async with atomic():
        await settle_hold(hold_id=h.id, split=DeliveredSplit(paid=20_00, vendor=19_90, commission=40,
                                                             commission_party_id=agent.id),
                          actor=WORKER, idempotency_key="order:2")
    after = await balances(agent, sub)
    assert {k: after[k] - before[k] for k in after} == {
        "wallet": 0, "holds": -20_00, "commission": 40, "vendor": 19_90, "revenue": -30}
    assert await check_ledger() == []


async def test_a_charge_for_nothing_delivered_is_booked_to_the_vendor_and_the_buyer_gets_everything_back():
    agent, sub = await funded_sub()
    h = await hold_for(sub, 20_00, "order:3")
    before = await balances(agent, sub)
    async with atomic():
        settled = await settle_hold(hold_id=h.id, split=DeliveredSplit(paid=0, vendor=9_50), actor=WORKER,
                                    idempotency_key="order:3")
    assert settled.capture is not None and settled.release is not None
    after = await balances(agent, sub)
    assert {k: after[k] - before[k] for k in after} == {
        "wallet": 20_00, "holds": -20_00, "commission": 0, "vendor": 9_50, "revenue": -9_50}
    await h.refresh_from_db()
    assert (h.captured, h.released, h.status) == (0, 20_00, HoldStatus.SETTLED)
    assert await check_ledger() == []


async def test_a_missing_commission_account_refuses_the_whole_settlement():
    agent, sub = await funded_sub()
    h = await hold_for(sub, 10_00, "order:4")
    with pytest.raises(AccountNotFound):
        async with atomic():
            await settle_hold(hold_id=h.id, split=DeliveredSplit(paid=10_00, vendor=9_00, commission=20,
                                                                 commission_party_id=agent.id + 1000),
                              actor=WORKER, idempotency_key="order:4")
    with pytest.raises(InvalidAmount):
        async with atomic():
            await settle_hold(hold_id=h.id, split=DeliveredSplit(paid=11_00, vendor=9_00), actor=WORKER,
                              idempotency_key="order:4")
    await h.refresh_from_db()
    assert (h.captured, h.released, h.status) == (0, 0, HoldStatus.OPEN)  # nothing moved
    assert await check_ledger() == []


async def test_concurrent_settlements_and_new_orders_of_the_same_buyer_neither_deadlock_nor_settle_twice():
    agent, sub = await funded_sub(amount=50_00)
    holds = [await hold_for(sub, 5_00, f"order:c{i}") for i in range(4)]
    split = DeliveredSplit(paid=2_50, vendor=2_25, commission=5, commission_party_id=agent.id)

    async def settle(h: Hold):
        return await run_atomic(lambda: settle_hold(hold_id=h.id, split=split, actor=WORKER,
                                                    idempotency_key=f"order:{h.id}"))

    async def new_order(i: int):
        return await run_atomic(lambda: ledger.hold(party_id=sub.id, amount=1_00, reference=f"n{i}", actor=T,
                                                    idempotency_key=f"n{i}"))

    # Every settlement three times at once (duplicate workers), and new holds of the same buyer between them.
    results = await asyncio.wait_for(asyncio.gather(
        *(settle(h) for h in holds for _ in range(3)), *(new_order(i) for i in range(8))), timeout=60)
    settlements = results[:12]
    assert sum(not s.replayed for s in settlements) == 4  # each hold settled once, the rest replays
    for h in holds:
        await h.refresh_from_db()
        assert (h.captured, h.released, h.status) == (2_50, 2_50, HoldStatus.SETTLED)
        assert await Operation.filter(reference=f"hold:{h.id}").count() == 2  # one capture, one release
    wallet = await ledger.read_wallet(party_id=sub.id)
    assert wallet.held == 8 * 1_00
    assert await check_ledger() == []
