"""Many transactions at once over the same rows: the locks, not luck, keep the books right.

Each coroutine below runs its own transaction on its own pooled connection, so PostgreSQL sees
real concurrent transactions. Removing the FOR UPDATE in `lock_accounts` makes these fail.
"""

from __future__ import annotations

from core.access.actor import Actor
import asyncio
import random

import pytest

from core.db import atomic
from core.errors import DomainError
from core.ledger import service as ledger
from core.ledger.accounts import system_account
from core.ledger.errors import HoldAlreadySettled, InsufficientFunds
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Operation
from core.ledger.service import Split
from core.parties import invites
from core.parties.errors import InviteUsedUp
from core.parties.models import Invite, InviteRedemption, Member, Party, PartyKind
from tests.factories import balance, make_party

pytestmark = pytest.mark.usefixtures("db")


async def test_50_concurrent_allocations_and_reclaims_keep_every_cent():
    parent = await make_party(PartyKind.AGENT, funds=1_000_00)
    children = [await make_party(PartyKind.SUBAGENT, parent=parent) for _ in range(5)]
    async with atomic():  # give each child something to reclaim from the start
        for i, child in enumerate(children):
            await ledger.allocate(parent_id=parent.id, child_id=child.id, amount=20_00, actor=Actor.admin(label="t"),
                                  idempotency_key=f"seed-{i}")
    rng = random.Random(7)
    plan = [(rng.choice(["allocate", "reclaim"]), rng.choice(children), rng.randint(1, 40_00)) for _ in range(50)]

    async def run(i: int, op: str, child: Party, amount: int) -> int:
        """Returns the change to the child's balance (0 if refused)."""
        await asyncio.sleep(0)
        try:
            async with atomic():
                if op == "allocate":
                    await ledger.allocate(parent_id=parent.id, child_id=child.id, amount=amount, actor=Actor.admin(label="t"),
                                          idempotency_key=f"op-{i}")
                    return amount
                await ledger.reclaim(child_id=child.id, amount=amount, actor=Actor.admin(label="t"), idempotency_key=f"op-{i}")
                return -amount
        except InsufficientFunds:
            return 0

    deltas = await asyncio.gather(*(run(i, *step) for i, step in enumerate(plan)))
    refused = deltas.count(0)
    assert refused < len(plan)  # the run really moved money both ways
    expected = {c.id: 20_00 for c in children}
    for (_, child, _), delta in zip(plan, deltas):
        expected[child.id] += delta
    for child in children:
        assert await balance(child.id) == expected[child.id]
    assert await balance(parent.id) == 1_000_00 - sum(expected.values())
    assert await check_ledger() == []


async def test_concurrent_holds_on_one_hot_wallet_never_overdraw():
    agent = await make_party(funds=100_00)

    async def hold(i: int) -> bool:
        try:
            async with atomic():
                await ledger.hold(party_id=agent.id, amount=10_00, reference=f"o{i}", actor=Actor.admin(label="t"),
                                  idempotency_key=f"o{i}")
            return True
        except InsufficientFunds:
            return False

    results = await asyncio.gather(*(hold(i) for i in range(40)))
    assert results.count(True) == 10
    summary = await ledger.read_wallet(party_id=agent.id)
    assert (summary.available, summary.held) == (0, 100_00)
    assert await check_ledger() == []


async def test_concurrent_settlements_of_one_hold_capture_once():
    agent = await make_party(funds=50_00)
    async with atomic():
        h = await ledger.hold(party_id=agent.id, amount=50_00, reference="o", actor=Actor.admin(label="t"), idempotency_key="o")
    vendor = await system_account(AccountKind.VENDOR, "USD")

    async def capture(i: int) -> str:
        try:
            async with atomic():
                await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 50_00)], actor=Actor.admin(label=f"worker-{i}"),
                                     idempotency_key=f"k{i % 3}")
            return "ok"
        except HoldAlreadySettled:
            return "settled"

    async def release(i: int) -> str:
        try:
            async with atomic():
                await ledger.release(hold_id=h.id, actor=Actor.admin(label=f"worker-{i}"), idempotency_key=f"r{i}")
            return "released"
        except (HoldAlreadySettled, DomainError):
            return "refused"

    outcomes = await asyncio.gather(*(capture(i) for i in range(12)), *(release(i) for i in range(12)))
    await h.refresh_from_db()
    assert h.captured + h.released == 50_00
    assert (await ledger.read_wallet(party_id=agent.id)).held == 0
    assert await Operation.filter(kind="order_capture").count() <= 1
    assert "ok" in outcomes or "released" in outcomes
    assert await check_ledger() == []


async def test_concurrent_duplicates_of_one_idempotency_key_post_once():
    agent = await make_party()

    async def topup() -> bool:
        async with atomic():
            return (await ledger.topup(party_id=agent.id, amount=7_00, reference="wire-1", actor=Actor.admin(label="t"))).replayed

    replays = await asyncio.gather(*(topup() for _ in range(20)))
    assert replays.count(False) == 1
    assert await balance(agent.id) == 7_00
    assert await check_ledger() == []


async def test_100_concurrent_redemptions_of_one_single_use_invite():
    agent = await make_party()
    async with atomic():
        created = await invites.create_invite(actor=Actor.admin(label="tg:1"), inviter_party_id=agent.id)

    async def tap(user: int) -> str:
        try:
            async with atomic():
                await invites.redeem_invite(code=created.code, telegram_user_id=user, display_name=f"u{user}")
            return "joined"
        except InviteUsedUp:
            return "used_up"

    outcomes = await asyncio.gather(*(tap(10_000 + i) for i in range(100)))
    assert outcomes.count("joined") == 1 and outcomes.count("used_up") == 99
    assert await Party.filter(parent_id=agent.id).count() == 1
    assert await Member.all().count() == 1
    assert await InviteRedemption.all().count() == 1
    assert (await Invite.get(id=created.invite.id)).uses == 1
    assert await check_ledger() == []


async def test_one_user_tapping_two_invites_at_once_joins_once():
    agent = await make_party()
    async with atomic():
        links = [await invites.create_invite(actor=Actor.admin(label="tg:1"), inviter_party_id=agent.id) for _ in range(5)]

    async def tap(code: str) -> bool:
        try:
            async with atomic():
                await invites.redeem_invite(code=code, telegram_user_id=4242, display_name="same user")
            return True
        except DomainError:
            return False

    results = await asyncio.gather(*(tap(link.code) for link in links))
    assert results.count(True) == 1
    assert await Member.filter(telegram_user_id=4242).count() == 1
    assert await Party.filter(parent_id=agent.id).count() == 1
