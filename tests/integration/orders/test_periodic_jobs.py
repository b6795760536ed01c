"""The worker's crons: invariant alarm, vendor balance alarm, rates, monthly payout, re-engagement.
Each is safe to run twice and alerts admins at most once per problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.connection import get_connection

from core.access.actor import Actor
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
        await parties.grant_admin(telegram_user_id=ADMIN, actor=Actor.admin(label="test"))
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
        await parties.grant_admin(telegram_user_id=ADMIN, actor=Actor.admin(label="test"))
    ctx["vendor"] = vendor
    settings = get_settings()
    monkeypatch.setattr(settings, "vendor_low_balance", Decimal(0))
    assert await periodic.check_vendor_balance(ctx) == []
    monkeypatch.setattr(settings, "vendor_low_balance", Decimal(1000000000))
    low = await periodic.check_vendor_balance(ctx)
    assert low and all(" " in entry for entry in low)  # "USD 12345.00"
    await periodic.check_vendor_balance(ctx)
    assert len(await admin_alerts("admin.vendor_balance_low")) == 1
    from bot.flows.admin_insight.vendor import read_balance

    reading = await read_balance(ctx["redis"])  # what /vendor shows without asking Bamboo again
    assert reading["error"] is None and {a["currency"] for a in reading["accounts"]} >= {"USD"}


async def test_rates_sync_job_stores_the_vendors_rates(ctx, vendor):
    ctx["vendor"] = vendor
    assert await periodic.sync_rates(ctx) > 0
    assert await ExchangeRate.filter(base="USD").count() > 0


async def _accrue_commission(agent, sub, amount: int, key: str) -> None:
    from core.ledger.accounts import system_account

    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=50_00, actor=Actor.admin(label="test"),
                              idempotency_key=key)
        held = await ledger.hold(party_id=sub.id, amount=10_00, reference=f"order:{key}",
                                 actor=Actor.admin(label="test"), idempotency_key=key)
        commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
        vendor = await system_account(AccountKind.VENDOR, "USD")
        await ledger.capture(hold_id=held.id, actor=Actor.admin(label="test"), idempotency_key=key,
                             splits=[Split(vendor.id, 10_00 - amount),
                                     Split(commission.id, amount, TransferKind.COMMISSION_ACCRUAL)])


@pytest.fixture
def clock(monkeypatch):
    from core.ledger import commission as commission_module
    from tests.support.ledger_clock import install_ledger_clock

    return install_ledger_clock(monkeypatch, commission_module, periodic)


async def test_monthly_payout_pays_each_parent_once_per_month_and_enqueues_the_news(ctx, clock):
    from jobs.notifications import delivery_job_id

    agent = await make_party(funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await parties.bind_member(party_id=agent.id, telegram_user_id=555_101, role=MemberRole.OWNER,
                                  actor=Actor.admin(label="test"))
    clock.set(2026, 10, 15)
    await _accrue_commission(agent, sub, 30, "x")
    before = (await ledger.read_wallet(party_id=agent.id)).available

    clock.set(2026, 11, 1, 0, 15)
    assert await periodic.monthly_payout(ctx) == 1
    assert await periodic.monthly_payout(ctx) == 0  # the period is part of the key
    summary = await ledger.read_wallet(party_id=agent.id)
    assert (summary.available - before, summary.commission) == (30, 0)
    [told] = await Notification.filter(telegram_user_id=555_101, event_type="wallet.credited.commission")
    assert await ctx["redis"].exists(f"arq:job:{delivery_job_id(told.id, told.attempts)}")
    assert await check_ledger() == []


async def test_monthly_payout_runs_daily_so_a_missed_first_of_the_month_is_caught_up(ctx, clock):
    [job] = [job for job in periodic.CRON_JOBS if job.coroutine is periodic.monthly_payout]
    assert job.day is None and job.hour == {0}  # every day, not only on the 1st

    agent = await make_party(funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    clock.set(2026, 9, 20)
    await _accrue_commission(agent, sub, 12, "sep")  # September's payout (on 1 October) never ran
    clock.set(2026, 10, 20)
    await _accrue_commission(agent, sub, 30, "oct")
    clock.set(2026, 11, 3, 0, 15)  # the worker was down on the 1st and the 2nd
    assert await periodic.monthly_payout(ctx) == 1
    assert (await ledger.read_wallet(party_id=agent.id)).commission == 0
    clock.set(2026, 11, 4, 0, 15)
    assert await periodic.monthly_payout(ctx) == 0


async def test_an_alert_whose_messages_were_not_written_is_sent_by_the_next_run(ctx, monkeypatch):
    from core.notifications import service as notifications

    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN, actor=Actor.admin(label="test"))
    agent = await make_party(funds=10_00)
    wallet = await party_account(agent.id, AccountKind.WALLET, "USD")
    await get_connection("default").execute_query("UPDATE ledger_account SET balance = balance + 1 WHERE id = $1",
                                                  [wallet.id])

    async def crash(**_):
        raise ConnectionError("the worker lost the database between the mark and the messages")

    monkeypatch.setattr(notifications, "notify_admins", crash)
    with pytest.raises(ConnectionError):
        await periodic.check_invariants(ctx)
    monkeypatch.undo()
    assert await periodic.check_invariants(ctx) >= 1
    assert len(await admin_alerts("admin.invariant_violations")) == 1


async def test_vendor_balance_alarm_is_one_problem_while_the_balance_keeps_falling(ctx):
    from types import SimpleNamespace

    from core.vendors.bamboo.models import Account

    async with atomic():
        await parties.grant_admin(telegram_user_id=ADMIN, actor=Actor.admin(label="test"))
    balances = iter([Decimal(900), Decimal(850), Decimal(800)])

    async def get_accounts():
        return [Account(id=1, currency="USD", balance=next(balances)), Account(id=2, currency="EUR", balance=5000)]

    ctx["vendor"] = SimpleNamespace(get_accounts=get_accounts)
    assert await periodic.check_vendor_balance(ctx) == ["USD 900"]
    assert await periodic.check_vendor_balance(ctx) == ["USD 850"]
    assert await periodic.check_vendor_balance(ctx) == ["USD 800"]
    [alert] = await admin_alerts("admin.vendor_balance_low")
    assert alert.payload["params"] == {"accounts": "USD 900"}


async def test_reengagement_nudges_quiet_parties_once(ctx, network):
    quiet = await make_party(name="Quiet")
    busy = network["sub"]
    async with atomic():
        await parties.bind_member(party_id=quiet.id, telegram_user_id=555_001, role=MemberRole.OWNER, actor=Actor.admin(label="test"))
        await parties.bind_member(party_id=busy.id, telegram_user_id=555_002, role=MemberRole.OWNER, actor=Actor.admin(label="test"))
    long_ago = datetime.now(UTC) - timedelta(days=get_settings().reengage_after_days + 5)
    await Party.all().update(created_at=long_ago)
    async with atomic():  # the busy one ordered recently
        await orders.create_order(party_id=busy.id, product_id=MAGIC_RANGE_PRODUCT, face_value=Decimal(10),
                                  quantity=1, actor=Actor.admin(label="test"))

    nudged = await periodic.reengage(ctx)
    assert nudged >= 1
    rows = await Notification.filter(telegram_user_id__in=[555_001, 555_002])
    assert [r.telegram_user_id for r in rows] == [555_001]
    assert await periodic.reengage(ctx) == 0  # once per quiet spell
    assert await Notification.filter(telegram_user_id=555_001).count() == 1
