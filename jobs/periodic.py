"""Periodic jobs: invariant checks, vendor balance, rates and catalog sync, payouts, re-engagement."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from arq import cron

from core.config import get_settings
from core.db import atomic
from core.ledger.commission import pay_out_all, previous_month
from core.ledger.invariants import check_ledger
from core.logging import get_logger
from core.notifications import service as notifications
from core.parties.engagement import quiet_parties, record_nudge
from jobs.notifications import enqueue_deliveries

log = get_logger("jobs.periodic")
ALERT_TTL = 6 * 3600  # the same alert at most every 6 h


async def _alert_admins_once(ctx, key: str, message_key: str, params: dict) -> bool:
    """Admins hear about a problem once per ALERT_TTL, not every time a cron notices it."""
    if not await ctx["redis"].set(f"steller:alert:{key}", "1", ex=ALERT_TTL, nx=True):
        return False
    async with atomic():
        rows = await notifications.notify_admins(message_key=message_key, params=params)
    await enqueue_deliveries(ctx["redis"], rows)
    return True


async def check_invariants(ctx) -> int:
    violations = await check_ledger()
    if violations:
        log.error("ledger_invariants_violated", count=len(violations), first=str(violations[0]))
        fingerprint = hashlib.sha256("\n".join(sorted(map(str, violations))).encode()).hexdigest()[:16]
        await _alert_admins_once(ctx, f"invariants:{fingerprint}", "admin.invariant_violations",
                                 {"count": len(violations), "first": str(violations[0])[:300]})
    return len(violations)


async def check_vendor_balance(ctx) -> list[str]:
    threshold = get_settings().vendor_low_balance
    low = []
    for account in await ctx["vendor"].get_accounts():
        if account.is_active and account.balance < threshold:
            low.append(f"{account.currency} {account.balance}")
    if low:
        await _alert_admins_once(ctx, "vendor_balance:" + ",".join(sorted(low)), "admin.vendor_balance_low",
                                 {"accounts": ", ".join(low)})
    return low


async def sync_rates(ctx) -> int:
    from core.catalog.rates import sync_exchange_rates

    return (await sync_exchange_rates(ctx["vendor"])).rates


async def sync_catalog(ctx) -> None:
    from core.catalog.sync import sync_catalog as run_sync

    # Incremental every hour; the nightly run at 03:00 is full (it is what notices vanished cards).
    full = datetime.now(UTC).hour == 3
    await run_sync(ctx["vendor"], full=full)


async def monthly_payout(ctx) -> int:
    run = await pay_out_all(period=previous_month(datetime.now(UTC).date()))
    return run.paid


async def reengage(ctx) -> int:
    days = get_settings().reengage_after_days
    nudged = 0
    for party_id in await quiet_parties(inactive_days=days):
        async with atomic():
            rows = await notifications.notify_party_members(party_id=party_id, message_key="engagement.nudge",
                                                            params={"days": days})
            await record_nudge(party_id=party_id)
        await enqueue_deliveries(ctx["redis"], rows)
        nudged += 1
    return nudged


CRON_JOBS = [
    cron(check_invariants, minute={0, 10, 20, 30, 40, 50}, unique=True),
    cron(check_vendor_balance, minute={5, 20, 35, 50}, unique=True),
    cron(sync_rates, minute={2}, run_at_startup=True, unique=True),
    cron(sync_catalog, minute={7}, unique=True),
    cron(monthly_payout, day={1}, hour={0}, minute={15}, unique=True),
    cron(reengage, hour={10}, minute={0}, unique=True),
]
FUNCTIONS = [check_invariants, check_vendor_balance, sync_rates, sync_catalog, monthly_payout, reengage]
