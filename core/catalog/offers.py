""""What may this party buy, and at what price": the one query both fronts call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.expressions import Q

from core.catalog.cardlists import Offer, offer_from_product, offers_for
from core.catalog.models import Brand, Product
from core.errors import DomainError
from core.money import plain
from core.parties.models import Party
from core.pricing import service as pricing
from core.pricing.errors import InvalidFaceValue, ProductNotFound
from core.pricing.quote import Quote

MAX_PAGE = 100


@dataclass(frozen=True)
class PricedOffer:
    product: Product
    brand: Brand
    offer: Offer
    example: Quote | None  # one card of the offer's first face value; None when it cannot be sold

    @property
    def available(self) -> bool:
        return self.product.available and self.example is not None


@dataclass(frozen=True)
class OfferPage:
    items: list[PricedOffer]
    next_cursor: int | None



async def priced_catalog(
    *, party: Party, limit: int = 20, cursor: int | None = None, country: str | None = None,
    currency: str | None = None, brand_id: int | None = None, text: str | None = None,
    category_id: int | None = None,
) -> OfferPage:
    """Products this party may buy, priced for it (cursor = the last product id seen).

    A party buying from a card list sees the list's order (admins arrange it); a partner without a
    list sees the catalog in product id order.
    """
    limit = max(1, min(limit, MAX_PAGE))
    offers = await offers_for(party)
    query = Product.filter(gone_at=None)
    if offers is not None:
        query = query.filter(id__in=list(offers))
    elif cursor is not None:
        query = query.filter(id__gt=cursor)
    if country:
        query = query.filter(country=country.upper())
    if currency:
        query = query.filter(currency=currency.upper())
    if brand_id is not None:
        query = query.filter(brand_id=brand_id)
    if text:
        query = query.filter(Q(name__icontains=text) | Q(brand__name__icontains=text))
    if category_id is not None:
        query = query.filter(brand__category_ids__contains=[category_id])
    if offers is None:
        products = await query.order_by("id").limit(limit + 1).prefetch_related("brand")
    else:
        products = await _in_list_order(query, list(offers), cursor=cursor, limit=limit)
    has_more = len(products) > limit
    products = products[:limit]
    books = await pricing.chain_books(party)
    now = datetime.now(UTC)
    items = []
    for product in products:
        offer = offers[product.id] if offers is not None else offer_from_product(product)
        example = None
        if product.available:
            try:
                example = await pricing.quote_for(party=party, product=product, face=offer.example_face(),
                                                  quantity=1, books=books, now=now)
            except DomainError:
                example = None  # below cost or no rate: listed, but not for sale now
        items.append(PricedOffer(product=product, brand=product.brand, offer=offer, example=example))
    return OfferPage(items=items, next_cursor=products[-1].id if has_more and products else None)


async def _in_list_order(query, listed: list[int], *, cursor: int | None, limit: int) -> list[Product]:
    """Up to limit + 1 products of `query`, in the list's order, after the cursor's product.

    Lists are short (tens, at most thousands of ids): the matching ids are read, ordered here, and
    only the page's rows are loaded. A cursor whose product has left the list starts over at the top.
    """
    rank = {product_id: i for i, product_id in enumerate(listed)}
    ids = sorted(await query.values_list("id", flat=True), key=rank.__getitem__)
    if cursor is not None and cursor in rank:
        ids = [i for i in ids if rank[i] > rank[cursor]]
    wanted = ids[:limit + 1]
    rows = {p.id: p for p in await Product.filter(id__in=wanted).prefetch_related("brand")}
    return [rows[i] for i in wanted if i in rows]


async def offer_for(*, party: Party, product_id: int) -> tuple[Product, Offer]:
    """The product and what this party may buy of it; a product outside its list does not exist for it."""
    offers = await offers_for(party)
    product = await Product.get_or_none(id=product_id)
    if product is None or product.gone_at is not None or (offers is not None and product_id not in offers):
        raise ProductNotFound(f"no product {product_id}")
    return product, offers[product_id] if offers is not None else offer_from_product(product)


async def quote_purchase(*, party: Party, product_id: int, face: Decimal, quantity: int) -> Quote:
    """The exact total this party would pay now; refuses a face value its offer does not allow."""
    product, offer = await offer_for(party=party, product_id=product_id)
    face = pricing.check_face_value(product, face)
    if not offer.allows(face.normalize()):
        raise InvalidFaceValue(f"{plain(face)} {product.currency} is not offered for this card")
    return await pricing.quote_for(party=party, product=product, face=face, quantity=quantity)
