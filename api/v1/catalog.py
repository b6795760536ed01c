"""Partner API: the catalog this party may buy, priced for it, and exact quotes.

Never shows what Steller pays for a card (the vendor's price or discount) nor its margin: an item
carries the party's own rate (the fraction of the face value it pays) and one worked example.

Each page has a strong `ETag` (the SHA-256 of the exact response body): a client sending it back in
`If-None-Match` gets `304 Not Modified` with no body while nothing on the page (products, prices,
availability) changed.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import current_actor
from api.v1.common import InvalidCursor, Money, Page, decode_cursor, encode_cursor, money, problem_responses
from core.access.actor import Actor
from core.catalog import browse
from core.catalog.models import CardMode
from core.catalog.offers import PricedOffer
from core.money import quantum

ProductId = Annotated[int, Path(ge=1, le=2**63 - 1, description="From `GET /v1/catalog`")]
router = APIRouter(prefix="/v1", tags=["catalog"])


class Category(BaseModel):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Shopping"])


class Brand(BaseModel):
    id: int = Field(examples=[101])
    name: str = Field(examples=["Amazon.com"])
    logo_url: str | None = Field(description="null when the brand has no logo",
                                 examples=["https://cdn.example/amazon.png"])
    categories: list[Category] = Field(description="What the brand sells; filter with `category=<id>`")


class FixedFaces(BaseModel):
    """A fixed-value card: the denominations on offer, in the product's currency."""

    fixed: list[str] = Field(examples=[["10.00", "25.00", "50.00"]])


class FaceRange(BaseModel):
    """An open-value card: any amount from `min` to `max` on the currency's grid (e.g. cents)."""

    min: str = Field(examples=["5.00"])
    max: str = Field(examples=["500.00"])


class PriceExample(BaseModel):
    face: str = Field(description="A face value on offer, in the product's currency", examples=["10.00"])
    amount: str = Field(description="What one card of that face costs you now, in `currency`", examples=["9.47"])
    currency: str = Field(description="Your wallet's currency (the product's face is converted when they differ)",
                          examples=["USD"])


class Price(BaseModel):
    rate: str = Field(description="The fraction of the face value you pay (4 decimals), before any currency "
                                  "conversion", examples=["0.9470"])
    example: PriceExample


_ITEM_EXAMPLE = {
    "id": 2001,
    "brand": {"id": 101, "name": "Amazon.com", "logo_url": "https://cdn.example/amazon.png",
              "categories": [{"id": 3, "name": "Shopping"}]},
    "name": "Amazon.com US 10", "country": "US", "currency": "USD",
    "face_value": {"fixed": ["10.00"]},
    "price": {"rate": "0.9470", "example": {"face": "10.00", "amount": "9.47", "currency": "USD"}},
    "available": True,
}


class CatalogItem(BaseModel):
    model_config = {"json_schema_extra": {"examples": [_ITEM_EXAMPLE]}}

    id: int = Field(description="The product id to order with", examples=[2001])
    brand: Brand
    name: str = Field(examples=["Amazon.com US 10"])
    country: str = Field(examples=["US"])
    currency: str = Field(description="The card's own currency (of its face values)", examples=["USD"])
    face_value: FixedFaces | FaceRange = Field(description="`{fixed: [...]}` or `{min, max}`")
    price: Price | None = Field(description="null while the card cannot be sold (see `available`)")
    available: bool = Field(description="false while out of stock, withdrawn or not for sale", examples=[True])


class CatalogPage(Page[CatalogItem]):
    model_config = {"json_schema_extra": {"examples": [{"data": [_ITEM_EXAMPLE], "next_cursor": "WzIwMDFd"}]}}


class QuoteOut(BaseModel):
    product_id: int = Field(examples=[2001])
    face_value: Money = Field(description="The face value asked for, in the product's currency")
    quantity: int = Field(examples=[3])
    unit_price: Money = Field(description="What one card costs you now")
    total: Money = Field(description="What the order would take from your wallet now: unit_price × quantity")

    model_config = {"json_schema_extra": {"examples": [{
        "product_id": 2001, "face_value": {"amount": "10.00", "currency": "USD"}, "quantity": 3,
        "unit_price": {"amount": "9.47", "currency": "USD"}, "total": {"amount": "28.41", "currency": "USD"}}]}}


def _amount(value: Decimal, currency: str) -> str:
    return str(Decimal(value).quantize(quantum(currency)))


