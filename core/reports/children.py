"""One direct child as its parent sees it: the card behind a line of `children_overview`."""

from __future__ import annotations

from datetime import datetime

from core.access.actor import Actor
from core.access.errors import NotYourChild
from core.access.policy import Permission, authorize
from core.ledger.models import Account, AccountKind
from core.parties.models import Party
from core.reports.service import (
    ChildOverview,
    Period,
    _sales,
    _sales_by_party,
    period_bounds,
)


async def child_overview(*, actor: Actor, parent_id: int, child_id: int, now: datetime | None = None) -> ChildOverview:
    """The child's name, status, available balance and this month's sales, for the parent's members
    (any role: a viewer reads too) and admins. One answer for "no such party" and "not your child"."""
    await authorize(actor, party_id=parent_id, permission=Permission.READ)
    child = await Party.get_or_none(id=child_id, parent_id=parent_id)
    if child is None:
        raise NotYourChild("that party is not your direct child", child_id=child_id)
    available = await Account.filter(party_id=child.id, kind=AccountKind.WALLET, livemode=True).values_list("balance", flat=True)
    start, end = period_bounds(Period.MONTH, now=now)
    month = (await _sales_by_party([child.id], start, end)).get(child.id)
    return ChildOverview(party_id=child.id, name=child.name, kind=str(child.kind), status=str(child.status),
                         available=int(available[0]) if available else 0, currency=child.currency,
                         month=_sales(month))
