"""Card lists: which cards (and which denominations) a party may buy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.catalog.models import CardList, CardListItem, CardMode, Product
from core.db import require_transaction
from core.money import plain
from core.errors import ValidationFailed
from core.parties.models import Party, PartyKind


class InvalidCardListItem(ValidationFailed):
    code = "cardlist.invalid_item"


@dataclass(frozen=True)
class Offer:
    """What a party may buy of one product: fixed denominations or a face range."""

    product_id: int
    mode: CardMode
    denominations: tuple[Decimal, ...] = ()
    min_face: Decimal | None = None
    max_face: Decimal | None = None

    def allows(self, face: Decimal) -> bool:
        if self.mode == CardMode.FIXED:
            return face in self.denominations
        return self.min_face <= face <= self.max_face

    def example_face(self) -> Decimal:
        return self.denominations[0] if self.mode == CardMode.FIXED else self.min_face

    def narrowed_by(self, parent: Offer) -> Offer | None:
        """What is left of this offer inside the parent's: a child never sees more than its parent."""
        if parent.mode == CardMode.FIXED:
            mine = self.denominations if self.mode == CardMode.FIXED else tuple(
                d for d in parent.denominations if self.min_face <= d <= self.max_face)
            common = tuple(d for d in mine if d in parent.denominations)
            return Offer(self.product_id, CardMode.FIXED, denominations=common) if common else None
        if self.mode == CardMode.FIXED:
            kept = tuple(d for d in self.denominations if parent.min_face <= d <= parent.max_face)
            return Offer(self.product_id, CardMode.FIXED, denominations=kept) if kept else None
        low, high = max(self.min_face, parent.min_face), min(self.max_face, parent.max_face)
        return Offer(self.product_id, CardMode.RANGE, min_face=low, max_face=high) if low <= high else None


def offer_from_product(product: Product) -> Offer:
    if product.is_fixed:
        return Offer(product.id, CardMode.FIXED, denominations=(product.min_face.normalize(),))
    return Offer(product.id, CardMode.RANGE, min_face=product.min_face.normalize(),
                 max_face=product.max_face.normalize())


def offer_from_item(item: CardListItem) -> Offer:
    if item.mode == CardMode.FIXED:
        return Offer(item.product_id, CardMode.FIXED,
                     denominations=tuple(Decimal(d).normalize() for d in item.denominations))
    return Offer(item.product_id, CardMode.RANGE, min_face=item.min_face.normalize(),
                 max_face=item.max_face.normalize())


async def _list_offers(card_list: CardList | None) -> dict[int, Offer]:
    if card_list is None:
        return {}
    return {i.product_id: offer_from_item(i) for i in await CardListItem.filter(card_list_id=card_list.id)}


async def offers_for(party: Party) -> dict[int, Offer] | None:
    """Product id → offer for this party; None means the whole catalog (a partner without a list)."""
    own_list = await CardList.get_or_none(party_id=party.id)
    if party.kind == PartyKind.PARTNER:
        mine = None if own_list is None else await _list_offers(own_list)
    else:
        default = await CardList.get_or_none(is_default_agent_list=True)
        mine = await _list_offers(own_list or default)
    if party.parent_id is None:
        return mine
    parent_offers = await offers_for(await Party.get(id=party.parent_id))
    if parent_offers is None:
        return mine
    if mine is None:
        return parent_offers
    narrowed = {}
    for product_id, offer in mine.items():
        if product_id in parent_offers:
            kept = offer.narrowed_by(parent_offers[product_id])
            if kept is not None:
                narrowed[product_id] = kept
    return narrowed


# --- Managing lists (admins) ----------------------------------------------------------------


async def default_agent_list(*, actor: Actor) -> CardList:
    require_admin(actor)
    existing = await CardList.get_or_none(is_default_agent_list=True)
    if existing:
        return existing
    created = await CardList.create(name="Default agent cards", is_default_agent_list=True)
    await audit.record(actor=actor, action="cardlist.create", object_type="card_list", object_id=created.id,
                       after={"default": True})
    return created


