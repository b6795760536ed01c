"""Growth metrics for admins: signups, activations, orders, GMV, revenue and margin over a period.

Every figure counts live business only (orders made with a sandbox key are left out) and is read
from the source of truth for it:

- **signups**: parties created in the period (agents, sub-agents, partners; pending applications
  included), by kind.
- **activations**: parties whose *first* live order that delivered at least one card settled in the
  period (a party that ordered before the period is not activated again).
- **orders** / **cards**: live orders settled in the period with at least one card delivered, and
  the cards they delivered (`completed_at` is when the order settled).
- **GMV**: what buyers paid for those delivered cards (`unit_price × cards_delivered`), per wallet
  currency — the same amounts the orders' captures took from the holds.
- **revenue**: the platform's margin captured — the net movement of the ledger's revenue accounts
  booked by the settlement of the live orders settled in the period (a capture credits revenue with
  the platform's share; the platform paying a vendor's overcharge, or a charge for an order that
  delivered nothing, debits it), per currency. Commission earned by parents is not revenue.
- **margin**: revenue ÷ GMV of the same currency, as a fraction (None without GMV).

Periods are core.reports' (`today`, `7d`, `30d`, `month`: whole UTC days up to today). Money is in
minor units of its currency; figures in different currencies are never added together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.reports.service import Period, period_bounds

MARGIN_PLACES = Decimal("0.0001")

_SIGNUPS = """
SELECT p.kind, COUNT(*) AS n FROM party p WHERE p.created_at >= $1 AND p.created_at < $2 GROUP BY p.kind
"""

_ACTIVATIONS = """
SELECT COUNT(*) AS n FROM (
    SELECT o.party_id, MIN(o.completed_at) AS first_sale
      FROM "order" o
     WHERE o.livemode AND o.cards_delivered > 0 AND o.completed_at IS NOT NULL AND o.completed_at < $2
     GROUP BY o.party_id
) firsts WHERE firsts.first_sale >= $1
"""

_SALES = """
SELECT o.currency, COUNT(*) AS orders, COALESCE(SUM(o.cards_delivered), 0) AS cards,
       COALESCE(SUM(o.unit_price * o.cards_delivered), 0) AS gmv
  FROM "order" o
 WHERE o.livemode AND o.cards_delivered > 0 AND o.completed_at >= $1 AND o.completed_at < $2
 GROUP BY o.currency
"""

_DAILY = """
SELECT (o.completed_at AT TIME ZONE 'UTC')::date AS day, o.currency, SUM(o.unit_price * o.cards_delivered) AS gmv
  FROM "order" o
 WHERE o.livemode AND o.cards_delivered > 0 AND o.completed_at >= $1 AND o.completed_at < $2
 GROUP BY 1, 2
"""

# The revenue accounts' movements booked by the settlement of live orders settled in the period: a
# capture credits revenue with the platform's share; the platform paying a vendor's overcharge or a
# below-cost sale debits it. An order's settlement operations name its hold ("hold:<id>").
_REVENUE = """
SELECT t.currency,
       COALESCE(SUM(CASE WHEN t.credit_account_id = a.id THEN t.amount ELSE -t.amount END), 0) AS revenue
  FROM "order" o
  JOIN ledger_operation op ON op.reference = 'hold:' || o.hold_id
  JOIN ledger_transfer t ON t.operation_id = op.id
  JOIN ledger_account a ON a.kind = 'revenue' AND a.livemode AND (a.id = t.credit_account_id OR a.id = t.debit_account_id)
 WHERE o.livemode AND o.hold_id IS NOT NULL AND o.completed_at >= $1 AND o.completed_at < $2
 GROUP BY t.currency
"""


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    orders: int = 0
    cards: int = 0
    gmv: int = 0  # minor units
    revenue: int = 0  # minor units; negative when the platform paid more than it earned

    @property
    def margin(self) -> Decimal | None:
        """Revenue as a fraction of GMV (0.0312 = 3.12 %), rounded half-up to 4 places."""
        if self.gmv <= 0:
            return None
        return (Decimal(self.revenue) / Decimal(self.gmv)).quantize(MARGIN_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Metrics:
    period: Period
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive
    signups: dict[str, int]  # by party kind
    activations: int
    by_currency: list[CurrencyFigures]  # the busiest currency (by GMV) first
    daily: dict[str, list[tuple[date, int]]] = field(default_factory=dict)  # GMV per day, every day, per currency

    @property
    def total_signups(self) -> int:
        return sum(self.signups.values())

    @property
    def orders(self) -> int:
        return sum(f.orders for f in self.by_currency)

    @property
    def cards(self) -> int:
        return sum(f.cards for f in self.by_currency)

    @property
    def main_currency(self) -> str | None:
        return self.by_currency[0].currency if self.by_currency else None


async def growth_metrics(*, actor: Actor, period: Period, now: datetime | None = None) -> Metrics:
    """The platform's figures for `period` (admins only)."""
    require_admin(actor)
    period = Period(period)
    start, end = period_bounds(period, now=now)
    conn = get_connection("default")
    signups = {r["kind"]: int(r["n"]) for r in await conn.execute_query_dict(_SIGNUPS, [start, end])}
    activations = int((await conn.execute_query_dict(_ACTIVATIONS, [start, end]))[0]["n"])
    figures: dict[str, dict] = {}
    for row in await conn.execute_query_dict(_SALES, [start, end]):
        figures.setdefault(row["currency"], {}).update(
            orders=int(row["orders"]), cards=int(row["cards"]), gmv=int(row["gmv"]))
    for row in await conn.execute_query_dict(_REVENUE, [start, end]):
        if int(row["revenue"]) or row["currency"] in figures:
            figures.setdefault(row["currency"], {})["revenue"] = int(row["revenue"])
    by_currency = sorted((CurrencyFigures(currency=c, **f) for c, f in figures.items()),
                         key=lambda f: (-f.gmv, -abs(f.revenue), f.currency))
    days = [start.date() + timedelta(days=i) for i in range((end.date() - start.date()).days)]
    per_day: dict[str, dict[date, int]] = {}
    for row in await conn.execute_query_dict(_DAILY, [start, end]):
        per_day.setdefault(row["currency"], {})[row["day"]] = int(row["gmv"])
    daily = {c: [(d, per_day.get(c, {}).get(d, 0)) for d in days] for c in figures}
    return Metrics(period=period, start=start, end=end, signups=signups, activations=activations,
                   by_currency=by_currency, daily=daily)
