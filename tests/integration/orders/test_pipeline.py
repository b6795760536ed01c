"""The order pipeline against the Bamboo simulator on loopback: every outcome ends in the right
status and ledger state, money splits exactly, each requestId is placed at most once."""

from __future__ import annotations

from core.access.actor import Actor
import asyncio
from decimal import Decimal

import pytest

from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Hold, Operation
from core.orders import pipeline
from core.orders import service as orders
from core.orders.models import Card, Order, OrderStatus
from tests.factories import ADMIN, member_actor
from tests.support.vendor import MAGIC_RANGE_PRODUCT, drive, magic_face, sim_stats

# network fixture: agent 5 %, sub-agent 3 %, vendor discount 10 % on the magic card.
SUB_UNIT_AT_20 = 19_40  # 20 × 0.97
VENDOR_UNIT_AT_20 = 18_00  # 20 × 0.90
COMMISSION_UNIT_AT_20 = 40  # 20 × (0.05 − 0.03)


async def create(party, face: Decimal | str, quantity: int = 1, **kwargs) -> Order:
    async with atomic():
        created = await orders.create_order(party_id=party.id, product_id=MAGIC_RANGE_PRODUCT,
                                            face_value=Decimal(face), quantity=quantity, actor=Actor.admin(label="test"), **kwargs)
    return created.order


async def balances(network) -> dict[str, int]:
    sub, agent = network["sub"], network["agent"]
    return {
        "sub_wallet": (await party_account(sub.id, AccountKind.WALLET, "USD")).balance,
        "sub_holds": (await party_account(sub.id, AccountKind.HOLDS, "USD")).balance,
        "agent_commission": (await party_account(agent.id, AccountKind.COMMISSION, "USD")).balance,
        "vendor": (await system_account(AccountKind.VENDOR, "USD")).balance,
        "revenue": (await system_account(AccountKind.REVENUE, "USD")).balance,
    }


def delta(after: dict, before: dict) -> dict:
    return {k: after[k] - before[k] for k in after}


async def test_completed_order_splits_exactly_and_the_statement_explains_each_line(network, vendor, simulator):
    sub = network["sub"]
    before = await balances(network)
    order = await create(sub, magic_face("ok"), quantity=3, reference="po-ok")
    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 3
    assert order.total == 3 * SUB_UNIT_AT_20
    # The buyer paid the total; it split into vendor cost, the parent's commission and platform margin.
    vendor_cost, commission = 3 * VENDOR_UNIT_AT_20, 3 * COMMISSION_UNIT_AT_20
    assert delta(await balances(network), before) == {
        "sub_wallet": -order.total, "sub_holds": 0, "agent_commission": commission,
        "vendor": vendor_cost, "revenue": order.total - vendor_cost - commission,
    }
    assert order.total - vendor_cost - commission == 3_00  # 2 % of 3 × 20 is the platform's

    lines = await ledger.wallet_statement(actor=ADMIN, party_id=sub.id, limit=5)
    newest = lines[0]
    assert (newest.kind, newest.amount, newest.reference) == ("order_hold", -order.total, f"order:{order.id}")
    assert newest.memo == f"order {str(order.id)[:8]}: 3 × {network['product'].name} 20 USD"
    assert newest.balance_after == lines[1].balance_after - order.total
    commission_lines = await ledger.statement(
        account_id=(await party_account(network["agent"].id, AccountKind.COMMISSION, "USD")).id)
    assert [(c.kind, c.amount, c.memo) for c in commission_lines] == [
        ("commission_accrual", commission, f"order {str(order.id)[:8]}: 3 of 3 delivered")]

    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released, hold.status) == (order.total, 0, "settled")
    stats = await sim_stats(simulator[0])
    placement = next(p for p in stats["placements"].values() if p["requestId"] == str(order.vendor_request_id))
    assert placement["calls"] == 1 and placement["created"]
    assert await check_ledger() == []


async def test_failed_order_releases_the_whole_hold(network, vendor):
    sub = network["sub"]
    before = await balances(network)
    order = await create(sub, magic_face("failed"), quantity=2)
    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.cards_delivered == 0
    assert order.failure_code == "vendor.failed"
    assert delta(await balances(network), before) == dict.fromkeys(before, 0)
    assert await Card.filter(order_id=order.id).count() == 0
    release = (await ledger.wallet_statement(actor=ADMIN, party_id=sub.id, limit=1))[0]
    assert (release.kind, release.amount) == ("order_release", order.total)
    assert release.memo.endswith("not delivered, refunded")
    assert await check_ledger() == []