async def party_list(*, party_id: int, actor: Actor) -> CardList:
    require_admin(actor)
    existing = await CardList.get_or_none(party_id=party_id)
    if existing:
        return existing
    party = await Party.get(id=party_id)
    created = await CardList.create(name=f"Cards of {party.name}", party_id=party_id)
    await audit.record(actor=actor, action="cardlist.create", object_type="card_list", object_id=created.id,
                       after={"party_id": party_id})
    return created


def _decimal(value, what: str) -> Decimal:
    try:
        parsed = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidCardListItem(f"{value!r} is not a {what}") from exc
    if not parsed.is_finite() or parsed <= 0:
        raise InvalidCardListItem(f"{value!r} is not a {what}")
    return parsed


async def put_item(
    *, card_list: CardList, product_id: int, actor: Actor, denominations: list | None = None,
    min_face=None, max_face=None,
) -> CardListItem:
    """Add or replace a card: fixed denominations, or a range (defaults to the product's own)."""
    require_transaction()
    require_admin(actor)
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise InvalidCardListItem(f"no product {product_id}")
    if denominations:
        values = sorted({_decimal(d, "denomination") for d in denominations})
        for value in values:
            if not product.min_face <= value <= product.max_face:
                raise InvalidCardListItem(
                    f"{plain(value)} is outside the card's {plain(product.min_face)}–{plain(product.max_face)}")
        fields = {"mode": CardMode.FIXED, "denominations": [plain(v) for v in values],
                  "min_face": None, "max_face": None}
    else:
        if product.is_fixed:
            raise InvalidCardListItem("a fixed-value card needs its denomination, not a range")
        low = _decimal(min_face, "face value") if min_face is not None else product.min_face
        high = _decimal(max_face, "face value") if max_face is not None else product.max_face
        if not product.min_face <= low <= high <= product.max_face:
            raise InvalidCardListItem(
                f"the range must lie within {plain(product.min_face)}–{plain(product.max_face)}")
        fields = {"mode": CardMode.RANGE, "denominations": [], "min_face": low, "max_face": high}
    item = await CardListItem.get_or_none(card_list_id=card_list.id, product_id=product_id)
    before = None
    if item is None:
        item = await CardListItem.create(card_list_id=card_list.id, product_id=product_id, **fields)
    else:
        before = {"mode": item.mode, "denominations": item.denominations,
                  "min_face": item.min_face, "max_face": item.max_face}
        for key, value in fields.items():
            setattr(item, key, value)
        await item.save()
    await audit.record(actor=actor, action="cardlist.put", object_type="card_list", object_id=card_list.id,
                       before=before, after={"product_id": product_id, **fields})
    return item


async def remove_item(*, card_list: CardList, product_id: int, actor: Actor) -> bool:
    require_transaction()
    require_admin(actor)
    deleted = await CardListItem.filter(card_list_id=card_list.id, product_id=product_id).delete()
    if deleted:
        await audit.record(actor=actor, action="cardlist.remove", object_type="card_list",
                           object_id=card_list.id, before={"product_id": product_id})
    return bool(deleted)


async def drop_party_list(*, party_id: int, actor: Actor) -> bool:
    """The party falls back to the default list (agents) or the full catalog (partners)."""
    require_transaction()
    require_admin(actor)
    card_list = await CardList.get_or_none(party_id=party_id)
    if card_list is None:
        return False
    await CardListItem.filter(card_list_id=card_list.id).delete()
    await card_list.delete()
    await audit.record(actor=actor, action="cardlist.drop", object_type="party", object_id=party_id)
    return True


async def list_items(card_list: CardList) -> list[CardListItem]:
    return await CardListItem.filter(card_list_id=card_list.id).order_by("product_id")
