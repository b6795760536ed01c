"""The worker's crons: invariant alarm, vendor balance alarm, rates, monthly payout, re-engagement.
Each is safe to run twice and alerts admins at most once per problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.connection import get_connection

from core.catalog.models import ExchangeRate
from core.config import get_settings
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, TransferKind
from core.ledger.service import Split
from core.notifications.models import Notification
from core.orders import service as orders
from core.parties import service as parties
from core.parties.models import MemberRole, Party, PartyKind
from jobs import periodic
from tests.factories import make_party
from tests.support.vendor import MAGIC_RANGE_PRODUCT

ADMIN = 777_001


@pytest.fixture
async def ctx(db, redis):
    return {"redis": redis}


async def admin_alerts(message_key: str) -> list[Notification]:
    return [n for n in await Notification.filter(telegram_user_id=ADMIN)
            if message_key in str(n.payload) or n.event_type == message_key]


async def test_invariant_check_is_quiet_on_a_sound_ledger_and_alerts_admins_once_on_a_broken_one(ctx):
    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN, actor="test")
    agent = await make_party(funds=10_00)
    assert await periodic.check_invariants(ctx) == 0
    assert await admin_alerts("admin.invariant_violations") == []

    wallet = await party_account(agent.id, AccountKind.WALLET, "USD")
    # Tamper with the cached balance behind the ledger's back.
    await get_connection("default").execute_query("UPDATE ledger_account SET balance = balance + 1 WHERE id = $1",
                                                  [wallet.id])
    assert await periodic.check_invariants(ctx) >= 1
    assert await periodic.check_invariants(ctx) >= 1  # still broken: no second alert for the same problem
    alerts = await admin_alerts("admin.invariant_violations")
    assert len(alerts) == 1


async def test_vendor_balance_alarm_fires_below_the_threshold_only(ctx, vendor, monkeypatch):
    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN, actor="test")
    ctx["vendor"] = vendor
    settings = get_settings()
    monkeypatch.setattr(settings, "vendor_low_balance", Decimal("0"))
    assert await periodic.check_vendor_balance(ctx) == []
    monkeypatch.setattr(settings, "vendor_low_balance", Decimal("1000000000"))
    low = await periodic.check_vendor_balance(ctx)
    assert low and all(" " in entry for entry in low)  # "USD 12345.00"
    await periodic.check_vendor_balance(ctx)
    assert len(await admin_alerts("admin.vendor_balance_low")) == 1


async def test_rates_sync_job_stores_the_vendors_rates(ctx, vendor):
    ctx["vendor"] = vendor
    assert await periodic.sync_rates(ctx) > 0
    assert await ExchangeRate.filter(base="USD").count() > 0


async def test_monthly_payout_pays_each_parent_once_per_month(ctx):
    agent = await make_party(funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=50_00, actor="test", idempotency_key="a")
        held = await ledger.hold(party_id=sub.id, amount=10_00, reference="order:x", actor="test",
                                 idempotency_key="x")
        commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
        from core.ledger.accounts import system_account

        vendor = await system_account(AccountKind.VENDOR, "USD")
        await ledger.capture(hold_id=held.id, actor="test", idempotency_key="x",
                             splits=[Split(vendor.id, 9_70), Split(commission.id, 30, TransferKind.COMMISSION_ACCRUAL)])
    before = (await ledger.wallet_summary(party_id=agent.id)).available

    assert await periodic.monthly_payout(ctx) == 1
    assert await periodic.monthly_payout(ctx) == 0  # the period is part of the key
    summary = await ledger.wallet_summary(party_id=agent.id)
    assert (summary.available - before, summary.commission) == (30, 0)
    assert await check_ledger() == []


async def test_reengagement_nudges_quiet_parties_once(ctx, network):
    quiet = await make_party(name="Quiet")
    busy = network["sub"]
    async with atomic():
        await parties.bind_member(party_id=quiet.id, telegram_user_id=555_001, role=MemberRole.OWNER, actor="test")
        await parties.bind_member(party_id=busy.id, telegram_user_id=555_002, role=MemberRole.OWNER, actor="test")
    long_ago = datetime.now(UTC) - timedelta(days=get_settings().reengage_after_days + 5)
    await Party.all().update(created_at=long_ago)
    async with atomic():  # the busy one ordered recently
        await orders.create_order(party_id=busy.id, product_id=MAGIC_RANGE_PRODUCT, face_value=Decimal("10"),
                                  quantity=1, actor="test")

    nudged = await periodic.reengage(ctx)
    assert nudged >= 1
    rows = await Notification.filter(telegram_user_id__in=[555_001, 555_002])
    assert [r.telegram_user_id for r in rows] == [555_001]
    assert await periodic.reengage(ctx) == 0  # once per quiet spell
    assert await Notification.filter(telegram_user_id=555_001).count() == 1