def _item(entry: PricedOffer, categories: dict[int, str]) -> CatalogItem:
    product, brand, offer = entry.product, entry.brand, entry.offer
    if offer.mode == CardMode.FIXED:
        face = FixedFaces(fixed=[_amount(d, product.currency) for d in offer.denominations])
    else:
        face = FaceRange(min=_amount(offer.min_face, product.currency), max=_amount(offer.max_face, product.currency))
    price = None
    if entry.example is not None:
        quote = entry.example
        price = Price(rate=str(quote.rate_of_face), example=PriceExample(
            face=_amount(Decimal(quote.face), product.currency),
            amount=money(quote.unit_price, quote.currency).amount, currency=quote.currency))
    brand_categories = [int(c) for c in (brand.category_ids or [])]
    return CatalogItem(
        id=product.id,
        brand=Brand(id=brand.id, name=brand.name, logo_url=brand.logo_url or None,
                    categories=[Category(id=c, name=categories.get(c, "")) for c in brand_categories]),
        name=product.name, country=product.country, currency=product.currency, face_value=face, price=price,
        available=entry.available,
    )


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, `*` matches any current representation."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def _cached_json(request: Request, payload: BaseModel) -> Response:
    body = json.dumps(payload.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False).encode()
    etag = _etag(body)
    # Prices are per party: private caches only, and always revalidated.
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization, X-API-Key"}
    if _matches(request.headers.get("If-None-Match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _cursor(cursor: str | None) -> int | None:
    parts = decode_cursor(cursor, 1)
    if parts is None:
        return None
    if not isinstance(parts[0], int) or isinstance(parts[0], bool):
        raise InvalidCursor("this cursor was not made by this API")
    return parts[0]


_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator: the SHA-256 of this body", "schema": {"type": "string"}},
}


@router.get(
    "/catalog", response_model=CatalogPage, summary="The cards you may buy, priced for you",
    description="Products your party may buy with your price for each. Filters combine (AND). Send the "
                "page's `ETag` back in `If-None-Match` to get `304 Not Modified` while nothing changed.",
    responses={200: {"headers": _CACHE_HEADERS}, 304: {"description": "Not modified: your copy is current"},
               **problem_responses((422, "cursor.invalid"), (422, "validation_failed"))},
)
async def list_catalog(
    request: Request,
    actor: Actor = Depends(current_actor),
    country: str | None = Query(None, min_length=2, max_length=3, description="ISO country code", examples=["US"]),
    currency: str | None = Query(None, min_length=3, max_length=3, description="The card's currency",
                                 examples=["USD"]),
    brand: int | None = Query(None, ge=1, le=2**63 - 1, description="A brand id", examples=[101]),
    q: str | None = Query(None, min_length=1, max_length=100, description="Words in the product or brand name",
                          examples=["amazon"]),
    category: int | None = Query(None, ge=1, le=2**31 - 1, description="A category id (see `brand.categories`)",
                                 examples=[3]),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, description="`next_cursor` of the previous page"),
) -> Response:
    view = await browse.catalog_view(actor=actor, party_id=actor.party_id, limit=limit, cursor=_cursor(cursor),
                                     text=q, country=country, currency=currency, brand_id=brand,
                                     category_id=category)
    page = CatalogPage(data=[_item(entry, view.categories) for entry in view.items],
                       next_cursor=encode_cursor(view.next_cursor) if view.next_cursor is not None else None)
    return _cached_json(request, page)


@router.get(
    "/catalog/{product_id}", response_model=CatalogItem, summary="One card, priced for you",
    responses={200: {"headers": _CACHE_HEADERS}, 304: {"description": "Not modified: your copy is current"},
               **problem_responses((404, "not_found"))},
)
async def get_product(request: Request, product_id: ProductId, actor: Actor = Depends(current_actor)) -> Response:
    view = await browse.priced_offer(actor=actor, party_id=actor.party_id, product_id=product_id)
    return _cached_json(request, _item(view.items[0], view.categories))


@router.get(
    "/catalog/{product_id}/quote", response_model=QuoteOut, summary="The exact total you would pay now",
    description="Prices `quantity` cards of `face_value` as an order placed now would. The price may change "
                "later: pass the total as `expected_total` when ordering to be refused rather than charged more.",
    responses=problem_responses((404, "not_found"), (409, "order.product_unavailable"),
                                (422, "order.invalid_face_value"), (422, "order.invalid_quantity"),
                                (422, "validation_failed")),
)
async def quote(
    product_id: ProductId,
    face_value: str = Query(..., max_length=40, description="A face value on offer, as a decimal string",
                            examples=["10.00"]),
    quantity: int = Query(1, description="1 to 500", examples=[3]),
    actor: Actor = Depends(current_actor),
) -> QuoteOut:
    found = await browse.quote(actor=actor, party_id=actor.party_id, product_id=product_id, face=face_value,
                               quantity=quantity)
    face = Decimal(found.face)
    return QuoteOut(product_id=product_id,
                    face_value=Money(amount=_amount(face, found.card_currency), currency=found.card_currency),
                    quantity=found.quantity, unit_price=money(found.unit_price, found.currency),
                    total=money(found.total, found.currency))
