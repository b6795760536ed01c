"""Discounts (admin-set, most specific wins) and quotes for a party buying a card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Q

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.catalog.models import Product
from core.config import get_settings
from core.db import require_transaction
from core.money import plain
from core.parties.models import Party, PartyKind
from core.pricing.errors import (
    DiscountAboveParent,
    DiscountBelowChild,
    InvalidDiscount,
    InvalidFaceValue,
    NoExchangeRate,
    ProductNotFound,
    ProductUnavailable,
)
from core.pricing.models import Discount
from core.pricing.quote import Quote, QuoteInput, compute_quote, vendor_price_for

RATE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class Scope:
    brand_id: int | None = None
    product_id: int | None = None


class DiscountBook:
    """A party's and its kind's discounts, loaded once, resolved per product."""

    def __init__(self, party: Party, rows: list[Discount]):
        self.party = party
        self._party_rows = {(r.brand_id, r.product_id): r.rate for r in rows if r.party_id == party.id}
        self._kind_rows = {(r.brand_id, r.product_id): r.rate for r in rows
                           if r.party_id is None and r.party_kind == party.kind}

    @staticmethod
    def _keys(brand_id: int | None, product_id: int | None) -> list[tuple[int | None, int | None]]:
        keys: list[tuple[int | None, int | None]] = []
        if product_id is not None:
            keys.append((None, product_id))
        if brand_id is not None:
            keys.append((brand_id, None))
        keys.append((None, None))
        return keys

    def resolve_own(self, *, brand_id: int | None, product_id: int | None) -> Decimal | None:
        """Only what was set for this very party (no kind default)."""
        for key in self._keys(brand_id, product_id):
            if key in self._party_rows:
                return self._party_rows[key]
        return None

    def resolve(self, *, brand_id: int | None, product_id: int | None) -> Decimal:
        """Most specific first: party+product, party+brand, party, kind+product, kind+brand, kind."""
        own = self.resolve_own(brand_id=brand_id, product_id=product_id)
        if own is not None:
            return own
        for key in self._keys(brand_id, product_id):
            if key in self._kind_rows:
                return self._kind_rows[key]
        return Decimal(0)


async def discount_book(party: Party) -> DiscountBook:
    rows = await Discount.filter(Q(party_id=party.id) | Q(party_kind=party.kind, party_id=None))
    return DiscountBook(party, rows)


async def ancestry(party: Party) -> list[Party]:
    """Top-level ancestor first, the party itself last."""
    chain = [party]
    while chain[0].parent_id is not None:
        chain.insert(0, await Party.get(id=chain[0].parent_id))
    return chain


async def chain_books(party: Party) -> list[DiscountBook]:
    return [await discount_book(p) for p in await ancestry(party)]


def chain_discounts(books: list[DiscountBook], product: Product) -> tuple[Decimal, ...]:
    return tuple(b.resolve(brand_id=product.brand_id, product_id=product.id) for b in books)


def _parse_rate(rate: Decimal | str) -> Decimal:
    try:
        value = Decimal(str(rate))
    except InvalidOperation as exc:
        raise InvalidDiscount(f"{rate!r} is not a discount") from exc
    if not value.is_finite() or value < 0 or value >= 1 or value != value.quantize(RATE_QUANTUM):
        raise InvalidDiscount("a discount is a fraction from 0 up to below 1, with at most 4 decimals "
                              "(0.0525 = 5.25 %)")
    return value


async def _check_against_neighbours(party: Party, rate: Decimal, scope: Scope) -> None:
    """A child's discount never above its parent's, and a parent's never below a child's."""
    probe_product = await Product.get_or_none(id=scope.product_id) if scope.product_id else None
    brand_id = probe_product.brand_id if probe_product else scope.brand_id

    async def resolved(p: Party) -> Decimal:
        return (await discount_book(p)).resolve(brand_id=brand_id, product_id=scope.product_id)

    if party.parent_id is not None:
        parent = await Party.get(id=party.parent_id)
        parent_rate = await resolved(parent)
        if rate > parent_rate:
            raise DiscountAboveParent(
                f"{party.name}'s discount cannot be above its parent's ({parent_rate})", parent_rate=str(parent_rate))
    for child in await Party.filter(parent_id=party.id):
        # A child on kind defaults is capped at quote time; one with its own rate must be fixed first.
        child_rate = (await discount_book(child)).resolve_own(brand_id=brand_id, product_id=scope.product_id)
        if child_rate is not None and child_rate > rate:
            raise DiscountBelowChild(
                f"{child.name} already has {child_rate}; lower theirs first", child_id=child.id)


_KIND_ORDER = [PartyKind.PARTNER, PartyKind.AGENT, PartyKind.SUBAGENT]


async def _check_kind_order(kind: PartyKind, rate: Decimal, scope: Scope) -> None:
    """Kind defaults follow the tree: sub-agents never above agents."""
    if kind == PartyKind.SUBAGENT:
        above = await Discount.get_or_none(party_kind=PartyKind.AGENT, party_id=None,
                                           brand_id=scope.brand_id, product_id=scope.product_id)
        if above is not None and rate > above.rate:
            raise DiscountAboveParent(f"the sub-agent default cannot be above the agent default ({above.rate})")
    if kind == PartyKind.AGENT:
        below = await Discount.get_or_none(party_kind=PartyKind.SUBAGENT, party_id=None,
                                           brand_id=scope.brand_id, product_id=scope.product_id)
        if below is not None and rate < below.rate:
            raise DiscountBelowChild(f"the agent default cannot be below the sub-agent default ({below.rate})")


async def set_discount(
    *, actor: Actor, rate: Decimal | str, party_kind: PartyKind | None = None, party_id: int | None = None,
    brand_id: int | None = None, product_id: int | None = None,
) -> Discount:
    """Admins set prices; agents never do."""
    require_transaction()
    require_admin(actor)
    value = _parse_rate(rate)
    if (party_kind is None) == (party_id is None):
        raise InvalidDiscount("name either a kind or a party")
    if brand_id is not None and product_id is not None:
        raise InvalidDiscount("narrow a discount to a brand or a product, not both")
    scope = Scope(brand_id=brand_id, product_id=product_id)
    if party_id is not None:
        party = await Party.filter(id=party_id).select_for_update().first()
        if party is None:
            from core.parties.errors import PartyNotFound

            raise PartyNotFound(f"no party {party_id}")
        await _check_against_neighbours(party, value, scope)
    else:
        party_kind = PartyKind(party_kind)
        await _check_kind_order(party_kind, value, scope)
    existing = await Discount.filter(party_kind=None if party_id else party_kind, party_id=party_id,
                                     brand_id=brand_id, product_id=product_id).select_for_update().first()
    before = None if existing is None else {"rate": str(existing.rate)}
    if existing is None:
        existing = await Discount.create(party_kind=None if party_id else party_kind, party_id=party_id,
                                         brand_id=brand_id, product_id=product_id, rate=value)
    else:
        existing.rate = value
        await existing.save(update_fields=["rate", "updated_at"])
    await audit.record(actor=actor, action="pricing.discount", object_type="discount", object_id=existing.id,
                       before=before, after={"rate": str(value), "party_kind": party_kind, "party_id": party_id,
                                             "brand_id": brand_id, "product_id": product_id})
    return existing


async def list_discounts() -> list[Discount]:
    return await Discount.all().order_by("party_kind", "party_id", "brand_id", "product_id")


# --- Quotes ----------------------------------------------------------------------------------


def check_face_value(product: Product, face: Decimal) -> Decimal:
    """Within the product's range, on its currency's grid."""
    from core.money import quantum

    try:
        face = Decimal(str(face))
    except InvalidOperation as exc:
        raise InvalidFaceValue(f"{face!r} is not an amount") from exc
    if not face.is_finite():
        raise InvalidFaceValue(f"{face} is not an amount")
    if face != face.quantize(quantum(product.currency)):
        raise InvalidFaceValue(f"{plain(face)} is not a valid {product.currency} amount")
    if face < product.min_face or face > product.max_face:
        raise InvalidFaceValue(
            f"{plain(face)} {product.currency} is outside {plain(product.min_face)}–{plain(product.max_face)}")
    return face


async def exchange_rate(base: str, quote: str) -> Decimal:
    if base == quote:
        return Decimal(1)
    from core.catalog.rates import rate

    value = await rate(base, quote)
    if value is None:
        raise NoExchangeRate(f"no exchange rate from {base} to {quote}; run a rates sync")
    return value


async def quote_for(*, party: Party, product: Product, face: Decimal, quantity: int,
                    books: list[DiscountBook] | None = None, now: datetime | None = None) -> Quote:
    """The exact price this party pays now for `quantity` cards of `face`."""
    if not product.available:
        raise ProductUnavailable("this card is not available right now", product_id=product.id)
    face = check_face_value(product, face)
    books = books if books is not None else await chain_books(party)
    wallet_currency = party.currency
    fx = await exchange_rate(product.currency, wallet_currency)
    vendor_fx = await exchange_rate(product.price_currency, wallet_currency)
    vendor_price = vendor_price_for(face, min_face=product.min_face, max_face=product.max_face,
                                    price_min=product.price_min, price_max=product.price_max)
    return compute_quote(
        QuoteInput(
            face=face, quantity=quantity, card_currency=product.currency, wallet_currency=wallet_currency,
            chain_discounts=chain_discounts(books, product), vendor_price=vendor_price,
            vendor_currency=product.price_currency, fx_rate=fx, vendor_fx_rate=vendor_fx,
            fx_margin=get_settings().fx_margin, allow_loss=product.allow_loss,
        ),
        now=now or datetime.now(UTC),
    )


async def get_product(product_id: int) -> Product:
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise ProductNotFound(f"no product {product_id}")
    return product
