"""Every rule of PRODUCT.md §2 breaks the way an intruder or a bug would break it, after the last
clean check: the full sweep (`steller check`, `check_ledger()`) and the incremental check (the
cron) both name it. Old rows edited before the checkpoint are the full sweep's alone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tortoise.connection import get_connection

from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Hold, Transfer
from core.ledger.settlement import Split, capture
from core.parties.models import Party
from tests.factories import make_tree, next_ref
from tests.integration.ledger.invariants_support import (
    ADMIN,
    behind_the_ledgers_back,
    check,
    rules,
)

pytestmark = pytest.mark.usefixtures("db")


@dataclass
class Ledger:
    agent: Party
    sub: Party
    old_transfer: int  # before the checkpoint
    new_transfer: int  # an allocation after it
    captured: Hold  # held and captured after the checkpoint
    open: Hold  # held after it, in flight


async def ledger_after_a_clean_check() -> Ledger:
    agent, sub, _ = await make_tree(funds=100_00)
    old = await Transfer.all().order_by("id").first()
    assert (await check(full=True)).ok
    async with atomic():
        allocation = await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=50_00, actor=ADMIN,
                                           idempotency_key=next_ref())
    vendor = await system_account(AccountKind.VENDOR, "USD")
    revenue = await system_account(AccountKind.REVENUE, "USD")
    async with atomic():
        captured = await ledger.hold(party_id=sub.id, amount=20_00, reference="order:1", actor=ADMIN,
                                     idempotency_key="order:1")
        await capture(hold_id=captured.id, splits=[Split(vendor.id, 19_00), Split(revenue.id, 1_00)], actor=ADMIN,
                      idempotency_key="order:1")
    async with atomic():
        in_flight = await ledger.hold(party_id=sub.id, amount=5_00, reference="order:2", actor=ADMIN,
                                      idempotency_key="order:2")
    new = await Transfer.get(operation_id=allocation.operation.id)
    await captured.refresh_from_db()
    return Ledger(agent, sub, old.id, new.id, captured, in_flight)


async def raw(sql: str, *args) -> None:
    await get_connection("default").execute_query(sql, list(args))


async def wallet_id(party: Party) -> int:
    return (await party_account(party.id, AccountKind.WALLET, "USD")).id


async def sum_zero(lg: Ledger) -> None:
    # Balance and its chain edited together: only the sum over all accounts still tells.
    await raw("UPDATE ledger_account SET balance = balance + 1 WHERE id = $1", await wallet_id(lg.agent))


async def cached_balance(lg: Ledger) -> None:
    await raw("UPDATE ledger_account SET entry_count = entry_count + 1 WHERE id = $1", await wallet_id(lg.sub))


async def floor(lg: Ledger) -> None:
    await raw("UPDATE ledger_account SET balance = -1 WHERE id = $1", await wallet_id(lg.agent))


async def entry_chain(lg: Ledger) -> None:
    await behind_the_ledgers_back("UPDATE ledger_transfer SET credit_seq = credit_seq + 5 WHERE id = $1",
                                  lg.new_transfer)


async def transfer_shape(lg: Ledger) -> None:
    await behind_the_ledgers_back("UPDATE ledger_transfer SET currency = 'EUR' WHERE id = $1", lg.new_transfer)


async def digest(lg: Ledger) -> None:
    await behind_the_ledgers_back("UPDATE ledger_transfer SET reference = 'forged' WHERE id = $1", lg.new_transfer)


async def hold_shape(lg: Ledger) -> None:
    await raw("UPDATE ledger_hold SET status = 'settled' WHERE id = $1", lg.open.id)


async def holds_account(lg: Ledger) -> None:
    await raw("UPDATE ledger_hold SET amount = amount + 1 WHERE id = $1", lg.open.id)


async def hold_settlement(lg: Ledger) -> None:
    await raw("UPDATE ledger_hold SET captured = captured - 1, released = released + 1 WHERE id = $1",
              lg.captured.id)


async def immutability(lg: Ledger) -> None:
    await raw("ALTER TABLE ledger_operation DISABLE TRIGGER steller_immutable")


BREAKS = [sum_zero, cached_balance, floor, entry_chain, transfer_shape, digest, hold_shape, holds_account,
          hold_settlement, immutability]


@pytest.mark.parametrize("break_rule", BREAKS, ids=[b.__name__ for b in BREAKS])
async def test_every_rule_broken_after_the_checkpoint_is_found_by_both_checks(break_rule):
    lg = await ledger_after_a_clean_check()
    await break_rule(lg)
    try:
        assert break_rule.__name__ in {v.rule for v in await check_ledger()}
        assert break_rule.__name__ in rules(await check())
        assert break_rule.__name__ in rules(await check(full=True))
    finally:
        await raw("ALTER TABLE ledger_operation ENABLE TRIGGER steller_immutable")


async def test_an_old_transfer_edited_behind_the_ledgers_back_is_found_by_the_full_sweep():
    lg = await ledger_after_a_clean_check()
    assert (await check()).ok
    await behind_the_ledgers_back("UPDATE ledger_transfer SET reference = 'forged' WHERE id = $1", lg.old_transfer)
    assert (await check()).ok  # verified before the checkpoint: the incremental check does not read it again
    full = await check(full=True)
    assert [(v.rule, v.subject) for v in full.violations] == [("digest", f"transfer {lg.old_transfer}")]
    # From then on its accounts are read from their first entry by every check, until dealt with.
    assert [(v.rule, v.subject) for v in (await check()).violations] == [("digest", f"transfer {lg.old_transfer}")]


async def test_a_clean_ledger_passes_every_check():
    await ledger_after_a_clean_check()
    assert await check_ledger() == []
    assert (await check()).ok
    assert (await check(full=True)).ok