async def test_partial_order_captures_the_delivered_share_and_releases_the_rest(network, vendor):
    sub = network["sub"]
    before = await balances(network)
    order = await create(sub, magic_face("partial"), quantity=4)
    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_COMPLETED and order.cards_delivered == 2
    assert await Card.filter(order_id=order.id).count() == 2
    unit = order.unit_price
    vendor_unit = order.quote["vendor_unit_cost"]
    assert delta(await balances(network), before) == {
        "sub_wallet": -2 * unit, "sub_holds": 0, "agent_commission": 2 * order.quote["commission_unit"],
        "vendor": 2 * vendor_unit, "revenue": 2 * (unit - vendor_unit - order.quote["commission_unit"]),
    }
    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released) == (2 * unit, 2 * unit)
    release = (await ledger.wallet_statement(actor=ADMIN, party_id=sub.id, limit=1))[0]
    assert release.memo.endswith("2 of 4 not delivered, refunded") and release.amount == 2 * unit
    assert await check_ledger() == []


async def test_slow_order_is_polled_until_it_completes(network, vendor):
    order = await create(network["sub"], magic_face("slow"))
    actions = await drive(order.id, vendor)
    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert actions.count("poll") >= 2 and order.polls >= 2  # it was Pending at Bamboo for a while
    assert await check_ledger() == []


async def test_vendor_500_without_a_record_is_retried_then_fails_and_refunds(network, vendor, simulator):
    sub = network["sub"]
    before = await balances(network)
    order = await create(sub, magic_face("error500"))
    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.failure_code == "vendor.unavailable"
    assert order.attempts == pipeline.MAX_PLACE_ATTEMPTS
    assert delta(await balances(network), before) == dict.fromkeys(before, 0)
    stats = await sim_stats(simulator[0])
    placement = next(p for p in stats["placements"].values() if p["requestId"] == str(order.vendor_request_id))
    # Each re-send happened only after a poll proved Bamboo had no such order.
    assert placement["calls"] == pipeline.MAX_PLACE_ATTEMPTS and not placement["created"]
    assert stats["duplicate_place_request_ids"] == []
    assert await check_ledger() == []


async def test_place_timeout_polls_instead_of_placing_again(network, vendor, simulator):
    order = await create(network["sub"], magic_face("timeout"), quantity=2)
    actions = await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 2
    assert actions[0] == "poll" and "VendorOutcomeUnknown" in (order.last_error or "")
    stats = await sim_stats(simulator[0])
    placement = next(p for p in stats["placements"].values() if p["requestId"] == str(order.vendor_request_id))
    assert placement["calls"] == 1  # never re-sent blindly
    assert await check_ledger() == []


async def test_two_workers_running_the_same_order_place_once_and_settle_once(network, vendor, simulator):
    order = await create(network["sub"], magic_face("ok"), quantity=2)
    await asyncio.gather(drive(order.id, vendor), drive(order.id, vendor), drive(order.id, vendor))

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert await Card.filter(order_id=order.id).count() == 2
    assert await Operation.filter(kind="order_capture", reference=f"hold:{order.hold_id}").count() == 1
    stats = await sim_stats(simulator[0])
    assert stats["duplicate_place_request_ids"] == []
    # A late duplicate job finds the order terminal and does nothing.
    assert (await pipeline.place(order_id=order.id, vendor=vendor)).action == "done"
    assert (await pipeline.poll(order_id=order.id, vendor=vendor)).action == "done"
    assert await check_ledger() == []


async def test_concurrent_settlements_of_one_vendor_result_settle_once(network, vendor):
    order = await create(network["sub"], magic_face("ok"), quantity=3)
    step = await pipeline.place(order_id=order.id, vendor=vendor)
    assert step.action == "poll"
    for _ in range(50):
        vendor_order = await vendor.get_order(order.vendor_request_id)
        if vendor_order.is_terminal:
            break
        await asyncio.sleep(0.05)
    results = await asyncio.gather(*(pipeline.settle(order_id=order.id, vendor_order=vendor_order)
                                     for _ in range(8)))
    assert all(r.action == "done" for r in results)
    assert await Card.filter(order_id=order.id).count() == 3
    assert await Operation.filter(kind="order_capture", reference=f"hold:{order.hold_id}").count() == 1
    assert await check_ledger() == []


