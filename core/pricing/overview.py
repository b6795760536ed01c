"""Discounts as admins read them: every row with the names of the party, brand and card it applies to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.access.actor import Actor
from core.access.policy import require_admin
from core.catalog.models import Brand, Product
from core.parties.models import Party
from core.pricing.models import Discount

OVERVIEW_LIMIT = 200


@dataclass(frozen=True)
class DiscountLine:
    id: int
    rate: Decimal
    party_kind: str | None  # a kind's default …
    party_id: int | None  # … or a party's own
    party_name: str | None
    brand_id: int | None
    brand_name: str | None
    product_id: int | None
    product_name: str | None


async def discount_lines(*, actor: Actor, limit: int = OVERVIEW_LIMIT) -> tuple[list[DiscountLine], int]:
    """Kind defaults first, then parties' own; most general first within each. Returns (lines, total)."""
    require_admin(actor)
    total = await Discount.all().count()
    kinds = await Discount.filter(party_id=None).order_by("party_kind", "brand_id", "product_id", "id").limit(limit)
    rows = list(kinds)
    if len(rows) < limit:
        rows += await (Discount.filter(party_id__isnull=False)
                       .order_by("party_id", "brand_id", "product_id", "id").limit(limit - len(rows)))
    party_names = dict(await Party.filter(id__in={r.party_id for r in rows if r.party_id}).values_list("id", "name"))
    brand_names = dict(await Brand.filter(id__in={r.brand_id for r in rows if r.brand_id}).values_list("id", "name"))
    product_names = dict(await Product.filter(id__in={r.product_id for r in rows if r.product_id})
                         .values_list("id", "name"))
    lines = [DiscountLine(id=r.id, rate=r.rate, party_kind=r.party_kind, party_id=r.party_id,
                          party_name=party_names.get(r.party_id), brand_id=r.brand_id,
                          brand_name=brand_names.get(r.brand_id), product_id=r.product_id,
                          product_name=product_names.get(r.product_id))
             for r in rows]
    return lines, total
