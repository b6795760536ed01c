"""Reports: what a party sold and earned over a period, and what each direct child sold.

Figures come from settled orders (their stored quote says the price and the parent's share per card)
so a report explains itself line by line and never shows Steller's cost or margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import Permission, authorize
from core.parties.models import Party


class Period(StrEnum):
    TODAY = "today"
    DAYS_7 = "7d"
    DAYS_30 = "30d"
    MONTH = "month"  # the calendar month so far


def period_bounds(period: Period, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC: whole days, the last one being today."""
    now = now or datetime.now(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
    today = tomorrow - timedelta(days=1)
    start = {
        Period.TODAY: today,
        Period.DAYS_7: today - timedelta(days=6),
        Period.DAYS_30: today - timedelta(days=29),
        Period.MONTH: today.replace(day=1),
    }[Period(period)]
    return start, tomorrow


@dataclass(frozen=True)
class Sales:
    orders: int  # orders with at least one card delivered
    cards: int
    gmv: int  # what buyers paid for the delivered cards, minor units of the party's currency


@dataclass(frozen=True)
class ChildSales:
    party_id: int
    name: str
    sales: Sales
    commission: int  # what the parent earned on this child's sales in the period


@dataclass(frozen=True)
class SalesReport:
    party_id: int
    currency: str
    period: Period
    start: datetime
    end: datetime
    own: Sales
    commission: int  # revenue share the party earned in the period (from all its children)
    children: list[ChildSales]
    daily: list[tuple[date, int]]  # the party's own GMV per day, every day of the period


_SALES_BY_PARTY = """
SELECT o.party_id, COUNT(*) AS orders, COALESCE(SUM(o.cards_delivered), 0) AS cards,
       COALESCE(SUM(o.unit_price * o.cards_delivered), 0) AS gmv,
       COALESCE(SUM((o.quote->>'commission_unit')::bigint * o.cards_delivered), 0) AS commission
  FROM "order" o
 WHERE o.party_id = ANY($1::bigint[]) AND o.cards_delivered > 0 AND o.livemode
   AND o.completed_at >= $2 AND o.completed_at < $3
 GROUP BY o.party_id
"""

_DAILY = """
SELECT (o.completed_at AT TIME ZONE 'UTC')::date AS day, SUM(o.unit_price * o.cards_delivered) AS gmv
  FROM "order" o
 WHERE o.party_id = $1 AND o.cards_delivered > 0 AND o.livemode AND o.completed_at >= $2 AND o.completed_at < $3
 GROUP BY 1 ORDER BY 1
"""


async def _sales_by_party(party_ids: list[int], start: datetime, end: datetime) -> dict[int, dict]:
    if not party_ids:
        return {}
    rows = await get_connection("default").execute_query_dict(_SALES_BY_PARTY, [party_ids, start, end])
    return {r["party_id"]: r for r in rows}


def _sales(row: dict | None) -> Sales:
    if row is None:
        return Sales(orders=0, cards=0, gmv=0)
    return Sales(orders=int(row["orders"]), cards=int(row["cards"]), gmv=int(row["gmv"]))


async def sales_report(*, actor: Actor, party_id: int, period: Period, now: datetime | None = None) -> SalesReport:
    """The party's own sales, the commission it earned, and each direct child's sales.

    Its members, its direct parent and admins may read it (a parent opens it from its child list).
    """
    await authorize(actor, party_id=party_id, permission=Permission.READ, parent_may=True)
    party = await Party.get(id=party_id)
    start, end = period_bounds(period, now=now)
    children = await Party.filter(parent_id=party_id).order_by("id").values("id", "name")
    by_party = await _sales_by_party([party_id, *[c["id"] for c in children]], start, end)
    child_sales = [
        ChildSales(party_id=c["id"], name=c["name"], sales=_sales(by_party.get(c["id"])),
                   commission=int(by_party[c["id"]]["commission"]) if c["id"] in by_party else 0)
        for c in children
    ]
    per_day = {r["day"]: int(r["gmv"]) for r in await get_connection("default").execute_query_dict(
        _DAILY, [party_id, start, end])}
    days = (end.date() - start.date()).days
    daily = [(start.date() + timedelta(days=i), per_day.get(start.date() + timedelta(days=i), 0))
             for i in range(days)]
    return SalesReport(
        party_id=party_id, currency=party.currency, period=Period(period), start=start, end=end,
        own=_sales(by_party.get(party_id)), commission=sum(c.commission for c in child_sales),
        children=child_sales, daily=daily,
    )


@dataclass(frozen=True)
class ChildOverview:
    """One line of a parent's child list: no email, no personal data, no platform cost."""

    party_id: int
    name: str
    kind: str
    status: str
    available: int
    currency: str
    month: Sales


async def children_overview(*, actor: Actor, party_id: int, now: datetime | None = None) -> list[ChildOverview]:
    """The party's direct children with their balance and this month's sales."""
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    from core.ledger.models import Account, AccountKind

    children = await Party.filter(parent_id=party_id).order_by("id")
    if not children:
        return []
    ids = [c.id for c in children]
    balances = dict(await Account.filter(party_id__in=ids, kind=AccountKind.WALLET, livemode=True).values_list("party_id", "balance"))
    start, end = period_bounds(Period.MONTH, now=now)
    by_party = await _sales_by_party(ids, start, end)
    return [
        ChildOverview(party_id=c.id, name=c.name, kind=str(c.kind), status=str(c.status),
                      available=int(balances.get(c.id, 0)), currency=c.currency, month=_sales(by_party.get(c.id)))
        for c in children
    ]
