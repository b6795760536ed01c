"""run_atomic: a transaction that loses a deadlock or a serialization race in PostgreSQL is rerun
(bounded, jittered); anything else is raised at once; the effects of both racers land once."""

from __future__ import annotations

import asyncio
import functools
from collections import Counter

import asyncpg
import pytest
from tortoise.connection import get_connection
from tortoise.exceptions import (
    IntegrityError,
    OperationalError,
    TransactionManagementError,
)

from core.access.actor import Actor
from core.db import atomic, is_retryable_db_error, run_atomic
from core.ledger import commission as commission_module
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.errors import InsufficientFunds
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Operation, TransferKind
from core.ledger.service import Split
from core.parties.models import PartyKind
from tests.factories import make_party
from tests.support.ledger_clock import install_ledger_clock

pytestmark = pytest.mark.usefixtures("db")

ADMIN = Actor.admin(label="test")
_LOCK_SQL = "SELECT id FROM ledger_account WHERE id = $1 FOR UPDATE"


def sqlstate_of(exc: BaseException) -> str | None:
    while exc is not None:
        if getattr(exc, "sqlstate", None):
            return exc.sqlstate
        exc = exc.__cause__ or exc.__context__
    return None


async def test_a_real_deadlock_is_retried_and_both_effects_land_once():
    first, second = await make_party(), await make_party()
    a = (await party_account(first.id, AccountKind.WALLET, "USD")).id
    b = (await party_account(second.id, AccountKind.WALLET, "USD")).id
    locked = {a: asyncio.Event(), b: asyncio.Event()}
    calls: Counter = Counter()
    lost: list[str | None] = []

    async def lock_then_topup(mine: int, theirs: int, party_id: int, reference: str):
        """Locks two rows in the opposite order to its rival, then credits its party."""
        calls[reference] += 1
        conn = get_connection("default")
        try:
            await conn.execute_query(_LOCK_SQL, [mine])
            locked[mine].set()
            await locked[theirs].wait()  # both hold one row: each now waits for the other's
            await conn.execute_query(_LOCK_SQL, [theirs])
        except Exception as exc:
            lost.append(sqlstate_of(exc))
            raise
        return await ledger.topup(party_id=party_id, amount=7_00, reference=reference, actor=ADMIN)

    results = await asyncio.wait_for(asyncio.gather(
        run_atomic(functools.partial(lock_then_topup, a, b, first.id, "deadlock-1"), base_delay=0.05),
        run_atomic(functools.partial(lock_then_topup, b, a, second.id, "deadlock-2"), base_delay=0.05),
    ), timeout=30)

    assert lost == ["40P01"]  # PostgreSQL broke the cycle by failing one of them…
    assert sorted(calls.values()) == [1, 2]  # …and run_atomic ran that one again
    assert all(not posted.replayed for posted in results)
    for party in (first, second):
        assert (await ledger.read_wallet(party_id=party.id)).available == 7_00
    assert await Operation.filter(reference__in=["deadlock-1", "deadlock-2"]).count() == 2
    assert await check_ledger() == []


async def test_a_real_serialization_failure_is_retried_and_no_update_is_lost():
    party = await make_party()
    wallet = (await party_account(party.id, AccountKind.WALLET, "USD")).id
    have_read = [asyncio.Event(), asyncio.Event()]
    calls: Counter = Counter()
    lost: list[str | None] = []

    async def raise_limit(me: int):
        """Read-modify-write under REPEATABLE READ, racing the other writer."""
        calls[me] += 1
        conn = get_connection("default")
        try:
            await conn.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            [row] = await conn.execute_query_dict("SELECT credit_limit FROM ledger_account WHERE id = $1", [wallet])
            have_read[me].set()
            await have_read[1 - me].wait()  # both read the same value before either writes
            await conn.execute_query("UPDATE ledger_account SET credit_limit = $1 WHERE id = $2",
                                     [row["credit_limit"] + 100, wallet])
        except Exception as exc:
            lost.append(sqlstate_of(exc))
            raise

    await asyncio.wait_for(asyncio.gather(run_atomic(functools.partial(raise_limit, 0), base_delay=0.01),
                                          run_atomic(functools.partial(raise_limit, 1), base_delay=0.01)),
                           timeout=30)

    assert lost == ["40001"]
    assert sorted(calls.values()) == [1, 2]
    account = await party_account(party.id, AccountKind.WALLET, "USD")
    assert account.credit_limit == 200  # both increments, neither lost


