"""Card lists: which cards (and which denominations) a party may buy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.catalog.models import CardList, CardListItem, CardMode, Product
from core.db import require_transaction
from core.errors import NotFound, ValidationFailed
from core.money import plain
from core.parties.models import Party, PartyKind


class InvalidCardListItem(ValidationFailed):
    code = "cardlist.invalid_item"


class CardListNotFound(NotFound):
    code = "cardlist.not_found"


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


LIST_ORDER = ("position", "product_id")  # a list's cards as admins arranged them


async def _list_offers(card_list: CardList | None) -> dict[int, Offer]:
    if card_list is None:
        return {}
    items = await CardListItem.filter(card_list_id=card_list.id).order_by(*LIST_ORDER)
    return {i.product_id: offer_from_item(i) for i in items}


async def offers_for(party: Party) -> dict[int, Offer] | None:
    """Product id → offer for this party; None means the whole catalog (a partner without a list).

    The dict is in the order of the list the party buys from (its own, else the default): the order
    it sees its cards in. Narrowing by the parent keeps that order.
    """
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
    await _lock_list(card_list.id)
    item = await CardListItem.get_or_none(card_list_id=card_list.id, product_id=product_id)
    before = None
    if item is None:  # a new card goes to the end of the list
        last = await CardListItem.filter(card_list_id=card_list.id).order_by("-position").first()
        fields["position"] = 0 if last is None else last.position + 1
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
    """The list's cards in their order, each with its product."""
    return await (CardListItem.filter(card_list_id=card_list.id).order_by(*LIST_ORDER)
                  .prefetch_related("product"))


async def _lock_list(card_list_id: int) -> None:
    """Serializes changes to one list's order (adding at the end, moving)."""
    await CardList.filter(id=card_list_id).select_for_update().values_list("id", flat=True)


async def move_item(*, actor: Actor, card_list: CardList, product_id: int, up: bool) -> bool:
    """Move a card one place up (towards the top) or down. False when it is already at that end.

    The list is renumbered 0..n-1 on the way, so positions stay dense whatever came before.
    """
    require_transaction()
    require_admin(actor)
    await _lock_list(card_list.id)
    items = await CardListItem.filter(card_list_id=card_list.id).order_by(*LIST_ORDER)
    index = next((i for i, item in enumerate(items) if item.product_id == product_id), None)
    if index is None:
        raise InvalidCardListItem(f"product {product_id} is not on this list")
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return False
    before = [item.product_id for item in items]
    items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            await item.save(update_fields=["position"])
    await audit.record(actor=actor, action="cardlist.move", object_type="card_list", object_id=card_list.id,
                       before={"order": before}, after={"order": [item.product_id for item in items],
                                                        "product_id": product_id, "up": up})
    return True


# --- Reads for the admin views ----------------------------------------------------------------


async def default_list(*, actor: Actor) -> CardList | None:
    """The default agent list, or None before anyone created it (reading never creates it)."""
    require_admin(actor)
    return await CardList.get_or_none(is_default_agent_list=True)


async def own_list(*, actor: Actor, party_id: int) -> CardList | None:
    """The party's own list, or None when it buys from the default list (agents) or the full catalog
    (partners). Reading never creates a list: an empty own list would hide every default card."""
    require_admin(actor)
    return await CardList.get_or_none(party_id=party_id)


async def get_list(*, actor: Actor, card_list_id: int) -> CardList:
    require_admin(actor)
    card_list = await CardList.get_or_none(id=card_list_id)
    if card_list is None:
        raise CardListNotFound(f"no card list {card_list_id}")
    return card_list


async def copy_default_to_party(*, actor: Actor, party_id: int) -> CardList:
    """Give a party its own list that starts as a copy of the default list (same cards, same order).

    A party that already has its own list keeps it unchanged."""
    require_transaction()
    require_admin(actor)
    existing = await CardList.get_or_none(party_id=party_id)
    if existing is not None:
        return existing
    card_list = await party_list(party_id=party_id, actor=actor)
    default = await CardList.get_or_none(is_default_agent_list=True)
    copied = []
    if default is not None:
        for position, item in enumerate(await CardListItem.filter(card_list_id=default.id).order_by(*LIST_ORDER)):
            await CardListItem.create(card_list_id=card_list.id, product_id=item.product_id, mode=item.mode,
                                      denominations=list(item.denominations), min_face=item.min_face,
                                      max_face=item.max_face, position=position)
            copied.append(item.product_id)
    await audit.record(actor=actor, action="cardlist.copy_default", object_type="card_list",
                       object_id=card_list.id, after={"party_id": party_id, "products": copied})
    return card_list


@dataclass(frozen=True)
class ProductPage:
    items: list[Product]
    next_cursor: int | None  # the last product id of this page, when there are more


async def search_catalog(*, actor: Actor, text: str, limit: int = 8, cursor: int | None = None) -> ProductPage:
    """Catalog products whose name or brand contains `text`, or whose id it is (admins picking cards
    for a list), in product id order; gone products are left out."""
    from tortoise.expressions import Q

    require_admin(actor)
    text = (text or "").strip()
    limit = max(1, min(limit, 50))
    query = Product.filter(gone_at=None)
    if text:
        matches = Q(name__icontains=text) | Q(brand__name__icontains=text)
        digits = text.lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            matches |= Q(id=int(digits))
        query = query.filter(matches)
    if cursor is not None:
        query = query.filter(id__gt=cursor)
    rows = await query.order_by("id").limit(limit + 1).prefetch_related("brand")
    has_more = len(rows) > limit
    rows = rows[:limit]
    return ProductPage(items=rows, next_cursor=rows[-1].id if has_more and rows else None)
