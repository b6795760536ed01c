"""The catalog as a member or a key sees it: the same queries as `offers`, with the actor checked first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from core.access.actor import Actor
from core.access.policy import Permission, authorize, is_privileged
from core.catalog.cardlists import Offer
from core.catalog.models import Category, Product
from core.catalog.offers import OfferPage, PricedOffer, offer_for, priced_catalog, quote_purchase
from core.errors import DomainError
from core.parties.models import Party
from core.pricing import service as pricing
from core.pricing.errors import InvalidFaceValue, NoExchangeRate, PriceBelowCost, ProductNotFound, ProductUnavailable
from core.pricing.quote import Quote

# A face value with more digits than this before the point is no card's value (and would overflow
# the decimal context when rounded to the currency's grid).
_MAX_FACE_DIGITS = 15


class CatalogProductNotFound(ProductNotFound):
    """A product the party may not buy (or that does not exist): one answer, `not_found`."""

    code = "not_found"


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


@dataclass(frozen=True)
class CatalogView:
    """A catalog page with the names of its brands' categories (the partner API shows them)."""

    items: list[PricedOffer]
    next_cursor: int | None  # the last product id of the page; None on the last page
    categories: dict[int, str]  # category id → name, for every category of the page's brands


async def _category_names(items: list[PricedOffer]) -> dict[int, str]:
    ids = sorted({int(c) for item in items for c in (item.brand.category_ids or [])})
    if not ids:
        return {}
    return dict(await Category.filter(id__in=ids).values_list("id", "name"))


async def catalog_view(*, actor: Actor, party_id: int, limit: int = 20, cursor: int | None = None,
                       text: str | None = None, country: str | None = None, currency: str | None = None,
                       brand_id: int | None = None, category_id: int | None = None) -> CatalogView:
    """`catalog_page` with category names: what the partner API lists."""
    page = await catalog_page(actor=actor, party_id=party_id, limit=limit, cursor=cursor, text=text,
                              country=country, currency=currency, brand_id=brand_id, category_id=category_id)
    return CatalogView(items=page.items, next_cursor=page.next_cursor,
                       categories=await _category_names(page.items))


async def offer(*, actor: Actor, party_id: int, product_id: int) -> tuple[Product, Offer]:
    """One product and what the party may buy of it; a product outside its list does not exist for it."""
    party = await _party(actor, party_id, Permission.READ)
    return await offer_for(party=party, product_id=product_id)


async def priced_offer(*, actor: Actor, party_id: int, product_id: int) -> CatalogView:
    """One product priced for the party, as a one-item `CatalogView`; `not_found` outside its list."""
    party = await _party(actor, party_id, Permission.READ)
    try:
        product, offered = await offer_for(party=party, product_id=product_id)
    except ProductNotFound:
        raise CatalogProductNotFound(f"no product {product_id} in your catalog") from None
    await product.fetch_related("brand")
    example = None
    if product.available:
        try:
            example = await pricing.quote_for(party=party, product=product, face=offered.example_face(),
                                              quantity=1, now=datetime.now(UTC))
        except DomainError:
            example = None  # below cost or no rate: listed, but not for sale now (as in the list)
    item = PricedOffer(product=product, brand=product.brand, offer=offered, example=example)
    return CatalogView(items=[item], next_cursor=None, categories=await _category_names([item]))


def _face(value: Decimal | str) -> Decimal:
    try:
        face = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidFaceValue(f"{str(value)[:20]!r} is not an amount") from None
    if not face.is_finite() or face.adjusted() >= _MAX_FACE_DIGITS:
        raise InvalidFaceValue(f"{str(value)[:20]!r} is not a face value")
    return face


async def quote(*, actor: Actor, party_id: int, product_id: int, face: Decimal | str, quantity: int) -> Quote:
    """The exact total the party would pay now for `quantity` cards of `face`.

    A card outside the party's list is `not_found`. To a party (not an admin) a card that cannot be
    priced now (below the vendor's cost, no exchange rate) is `order.product_unavailable`: our costs
    are never part of its answer.
    """
    party = await _party(actor, party_id, Permission.READ)
    try:
        return await quote_purchase(party=party, product_id=product_id, face=_face(face), quantity=quantity)
    except ProductNotFound:
        raise CatalogProductNotFound(f"no product {product_id} in your catalog") from None
    except (PriceBelowCost, NoExchangeRate):
        if is_privileged(actor):
            raise
        raise ProductUnavailable("this card is not for sale right now", product_id=product_id) from None


async def ensure_can_order(*, actor: Actor, party_id: int) -> None:
    """Raises unless the actor may order for the party now (role, active party): a front asks before
    walking someone through a wizard whose last step the core would refuse."""
    await authorize(actor, party_id=party_id, permission=Permission.ORDER)