async def test_a_refusal_or_a_constraint_violation_is_not_retried():
    party = await make_party(funds=1_00)
    calls: Counter = Counter()

    async def overdraw():
        calls["overdraw"] += 1
        return await ledger.adjust(party_id=party.id, amount=-5_00, reason="test", idempotency_key="x", actor=ADMIN)

    with pytest.raises(InsufficientFunds):
        await run_atomic(overdraw)

    async def duplicate_account():
        calls["duplicate"] += 1
        await get_connection("default").execute_query(
            "INSERT INTO ledger_account (code, kind, currency, balance, credit_limit, entry_count, created_at) "
            "SELECT code, kind, currency, 0, 0, 0, now() FROM ledger_account WHERE party_id = $1 LIMIT 1",
            [party.id])

    with pytest.raises(IntegrityError):
        await run_atomic(duplicate_account)
    assert calls == {"overdraw": 1, "duplicate": 1}


async def test_the_retry_is_bounded_and_the_last_error_is_raised():
    calls = 0

    async def always_loses():
        nonlocal calls
        calls += 1
        raise asyncpg.exceptions.SerializationError("could not serialize access due to concurrent update")

    with pytest.raises(asyncpg.exceptions.SerializationError):
        await run_atomic(always_loses, attempts=3, base_delay=0.001)
    assert calls == 3


async def test_inside_an_open_transaction_the_caller_retries_not_the_inner_call():
    calls = 0

    async def loses_once():
        nonlocal calls
        calls += 1
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    with pytest.raises(asyncpg.exceptions.DeadlockDetectedError):
        async with atomic():
            await run_atomic(loses_once, base_delay=0.001)
    assert calls == 1  # the transaction to rerun is the caller's, already aborted


def test_retryable_errors_are_recognised_however_tortoise_wraps_them():
    deadlock = asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
    serialization = asyncpg.exceptions.SerializationError("could not serialize access")
    assert is_retryable_db_error(deadlock) and is_retryable_db_error(serialization)
    assert is_retryable_db_error(OperationalError(deadlock))  # wrapped as an argument
    assert is_retryable_db_error(TransactionManagementError(serialization))
    try:
        try:
            raise deadlock
        except Exception as exc:
            raise RuntimeError("while committing") from exc
    except RuntimeError as chained:
        assert is_retryable_db_error(chained)  # wrapped as a cause
    assert not is_retryable_db_error(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_retryable_db_error(IntegrityError(asyncpg.exceptions.UniqueViolationError("duplicate key")))
    assert not is_retryable_db_error(ValueError("40P01"))


async def test_the_payout_run_reruns_a_party_whose_transaction_lost_a_race(monkeypatch):
    clock = install_ledger_clock(monkeypatch, commission_module)
    clock.set(2026, 10, 10)
    agent = await make_party(funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=ADMIN, idempotency_key="k")
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference="k", actor=ADMIN, idempotency_key="k")
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 9_70),
                                                   Split(commission.id, 30, TransferKind.COMMISSION_ACCRUAL)],
                             actor=ADMIN, idempotency_key="k")
    clock.set(2026, 11, 1, 0, 15)

    real = commission_module.pay_monthly_commission
    calls = 0

    async def loses_the_first_time(**kwargs):
        nonlocal calls
        calls += 1
        payout = await real(**kwargs)  # its writes are rolled back with the transaction
        if calls == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return payout

    monkeypatch.setattr(commission_module, "pay_monthly_commission", loses_the_first_time)
    run = await commission_module.pay_out_all(period="2026-10")
    assert (calls, run.paid, run.amount) == (2, 1, 30)
    assert (await ledger.read_wallet(party_id=agent.id)).commission == 0
    assert await check_ledger() == []
