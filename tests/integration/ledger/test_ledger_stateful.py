"""Hypothesis drives random sequences of ledger operations against real PostgreSQL, comparing the
database with a plain Python model after every step and running the invariant checker."""

from __future__ import annotations

from core.access.actor import Actor
import asyncio
import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from core.db import atomic
from core.errors import DomainError
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, TransferKind
from core.ledger.service import Split
from core.parties import service as parties
from core.parties.models import PartyKind, PartyStatus
from tests.factories import make_party

pytestmark = pytest.mark.usefixtures("db")

amounts = st.integers(min_value=1, max_value=60_00)
# The database outlives each machine run, so keys must never repeat across runs.
_KEYS = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    """The model: wallet (available), held and commission per party, plus party status."""

    holds = Bundle("holds")

    def __init__(self, loop: asyncio.AbstractEventLoop, tree: dict) -> None:
        super().__init__()
        self.loop = loop
        self.tree = tree  # name -> party id; "agent" is the parent of "sub1" and "sub2"
        self.wallet = {pid: 0 for pid in tree.values()}
        self.held = {pid: 0 for pid in tree.values()}
        self.commission = {pid: 0 for pid in tree.values()}
        self.credit = {pid: 0 for pid in tree.values()}
        self.frozen: set[int] = set()
        self.keys = _KEYS
        # Each machine run starts from zero: fresh parties per run.
        self.open_holds: dict[int, tuple[int, int]] = {}

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def attempt(self, coro_factory) -> bool:
        async def go():
            try:
                async with atomic():
                    await coro_factory()
                return True
            except DomainError:
                return False

        return self.run(go())

    def active(self, pid: int) -> bool:
        return pid not in self.frozen

    @property
    def agent(self) -> int:
        return self.tree["agent"]

    @rule(who=st.sampled_from(["agent", "sub1", "sub2", "partner"]), amount=amounts)
    def topup(self, who, amount):
        pid = self.tree[who]
        ok = self.attempt(lambda: ledger.topup(party_id=pid, amount=amount, reference=f"ref-{next(self.keys)}",
                                               actor=Actor.admin(label="hyp")))
        assert ok == self.active(pid)
        if ok:
            self.wallet[pid] += amount

    @rule(child=st.sampled_from(["sub1", "sub2"]), amount=amounts)
    def allocate(self, child, amount):
        cid = self.tree[child]
        expected = self.active(self.agent) and self.active(cid) and self.wallet[self.agent] >= amount
        ok = self.attempt(lambda: ledger.allocate(parent_id=self.agent, child_id=cid, amount=amount, actor=Actor.admin(label="hyp"),
                                                  idempotency_key=str(next(self.keys))))
        assert ok == expected
        if ok:
            self.wallet[self.agent] -= amount
            self.wallet[cid] += amount

    @rule(child=st.sampled_from(["sub1", "sub2"]), amount=amounts)
    def reclaim(self, child, amount):
        cid = self.tree[child]
        expected = self.active(self.agent) and self.active(cid) and self.wallet[cid] >= amount
        ok = self.attempt(lambda: ledger.reclaim(child_id=cid, amount=amount, actor=Actor.admin(label="hyp"),
                                                 idempotency_key=str(next(self.keys))))
        assert ok == expected
        if ok:
            self.wallet[cid] -= amount
            self.wallet[self.agent] += amount

    @rule(who=st.sampled_from(["agent", "sub1", "partner"]), amount=st.integers(-30_00, 30_00).filter(bool))
    def adjust(self, who, amount):
        pid = self.tree[who]
        expected = self.wallet[pid] + amount >= -self.credit[pid] or amount > 0
        ok = self.attempt(lambda: ledger.adjust(party_id=pid, amount=amount, reason="hypothesis", actor=Actor.admin(label="hyp"),
                                                idempotency_key=str(next(self.keys))))
        assert ok == expected
        if ok:
            self.wallet[pid] += amount

    @rule(who=st.sampled_from(["agent", "sub2"]), limit=st.sampled_from([0, 10_00, 50_00]))
    def credit_limit(self, who, limit):
        pid = self.tree[who]
        ok = self.attempt(lambda: ledger.set_credit_limit(party_id=pid, limit=limit, actor=Actor.admin(label="hyp")))
        assert ok == (self.wallet[pid] >= -limit)
        if ok:
            self.credit[pid] = limit

    @rule(target=holds, who=st.sampled_from(["agent", "sub1", "sub2", "partner"]), amount=amounts)
    def hold(self, who, amount):
        pid = self.tree[who]
        key = f"order-{next(self.keys)}"
        expected = self.active(pid) and self.wallet[pid] - amount >= -self.credit[pid]

        async def go():
            try:
                async with atomic():
                    h = await ledger.hold(party_id=pid, amount=amount, reference=key, actor=Actor.admin(label="hyp"), idempotency_key=key)
                return h.id
            except DomainError:
                return None

        hold_id = self.run(go())
        assert (hold_id is not None) == expected
        if hold_id is None:
            return None
        self.wallet[pid] -= amount
        self.held[pid] += amount
        self.open_holds[hold_id] = (pid, amount)
        return hold_id

    @rule(hold_id=consumes(holds), delivered_share=st.sampled_from([0, 1, 2, 4]))
    def settle(self, hold_id, delivered_share):
        """Capture a quarter-multiple of the hold (vendor/revenue/parent commission), release the rest."""
        if hold_id is None:
            return
        pid, amount = self.open_holds.pop(hold_id)
        captured = amount * delivered_share // 4
        parent = self.agent if pid in (self.tree["sub1"], self.tree["sub2"]) else None

        async def go():
            vendor = await system_account(AccountKind.VENDOR, "USD")
            revenue = await system_account(AccountKind.REVENUE, "USD")
            splits = []
            if captured:
                share = captured // 10 if parent else 0
                margin = captured // 20
                vendor_part = captured - share - margin
                splits.append(Split(vendor.id, vendor_part))
                if margin:
                    splits.append(Split(revenue.id, margin))
                if share:
                    commission = await party_account(parent, AccountKind.COMMISSION, "USD")
                    splits.append(Split(commission.id, share, TransferKind.COMMISSION_ACCRUAL))
            async with atomic():
                if splits:
                    await ledger.capture(hold_id=hold_id, splits=splits, actor=Actor.admin(label="hyp"), idempotency_key=str(hold_id))
                if captured < amount:
                    await ledger.release(hold_id=hold_id, actor=Actor.admin(label="hyp"), idempotency_key=str(hold_id))
            # A worker running the same settlement twice changes nothing.
            async with atomic():
                if splits:
                    assert (await ledger.capture(hold_id=hold_id, splits=splits, actor=Actor.admin(label="hyp"),
                                                 idempotency_key=str(hold_id))).replayed
            return splits

        splits = self.run(go())
        self.held[pid] -= amount
        self.wallet[pid] += amount - captured
        if parent and captured:
            self.commission[parent] += sum(s.amount for s in splits if s.kind == TransferKind.COMMISSION_ACCRUAL)

    @rule()
    def payout(self):
        due = self.commission[self.agent]
        ok = self.attempt(lambda: ledger.pay_commission(party_id=self.agent, actor=Actor.admin(label="hyp")))
        if due and self.active(self.agent):
            assert ok
            self.wallet[self.agent] += due
            self.commission[self.agent] = 0
        elif due:
            assert not ok

    @rule(who=st.sampled_from(["sub1", "sub2", "agent"]))
    def toggle_freeze(self, who):
        pid = self.tree[who]
        if pid in self.frozen:
            assert self.attempt(lambda: parties.unfreeze(party_id=pid, actor=Actor.admin(label="hyp")))
            self.frozen.discard(pid)
        else:
            assert self.attempt(lambda: parties.freeze(party_id=pid, actor=Actor.admin(label="hyp")))
            self.frozen.add(pid)

    @invariant()
    def database_matches_model_and_invariants_hold(self):
        async def read():
            return {pid: await ledger.read_wallet(party_id=pid) for pid in self.tree.values()}

        summaries = self.run(read())
        for pid, s in summaries.items():
            assert (s.available, s.held, s.commission, s.credit_limit) == (
                self.wallet[pid], self.held[pid], self.commission[pid], self.credit[pid])
        violations = self.run(check_ledger())
        assert violations == [], violations


async def _fresh_tree() -> dict:
    agent = await make_party(PartyKind.AGENT)
    sub1 = await make_party(PartyKind.SUBAGENT, parent=agent)
    sub2 = await make_party(PartyKind.SUBAGENT, parent=agent)
    partner = await make_party(PartyKind.PARTNER)
    return {"agent": agent.id, "sub1": sub1.id, "sub2": sub2.id, "partner": partner.id}


async def test_random_ledger_sequences_keep_every_invariant():
    loop = asyncio.get_running_loop()

    def machine_factory():
        tree = asyncio.run_coroutine_threadsafe(_fresh_tree(), loop).result(timeout=60)
        return LedgerMachine(loop, tree)

    def run() -> None:
        run_state_machine_as_test(
            machine_factory,
            settings=settings(max_examples=30, stateful_step_count=25, deadline=None,
                              suppress_health_check=list(HealthCheck)),
        )

    # Hypothesis is synchronous: it runs in a thread and hands each step to this event loop.
    await asyncio.to_thread(run)