async def test_a_card_sold_below_cost_by_admin_choice_is_paid_by_the_platform(network, vendor):
    from core.catalog.models import Product
    from core.pricing import service as pricing

    agent = network["agent"]
    await Product.filter(id=MAGIC_RANGE_PRODUCT).update(allow_loss=True)
    async with atomic():
        await pricing.set_discount(rate="0.1500", party_id=agent.id, actor=Actor.admin(label="test"))  # vendor gives us 10 %
    before = await balances(network)
    order = await create(agent, magic_face("ok"))
    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.total == 17_00
    after = await balances(network)
    assert after["vendor"] - before["vendor"] == VENDOR_UNIT_AT_20
    assert after["revenue"] - before["revenue"] == -1_00  # the platform paid the difference
    assert await check_ledger() == []


async def test_buyer_reveals_codes_each_reveal_is_audited_and_nobody_else_can(network, vendor):
    from core.audit.models import AuditEntry
    from core.orders.errors import OrderNotCompleted, OrderNotFound

    sub, agent = network["sub"], network["agent"]
    buyer = await member_actor(sub, telegram_user_id=1)
    order = await create(sub, magic_face("ok"), quantity=2)
    async with atomic():
        with pytest.raises(OrderNotCompleted):
            await orders.reveal_cards(order_id=order.id, actor=buyer)
    await drive(order.id, vendor)

    issued = {c.card_code.get_secret_value() for c in (await vendor.get_order(order.vendor_request_id)).cards()}
    async with atomic():
        revealed = await orders.reveal_cards(order_id=order.id, actor=buyer)
    assert {c.code for c in revealed} == issued and len(issued) == 2
    assert all(c.code[-4:] in repr(c) and c.code not in repr(c) for c in revealed)
    masked = await orders.masked_cards(order=await Order.get(id=order.id))
    assert {m.masked_code for m in masked} == {f"****{code[-4:]}" for code in issued}
    vendor_cards = list((await vendor.get_order(order.vendor_request_id)).cards())
    assert sorted(m.serial_number for m in masked) == sorted(c.serial_number for c in vendor_cards)
    assert sorted(m.expires_at for m in masked) == sorted(c.expiration_date for c in vendor_cards)
    assert sorted(c.pin for c in revealed) == sorted(c.pin.get_secret_value() for c in vendor_cards)
    stored = await Card.filter(order_id=order.id)
    assert all(c.pin_encrypted and c.pin_encrypted not in {v.pin.get_secret_value() for v in vendor_cards}
               for c in stored)

    async with atomic():
        with pytest.raises(OrderNotFound):  # the parent does not see its child's codes
            await orders.reveal_cards(order_id=order.id, actor=await member_actor(agent, telegram_user_id=2))
    reveals = await AuditEntry.filter(action="card.reveal", object_id=str(order.id))
    assert [r.actor for r in reveals] == ["tg:1"]


async def test_no_card_code_is_stored_or_logged_in_the_clear(network, vendor, caplog):
    import logging

    from structlog.testing import capture_logs

    order = await create(network["sub"], magic_face("ok"), quantity=2)
    caplog.set_level(logging.DEBUG)
    with capture_logs() as events:  # raw events, before any redaction: nothing may even try to log a code
        await drive(order.id, vendor)
        async with atomic():
            await orders.reveal_cards(order_id=order.id, actor=ADMIN)
    cards = list((await vendor.get_order(order.vendor_request_id)).cards())
    # PINs go through the same encrypt() as codes; the simulator's are 3 digits, too short to search for.
    secrets = [c.card_code.get_secret_value() for c in cards] + [c.serial_number for c in cards if c.serial_number]
    assert len(secrets) == 4 and all(len(s) >= 8 for s in secrets)  # two codes, two serials

    dump = await _dump_database()
    assert str(order.id) in dump  # the dump is real and holds this order
    for secret in secrets:
        assert secret not in dump
    logged = repr(events) + "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert any(e.get("event") == "order_settled" for e in events)  # the capture saw the pipeline log
    for secret in secrets:
        assert secret not in logged


async def _dump_database() -> str:
    import os

    from core.config import get_settings

    proc = await asyncio.create_subprocess_exec(
        "pg_dump", "--data-only", get_settings().database_url.replace("postgres://", "postgresql://", 1),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ},
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()
