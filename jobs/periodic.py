"""Periodic jobs: invariant checks, vendor balance, rates and catalog sync, payouts, re-engagement."""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime

from arq import cron

from core.access.actor import Actor
from core.config import get_settings
from core.db import run_atomic
from core.ledger.commission import pay_out_all, previous_month
from core.ledger.invariants import run_check
from core.logging import get_logger
from core.notifications import service as notifications
from core.notifications.alerts import alert_admins_once
from core.parties.engagement import quiet_parties, record_nudge
from jobs.notifications import enqueue_deliveries

log = get_logger("jobs.periodic")
CRON = Actor.system("cron")


async def _alert_admins(ctx, *, key: str, message_key: str, params: dict, buttons: list | None = None) -> bool:
    """Admins hear about a problem once per alert TTL; the mark commits with the messages."""
    rows = await run_atomic(functools.partial(alert_admins_once, key=key, message_key=message_key, params=params,
                                              buttons=buttons))
    await enqueue_deliveries(ctx["redis"], rows)
    return bool(rows)


# Incremental runs take about a second at 10 million transfers (bench/invariants_scale.py); only the
# first run on a ledger without a checkpoint sweeps everything (~6 min at 10 million).
CHECK_INVARIANTS_TIMEOUT = 1800  # seconds


async def check_invariants(ctx) -> int:
    """Incremental: only what changed since the last clean run (`steller check` sweeps it all)."""
    report = await run_check(actor=CRON)
    if report.skipped:
        log.info("ledger_check_skipped", reason="another check is running")
    violations = report.violations
    if violations:
        log.error("ledger_invariants_violated", count=len(violations), first=str(violations[0]))
        fingerprint = hashlib.sha256("\n".join(sorted(map(str, violations))).encode()).hexdigest()[:16]
        await _alert_admins(ctx, key=f"invariants:{fingerprint}", message_key="admin.invariant_violations",
                            params={"count": len(violations), "first": str(violations[0])[:300]},
                            buttons=[{"text_key": "button.open_audit", "data": "adm:audit"}])
    return len(violations)


async def check_vendor_balance(ctx) -> list[str]:
    from bot.flows.admin_insight.vendor import store_balance

    threshold = get_settings().vendor_low_balance
    accounts = await ctx["vendor"].get_accounts()
    # The reading /vendor shows at once, without asking Bamboo again.
    await store_balance(ctx["redis"], error=None, accounts=[
        {"id": a.id, "currency": a.currency, "balance": str(a.balance), "active": a.is_active} for a in accounts])
    low = [account for account in accounts if account.is_active and account.balance < threshold]
    described = [f"{account.currency} {account.balance}" for account in low]
    if low:
        # Keyed by which accounts are low, not by their balances: a balance that keeps falling is
        # the same problem, not a new alert every run.
        await _alert_admins(ctx, key="vendor_balance:" + ",".join(sorted({a.currency for a in low})),
                            message_key="admin.vendor_balance_low", params={"accounts": ", ".join(described)},
                            buttons=[{"text_key": "button.open_vendor", "data": "adm:vendor"}])
    return described


async def sync_rates(ctx) -> int:
    from core.catalog.rates import sync_exchange_rates

    return (await sync_exchange_rates(ctx["vendor"])).rates


async def sync_catalog(ctx) -> None:
    from core.catalog.sync import sync_catalog as run_sync

    # Incremental every hour; the nightly run at 03:00 is full (it is what notices vanished cards).
    full = datetime.now(UTC).hour == 3
    await run_sync(ctx["vendor"], full=full)


async def monthly_payout(ctx) -> int:
    """Last month's commission for every parent not paid for it yet. Runs daily: the first run of a
    month pays, later runs find nothing new, and a day the worker missed is caught up the next day."""
    run = await pay_out_all(period=previous_month(datetime.now(UTC).date()), actor=CRON)
    await enqueue_deliveries(ctx["redis"], run.notifications)
    return run.paid


async def reengage(ctx) -> int:
    days = get_settings().reengage_after_days
    nudged = 0
    for party_id in await quiet_parties(inactive_days=days):
        rows = await run_atomic(functools.partial(_nudge, party_id=party_id, days=days))
        await enqueue_deliveries(ctx["redis"], rows)
        nudged += 1
    return nudged


async def _nudge(*, party_id: int, days: int) -> list:
    rows = await notifications.notify_party_members(party_id=party_id, message_key="engagement.nudge",
                                                    params={"days": days})
    await record_nudge(party_id=party_id)
    return rows


async def purge_idempotency_keys(ctx) -> int:
    """Idempotency keys live 24 h; a new claim also clears a few, this keeps the table small."""
    from core.idempotency.service import purge_expired

    return await purge_expired()


async def purge_request_log(ctx) -> int:
    """The API request log keeps REQUEST_LOG_RETENTION_DAYS (30) days; older rows go, in batches."""
    from core.analytics.service import purge_request_log as purge

    return await purge()


CRON_JOBS = [
    # Its own timeout: the first run on a large ledger (no checkpoint yet) is a full sweep.
    cron(check_invariants, minute={0, 10, 20, 30, 40, 50}, unique=True, timeout=CHECK_INVARIANTS_TIMEOUT),
    cron(check_vendor_balance, minute={5, 20, 35, 50}, unique=True),
    cron(sync_rates, minute={2}, run_at_startup=True, unique=True),
    cron(sync_catalog, minute={7}, unique=True),
    cron(monthly_payout, hour={0}, minute={15}, unique=True),  # daily: catches up a missed 1st
    cron(reengage, hour={10}, minute={0}, unique=True),
    cron(purge_idempotency_keys, minute={25}, unique=True),
    cron(purge_request_log, hour={4}, minute={40}, unique=True),
]
FUNCTIONS = [check_invariants, check_vendor_balance, sync_rates, sync_catalog, monthly_payout, reengage,
             purge_idempotency_keys, purge_request_log]
