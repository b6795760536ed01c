"""Crons that watch orders at the vendor: overdue orders for the admins, and Bamboo's charges
against what we booked (core.orders.attention, core.orders.vendor_charges)."""

from __future__ import annotations

from datetime import timedelta

from arq import cron

from core.config import get_settings
from core.db import atomic
from core.logging import get_logger
from core.orders import attention, vendor_charges
from core.vendors.bamboo import VendorError, VendorRateLimited
from jobs.notifications import enqueue_deliveries

log = get_logger("jobs.vendor_checks")


async def flag_overdue_orders(ctx) -> int:
    """Orders open longer than ORDER_ATTENTION_AFTER_HOURS: flagged once, admins alerted once."""
    hours = get_settings().order_attention_after_hours
    async with atomic():
        flagged, rows = await attention.flag_overdue_orders(older_than=timedelta(hours=hours))
    await enqueue_deliveries(ctx["redis"], rows)
    return flagged


async def reconcile_vendor_charges(ctx) -> int:
    """Bamboo's transactions report (4 calls an hour allowed: this runs hourly) against our vendor
    bookings; admins hear about drift once. Returns the number of drifting charges, -1 if skipped."""
    window = timedelta(hours=get_settings().vendor_reconcile_window_hours)
    try:
        result = await vendor_charges.reconcile(vendor=ctx["vendor"], window=window)
    except VendorRateLimited as exc:
        log.warning("vendor_reconcile_skipped", reason="rate limited", wait=exc.wait_seconds)
        return -1
    except VendorError as exc:
        log.warning("vendor_reconcile_skipped", reason=type(exc).__name__)
        return -1
    if result.drifts:
        log.error("vendor_charges_drift", count=len(result.drifts),
                  totals={currency: str(total) for currency, total in result.totals().items()})
        async with atomic():
            rows = await vendor_charges.alert_drift(result)
        await enqueue_deliveries(ctx["redis"], rows)
    return len(result.drifts)


CRON_JOBS = [
    cron(flag_overdue_orders, minute={4, 14, 24, 34, 44, 54}, unique=True),
    cron(reconcile_vendor_charges, minute={40}, unique=True, timeout=300),
]
FUNCTIONS = [flag_overdue_orders, reconcile_vendor_charges]
