"""Reconciling what we booked as vendor cost with what Bamboo's transactions report says it kept.

One call to Bamboo's transactions report (4 an hour allowed) covers a window of hours. For every
settled order created inside the window, Bamboo's net charge (its `Order` entries minus its
`Refund` entries for that requestId) must equal:
- in the order's own currency: the net of the order's transfers on our `vendor` account;
- in another currency: the charge recorded on the order (`vendor_charged`), since the ledger holds
  its conversion at the rate of the day (`vendor_charge_rate`), which the report cannot check.
Charges for a requestId no order of ours has are drift too. Orders still open, created before the
window (their first entries may lie outside it), or settled within `margin` (a refund may not be
posted yet) are left for a later run.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise.connection import get_connection

from core.logging import get_logger
from core.money import from_minor, round_to_minor
from core.orders.models import TERMINAL_STATUSES, Order

log = get_logger("orders.vendor_charges")

SETTLE_MARGIN = timedelta(minutes=10)

_BOOKED_SQL = """
SELECT o.reference, SUM(CASE WHEN a.id = t.credit_account_id THEN t.amount ELSE -t.amount END) AS booked
  FROM ledger_operation o
  JOIN ledger_transfer t ON t.operation_id = o.id
  JOIN ledger_account a ON a.kind = 'vendor' AND a.livemode AND a.id IN (t.credit_account_id, t.debit_account_id)
 WHERE o.reference = ANY($1::text[])
 GROUP BY o.reference
"""


@dataclass(frozen=True)
class ChargeDrift:
    request_id: str
    order_id: str | None  # None: Bamboo charged for a requestId we do not know
    currency: str  # Bamboo's account currency
    at_vendor: Decimal  # Bamboo's net charge
    ours: Decimal  # what we booked (same currency) or recorded as charged

    @property
    def difference(self) -> Decimal:
        return self.at_vendor - self.ours


@dataclass
class ChargeReconciliation:
    start: datetime
    end: datetime
    orders_checked: int = 0
    drifts: list[ChargeDrift] = field(default_factory=list)

    def totals(self) -> dict[str, Decimal]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for d in self.drifts:
            sums[d.currency] += d.difference
        return dict(sums)


def _net_by_request(report) -> dict[str, tuple[str, Decimal]]:
    net: dict[str, tuple[str, Decimal]] = {}
    for t in report.transactions():
        request_id = (t.request_id or "").strip().lower()
        money = t.transaction_amount or t.order_total
        if not request_id or money is None:
            continue
        kind = (t.transaction_type or "").strip().lower()
        if kind == "order":
            sign = 1
        elif "refund" in kind:
            sign = -1
        else:
            log.warning("vendor_transaction_kind_unknown", kind=t.transaction_type)
            continue
        currency = (money.currency_code or t.currency_code or "").upper()
        known_currency, amount = net.get(request_id, (currency, Decimal(0)))
        net[request_id] = (known_currency or currency, amount + sign * money.value)
    return net


async def reconcile(*, vendor, window: timedelta, now: datetime | None = None,
                    margin: timedelta = SETTLE_MARGIN) -> ChargeReconciliation:
    end = now or datetime.now(UTC)
    result = ChargeReconciliation(start=end - window, end=end)
    net = _net_by_request(await vendor.get_transactions(result.start, end))
    in_window = await Order.filter(created_at__gte=result.start, status__in=list(TERMINAL_STATUSES),
                                   completed_at__lte=end - margin)
    known = {str(o.vendor_request_id).lower() for o in await Order.filter(
        vendor_request_id__in=list(net)).only("id", "vendor_request_id")} if net else set()
    booked = await _booked(in_window)
    for order in in_window:
        request_id = str(order.vendor_request_id).lower()
        currency, at_vendor = net.get(request_id, (order.vendor_charge_currency or order.currency, Decimal(0)))
        result.orders_checked += 1
        if currency == order.currency:
            ours_minor = booked.get(f"hold:{order.hold_id}", 0)
            if round_to_minor(at_vendor, currency) != ours_minor:
                result.drifts.append(ChargeDrift(request_id, str(order.id), currency, at_vendor,
                                                 from_minor(ours_minor, currency)))
        else:
            ours = order.vendor_charged or Decimal(0)
            if order.vendor_charge_currency not in (None, currency) or ours != at_vendor:
                result.drifts.append(ChargeDrift(request_id, str(order.id), currency, at_vendor, ours))
    for request_id, (currency, at_vendor) in net.items():
        if request_id not in known and at_vendor != 0:
            result.drifts.append(ChargeDrift(request_id, None, currency, at_vendor, Decimal(0)))
    log.info("vendor_charges_reconciled", orders=result.orders_checked, drifts=len(result.drifts))
    return result


async def _booked(orders: list[Order]) -> dict[str, int]:
    references = [f"hold:{o.hold_id}" for o in orders if o.hold_id is not None]
    if not references:
        return {}
    rows = await get_connection("default").execute_query_dict(_BOOKED_SQL, [references])
    return {r["reference"]: int(r["booked"]) for r in rows}


async def alert_drift(result: ChargeReconciliation) -> list:
    """Tell the admins (once per distinct set of drifts). Runs in the caller's transaction."""
    from core.notifications.alerts import alert_admins_once

    if not result.drifts:
        return []
    fingerprint = hashlib.sha256("\n".join(sorted(f"{d.request_id}:{d.difference}" for d in result.drifts))
                                 .encode()).hexdigest()[:16]
    amounts = ", ".join(f"{c} {total:+f}" for c, total in sorted(result.totals().items()))
    examples = ", ".join((d.order_id or f"unknown requestId {d.request_id}")[:36] for d in result.drifts[:5])
    return await alert_admins_once(
        key=f"vendor_drift:{fingerprint}", message_key="admin.vendor_drift",
        params={"count": len(result.drifts), "amounts": amounts, "orders": examples},
        buttons=[{"text_key": "button.open_vendor", "data": "adm:vendor"}],
    )
