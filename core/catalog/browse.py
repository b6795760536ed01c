"""The catalog as a member or a key sees it: the same queries as `offers`, with the actor checked first."""

from __future__ import annotations

from decimal import Decimal

from core.access.actor import Actor
from core.access.policy import Permission, authorize
from core.catalog.cardlists import Offer
from core.catalog.models import Product
from core.catalog.offers import OfferPage, offer_for, priced_catalog, quote_purchase
from core.parties.models import Party
from core.pricing.quote import Quote


async def _party(actor: Actor, party_id: int, permission: Permission) -> Party:
    await authorize(actor, party_id=party_id, permission=permission)
    return await Party.get(id=party_id)


async def catalog_page(*, actor: Actor, party_id: int, limit: int = 20, cursor: int | None = None,
                       text: str | None = None, country: str | None = None, currency: str | None = None,
                       brand_id: int | None = None, category_id: int | None = None) -> OfferPage:
    """What the party may buy, priced for it (its members and keys, or an admin)."""
    party = await _party(actor, party_id, Permission.READ)
    return await priced_catalog(party=party, limit=limit, cursor=cursor, text=text, country=country,
                                currency=currency, brand_id=brand_id, category_id=category_id)


async def offer(*, actor: Actor, party_id: int, product_id: int) -> tuple[Product, Offer]:
    """One product and what the party may buy of it; a product outside its list does not exist for it."""
    party = await _party(actor, party_id, Permission.READ)
    return await offer_for(party=party, product_id=product_id)


async def quote(*, actor: Actor, party_id: int, product_id: int, face: Decimal, quantity: int) -> Quote:
    """The exact total the party would pay now for `quantity` cards of `face`."""
    party = await _party(actor, party_id, Permission.READ)
    return await quote_purchase(party=party, product_id=product_id, face=face, quantity=quantity)


async def ensure_can_order(*, actor: Actor, party_id: int) -> None:
    """Raises unless the actor may order for the party now (role, active party): a front asks before
    walking someone through a wizard whose last step the core would refuse."""
    await authorize(actor, party_id=party_id, permission=Permission.ORDER)
