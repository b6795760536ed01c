"""The incremental invariant check (the 10-minute cron) against real PostgreSQL: it verifies what
changed since its checkpoint, finds what the full sweep would find there, never skips a transfer
that committed out of id order, and never moves its checkpoint past a violation."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.connection import get_connection

from core.access.actor import Actor
from core.db import atomic
from core.ledger import invariants_incremental
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import run_check
from core.ledger.models import AccountKind, LedgerCheckpointAccount, Transfer
from core.parties.errors import NotAdmin
from core.parties.models import PartyKind
from tests.factories import make_party, make_tree, next_ref
from tests.integration.ledger.invariants_support import (
    ADMIN,
    behind_the_ledgers_back,
    check,
    rules,
)

pytestmark = pytest.mark.usefixtures("db")


async def checkpointed(account_id: int) -> tuple[int, int] | None:
    row = await LedgerCheckpointAccount.get_or_none(account_id=account_id)
    return (row.seq, row.balance) if row else None


async def wallet(party_id: int):
    return await party_account(party_id, AccountKind.WALLET, "USD")


async def transfer_of(posted) -> Transfer:
    # bulk_create does not hand ids back: read the operation's one transfer.
    return await Transfer.get(operation_id=posted.operation.id)


async def topup(party_id: int, amount: int = 1_00) -> Transfer:
    async with atomic():
        posted = await ledger.topup(party_id=party_id, amount=amount, reference=next_ref("bank"), actor=ADMIN)
    return await transfer_of(posted)


async def test_the_first_run_is_a_full_sweep_that_sets_the_baseline_then_only_new_transfers_are_read():
    agent, sub, _ = await make_tree(funds=100_00)
    first = await check()
    assert (first.full, first.ok, first.transfers_verified) == (True, True, 1)
    agent_wallet = await wallet(agent.id)
    assert await checkpointed(agent_wallet.id) == (1, 100_00)

    nothing_new = await check()
    assert (nothing_new.full, nothing_new.ok, nothing_new.transfers_verified) == (False, True, 0)

    await topup(agent.id, 5_00)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=30_00, actor=ADMIN,
                              idempotency_key=next_ref())
    later = await check()
    assert (later.full, later.ok, later.transfers_verified) == (False, True, 2)
    assert await checkpointed(agent_wallet.id) == (3, 75_00)
    assert await checkpointed((await wallet(sub.id)).id) == (1, 30_00)


async def test_incremental_check_finds_a_tampered_new_transfer():
    agent = await make_party(funds=10_00)
    assert (await check()).ok
    new = await topup(agent.id)
    await behind_the_ledgers_back("UPDATE ledger_transfer SET reference = 'forged' WHERE id = $1", new.id)
    report = await check()
    assert not report.full
    assert [(v.rule, v.subject) for v in report.violations] == [("digest", f"transfer {new.id}")]


async def test_incremental_check_finds_a_broken_chain_in_a_touched_account():
    agent = await make_party(funds=10_00)
    assert (await check()).ok
    first, _ = await topup(agent.id), await topup(agent.id)
    await behind_the_ledgers_back(
        "UPDATE ledger_transfer SET credit_balance_after = credit_balance_after + 7 WHERE id = $1", first.id)
    report = await check()
    account = (await wallet(agent.id)).id
    assert {"entry_chain", "digest"} <= rules(report)
    assert any(v.rule == "entry_chain" and v.subject.startswith(f"account {account} entry 2 ")
               for v in report.violations)


async def test_incremental_check_finds_a_wrong_cached_balance_in_touched_and_untouched_accounts():
    quiet, busy = await make_party(funds=10_00), await make_party(funds=10_00)
    assert (await check()).ok
    await topup(busy.id)
    quiet_wallet, busy_wallet = await wallet(quiet.id), await wallet(busy.id)
    conn = get_connection("default")
    await conn.execute_query("UPDATE ledger_account SET balance = balance + 1 WHERE id = $1", [quiet_wallet.id])
    await conn.execute_query("UPDATE ledger_account SET entry_count = entry_count + 1 WHERE id = $1",
                             [busy_wallet.id])
    report = await check()
    cached = sorted(v.subject for v in report.violations if v.rule == "cached_balance")
    assert cached == sorted([f"account {quiet_wallet.id} ({quiet_wallet.code})",
                             f"account {busy_wallet.id} ({busy_wallet.code})"])


async def test_a_transfer_that_commits_after_a_higher_id_was_checked_is_still_verified():
    late_party = await make_party()
    parent, child, _ = await make_tree(funds=10_00)
    assert (await check()).ok
    posted_late = asyncio.Event()
    let_it_commit = asyncio.Event()
    late: list[Transfer] = []

    async def slow_topup() -> None:
        async with atomic() as conn:
            posted = await ledger.topup(party_id=late_party.id, amount=3_00, reference="late", actor=ADMIN)
            late.append(await transfer_of(posted))
            # Signed wrongly, so the test sees whether the checker ever looks at it.
            await conn.execute_query("SET LOCAL session_replication_role = replica")
            await conn.execute_query("UPDATE ledger_transfer SET digest = 'dev:0' WHERE id = $1", [late[0].id])
            posted_late.set()
            await let_it_commit.wait()

    writer = asyncio.create_task(slow_topup())
    await asyncio.wait_for(posted_late.wait(), 10)
    async with atomic():
        allocation = await ledger.allocate(parent_id=parent.id, child_id=child.id, amount=1_00, actor=ADMIN,
                                           idempotency_key=next_ref())
    assert (await transfer_of(allocation)).id > late[0].id  # a higher id, committed first

    while_open = await check()
    assert while_open.ok and while_open.transfers_verified == 1  # the allocation; the top-up is not visible
    let_it_commit.set()
    await writer

    after = await check()
    assert [(v.rule, v.subject) for v in after.violations] == [("digest", f"transfer {late[0].id}")]


async def test_the_checkpoint_does_not_advance_past_a_violation():
    broken, fine = await make_party(funds=10_00), await make_party(funds=10_00)
    assert (await check()).ok
    broken_wallet, fine_wallet = await wallet(broken.id), await wallet(fine.id)
    bad = await topup(broken.id)
    await topup(fine.id)
    await behind_the_ledgers_back("UPDATE ledger_transfer SET reference = 'forged' WHERE id = $1", bad.id)

    for _ in range(2):  # reported again and again, not verified once and forgotten
        report = await check()
        assert [(v.rule, v.subject) for v in report.violations] == [("digest", f"transfer {bad.id}")]
        assert await checkpointed(broken_wallet.id) == (1, 10_00)
        assert await checkpointed(fine_wallet.id) == (2, 11_00)  # the rest of the ledger moves on


async def test_a_copy_of_a_verified_transfer_inserted_behind_the_ledgers_back_is_found_until_dealt_with():
    agent = await make_party(funds=10_00)
    assert (await check()).ok
    original = await Transfer.filter(credit_account_id=(await wallet(agent.id)).id).first()
    columns = ("operation_id, kind, debit_account_id, credit_account_id, amount, currency, debit_seq, credit_seq, "
               "debit_balance_after, credit_balance_after, reference, created_at, digest")
    await behind_the_ledgers_back(
        f"INSERT INTO ledger_transfer ({columns}) SELECT {columns} FROM ledger_transfer WHERE id = $1", original.id)
    copy = await Transfer.filter(id__gt=original.id).order_by("-id").first()
    for _ in range(2):  # both claim the same entries: the checker cannot tell which one is the copy
        report = await check()
        assert [(v.rule, v.subject) for v in report.violations] == [
            ("entry_chain", f"transfer {original.id}"), ("entry_chain", f"transfer {copy.id}")]
    assert "entry_chain" in rules(await check(full=True))


async def test_transfers_older_than_the_margin_are_not_read_again(monkeypatch):
    await make_party(funds=10_00)
    monkeypatch.setattr(invariants_incremental, "STRAY_MARGIN", invariants_incremental.STRAY_MARGIN * 0)
    assert (await check()).ok
    floor = await get_connection("default").execute_query_dict(
        "SELECT transfer_floor FROM ledger_check_checkpoint")
    assert floor == [{"transfer_floor": await Transfer.all().count()}]


async def test_checks_running_while_money_moves_never_report_a_false_violation_and_miss_nothing():
    parents = [await make_party(funds=1000_00) for _ in range(4)]
    assert (await check()).ok
    children = [await make_party(PartyKind.SUBAGENT, parent=p) for p in parents]
    done = asyncio.Event()

    async def mover(parent, child) -> None:
        for i in range(25):
            async with atomic():
                await ledger.allocate(parent_id=parent.id, child_id=child.id, amount=1_00 + i, actor=ADMIN,
                                      idempotency_key=next_ref())
            await topup(parent.id, 50)

    async def checker() -> list:
        reports = []
        while not done.is_set():
            reports.append(await check())
        return reports

    checking = asyncio.create_task(checker())
    await asyncio.gather(*(mover(p, c) for p, c in zip(parents, children, strict=True)))
    done.set()
    reports = await checking
    reports.append(await check())
    assert len(reports) >= 2
    assert [v for r in reports for v in r.violations] == []
    assert sum(r.transfers_verified for r in reports) == 4 * 25 * 2
    rows = await get_connection("default").execute_query_dict(
        "SELECT a.id FROM ledger_account a LEFT JOIN ledger_check_account c ON c.account_id = a.id "
        "WHERE a.entry_count > 0 AND (c.seq IS DISTINCT FROM a.entry_count OR c.balance IS DISTINCT FROM a.balance)")
    assert rows == []


async def test_a_check_that_finds_another_running_skips_and_a_full_one_waits_for_it():
    from core.ledger.invariants import CHECK_LOCK_KEY

    agent = await make_party(funds=10_00)
    assert (await check()).ok
    async with get_connection("default").acquire_connection() as other:
        await other.execute("SELECT pg_advisory_lock($1)", CHECK_LOCK_KEY)
        try:
            assert (await check()).skipped
            waiting = asyncio.create_task(check(full=True))
            await asyncio.sleep(0.3)
            assert not waiting.done()
        finally:
            await other.execute("SELECT pg_advisory_unlock($1)", CHECK_LOCK_KEY)
    report = await asyncio.wait_for(waiting, 10)
    assert report.full and report.ok and not report.skipped
    assert agent.id


async def test_only_admins_and_the_platform_run_the_checker():
    member_like = Actor(kind="member", label="tg:5", party_id=1, role="owner")
    with pytest.raises(NotAdmin):
        await run_check(actor=member_like)
    assert (await run_check(actor=Actor.system("worker"))).ok


async def test_a_check_inside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        async with atomic():
            await check()


async def test_new_holds_and_their_settlement_are_checked_incrementally():
    from core.ledger.settlement import Split, capture

    agent = await make_party(funds=50_00)
    assert (await check()).ok
    vendor = await system_account(AccountKind.VENDOR, "USD")
    async with atomic():
        held = await ledger.hold(party_id=agent.id, amount=20_00, reference="order:1", actor=ADMIN,
                                 idempotency_key="order:1")
        await capture(hold_id=held.id, splits=[Split(vendor.id, 20_00)], actor=ADMIN, idempotency_key="order:1")
    assert (await check()).ok
    conn = get_connection("default")
    await conn.execute_query("UPDATE ledger_hold SET captured = captured - 1, status = 'open' WHERE id = $1",
                             [held.id])
    assert rules(await check()) >= {"hold_settlement", "holds_account"}
