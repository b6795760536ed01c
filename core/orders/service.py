"""Orders: create (price, insert, hold — one transaction), guarded status changes, reads, reveals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.access.actor import Actor, ActorKind
from core.access.policy import Permission, authorize, is_privileged, require_admin
from core.errors import PermissionDenied
from core.audit import service as audit
from core.catalog.offers import quote_purchase
from core.crypto import decrypt
from core.db import require_transaction
from core.ledger import service as ledger
from core.ledger.digest import fingerprint
from core.ledger.errors import InsufficientFunds
from core.money import to_minor
from core.orders.errors import (
    InvalidOrderTransition,
    OrderInsufficientFunds,
    OrderNotCompleted,
    OrderNotFound,
    PriceChanged,
    ReferenceConflict,
)
from core.orders.models import TERMINAL_STATUSES, Card, Order, OrderStatus
from core.parties.errors import PartyInactive
from core.parties.models import Party, PartyStatus
from core.pricing.errors import NoExchangeRate, PriceBelowCost, ProductUnavailable

# Which status may follow which: the only doors of the state machine.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PLACING, OrderStatus.FAILED}),
    # Back to pending only when the vendor provably never saw the request (rate limited, no connection).
    OrderStatus.PLACING: frozenset({OrderStatus.PROCESSING, OrderStatus.PENDING, OrderStatus.FAILED,
                                    OrderStatus.COMPLETED, OrderStatus.PARTIALLY_COMPLETED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIALLY_COMPLETED, OrderStatus.FAILED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.PARTIALLY_COMPLETED: frozenset(),
    OrderStatus.FAILED: frozenset(),
}


def check_transition(current: OrderStatus, to: OrderStatus) -> None:
    if to not in TRANSITIONS[current]:
        raise InvalidOrderTransition(f"an order cannot go from {current} to {to}")


@dataclass(frozen=True)
class CreatedOrder:
    order: Order
    created: bool  # False: the reference was seen before and this is the earlier order
    # Outbox rows written with the order (e.g. wallet.low_balance): enqueue them after commit.
    notifications: tuple = ()


def _request_fingerprint(product_id: int, face: Decimal, quantity: int) -> str:
    return fingerprint("order", product_id, format(Decimal(face).normalize(), "f"), quantity)


async def create_order(
    *, actor: Actor, party_id: int, product_id: int, face_value: Decimal, quantity: int,
    reference: str | None = None, expected_total: int | None = None, chat_id: int | None = None,
    message_id: int | None = None, expected_total_amount: Decimal | None = None,
) -> CreatedOrder:
    """Validate, price, insert and hold the money in the caller's transaction.

    The buyer's owner or manager (or its API key, or an admin) orders for the buyer itself, never
    for another party; the acting member is the actor's own membership, so it always belongs to the
    buying party. An API key's mode decides the order's mode.

    The caller commits, then enqueues `place_order:<id>`. A repeated reference returns the first
    order (also when duplicates race); the same reference for another purchase is a conflict, and so
    is a reference already used by an order of the other mode (a test key never gets a live order).

    `expected_total` (minor units) or `expected_total_amount` (a decimal amount in the wallet's
    currency, converted exactly): the most the buyer agreed to pay; a higher total is `PriceChanged`.
    """
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.ORDER)
    member_id = actor.member_id if actor.kind == ActorKind.MEMBER else None
    livemode = actor.livemode
    request_fp = _request_fingerprint(product_id, face_value, quantity)
    if reference is not None:
        existing = await Order.get_or_none(party_id=party_id, reference=reference)
        if existing is not None:
            return _replay(existing, request_fp, livemode)
    party = await Party.get_or_none(id=party_id)
    # A pending partner's test key may order in the sandbox (authorize let only that through).
    sandbox_while_pending = not livemode and party is not None and party.status == PartyStatus.PENDING
    if party is None or (party.status != PartyStatus.ACTIVE and not sandbox_while_pending):
        raise PartyInactive("this account cannot order right now", party_id=party_id)
    if expected_total_amount is not None:
        expected_total = to_minor(expected_total_amount, party.currency)
    try:
        quote = await quote_purchase(party=party, product_id=product_id, face=Decimal(face_value), quantity=quantity)
    except (PriceBelowCost, NoExchangeRate):
        if is_privileged(actor):
            raise
        # As the catalog's quote says it: our costs are never part of a party's answer.
        raise ProductUnavailable("this card is not for sale right now", product_id=product_id) from None
    if expected_total is not None and expected_total < quote.total:
        raise PriceChanged("the price changed since you saw it", total=quote.total)
    order_id = uuid.uuid4()
    try:
        # A savepoint: a concurrent duplicate waits on the unique index, then lands here.
        async with in_transaction("default"):
            order = await Order.create(
                id=order_id, party_id=party_id, member_id=member_id, actor=actor.label, product_id=product_id,
                face_value=Decimal(face_value), card_currency=quote.card_currency, quantity=quantity,
                currency=quote.currency, unit_price=quote.unit_price, total=quote.total, quote=quote.to_dict(),
                reference=reference or order_id.hex, request_fingerprint=request_fp,
                vendor_request_id=uuid.uuid4(), chat_id=chat_id, message_id=message_id, livemode=livemode,
            )
    except IntegrityError:
        existing = await Order.get(party_id=party_id, reference=reference)
        return _replay(existing, request_fp, livemode)
    try:
        # The order's mode picks the book: a test order can only ever hold sandbox money.
        hold = await ledger.hold(party_id=party_id, amount=quote.total, reference=f"order:{order.id}",
                                 actor=actor, idempotency_key=f"order:{order.id}", livemode=order.livemode,
                                 memo=await order_memo(order, f"{quantity} × {{product}} {_face(order)}"))
    except InsufficientFunds as exc:
        raise OrderInsufficientFunds("not enough money in the wallet for this order", **exc.details) from exc
    order.hold_id = hold.id
    await order.save(update_fields=["hold_id"])
    await audit.record(actor=actor, action="order.create", object_type="order", object_id=order.id,
                       after={"party_id": party_id, "product_id": product_id, "face_value": str(face_value),
                              "quantity": quantity, "total": quote.total, "reference": order.reference})
    return CreatedOrder(order=order, created=True, notifications=tuple(getattr(hold, "notifications", ())))


@dataclass(frozen=True)
class MoneySplit:
    """Where the price of `delivered` cards goes, from the order's stored quote (minor units)."""

    paid: int
    vendor: int
    commission: int  # the parent's revenue share
    platform: int  # negative when an admin let the card sell below cost


def money_split(order: Order, delivered: int) -> MoneySplit:
    quote = order.quote
    paid, vendor, commission = (quote[k] * delivered for k in ("unit_price", "vendor_unit_cost", "commission_unit"))
    return MoneySplit(paid=paid, vendor=vendor, commission=commission, platform=paid - vendor - commission)


def _face(order: Order) -> str:
    return f"{format(Decimal(order.face_value).normalize(), 'f')} {order.card_currency}"


async def order_memo(order: Order, text: str) -> str:
    """The words a statement line shows for an order's money: "order 1a2b3c4d: 3 × Amazon US 20 USD"."""
    from core.catalog.models import Product

    name = await Product.filter(id=order.product_id).first().values_list("name", flat=True)
    return f"order {str(order.id)[:8]}: " + text.replace("{product}", name or f"product {order.product_id}")


def _replay(existing: Order, request_fp: str, livemode: bool) -> CreatedOrder:
    if existing.request_fingerprint != request_fp or existing.livemode != livemode:
        raise ReferenceConflict("this reference was already used for a different order",
                                order_id=str(existing.id))
    return CreatedOrder(order=existing, created=False)


# Statuses the buyer's order message shows as they happen (a move back to pending is not news).
LIVE_STATUSES = frozenset({OrderStatus.PROCESSING, *TERMINAL_STATUSES})


async def move(order: Order, to: OrderStatus, **changes) -> Order:
    """Guarded status change on a row the caller has locked (SELECT … FOR UPDATE).

    An order placed from Telegram has a message that shows its progress: each move worth showing
    writes an outbox row asking the bot to edit that message in place (same transaction).
    """
    require_transaction()
    check_transition(order.status, to)
    order.status = to
    for key, value in changes.items():
        setattr(order, key, value)
    await order.save(update_fields=["status", "updated_at", *changes.keys()])
    if to in LIVE_STATUSES and order.chat_id is not None and order.message_id is not None:
        from core.notifications import service as notifications

        await notifications.notify_telegram(
            telegram_user_id=order.chat_id, message_key="order.live", params={"order_id": str(order.id)},
            party_id=order.party_id, edit={"chat_id": order.chat_id, "message_id": order.message_id})
    return order


async def lock_order(order_id) -> Order:
    require_transaction()
    order = await Order.filter(id=order_id).select_for_update().first()
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


async def _find_order(order_id) -> Order | None:
    try:
        # Parsed here: an id that is not a UUID is "no such order", never a database error.
        parsed = order_id if isinstance(order_id, uuid.UUID) else uuid.UUID(str(order_id))
    except (ValueError, TypeError, AttributeError):
        return None
    return await Order.get_or_none(id=parsed)


async def _visible_order(actor: Actor, order_id, permission: Permission, *, parent_may: bool) -> Order:
    """The order if `actor` may see it; one answer for "no such order" and "not yours" (no probing).

    An API key sees only the orders of its own mode: a live key never sees a test order, and back.
    """
    order = await _find_order(order_id)
    is_key = isinstance(actor, Actor) and actor.kind == ActorKind.API_KEY
    if order is None or (is_key and order.livemode != actor.livemode):
        raise OrderNotFound(f"no order {order_id}")
    try:
        await authorize(actor, party_id=order.party_id, permission=permission, parent_may=parent_may)
    except PermissionDenied as exc:
        raise OrderNotFound(f"no order {order_id}") from exc
    return order


async def get_order(*, actor: Actor, order_id) -> Order:
    """The buyer's members and keys, its direct parent, and admins see an order."""
    return await _visible_order(actor, order_id, Permission.READ, parent_may=True)


OrderPosition = tuple[datetime, uuid.UUID]  # (created_at, id): where a page of orders ended


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    next_after: OrderPosition | None  # pass as `after` for the next page; None on the last page


def position_of(order: Order) -> OrderPosition:
    return order.created_at, order.id


async def _orders_query(*, actor: Actor, party_id: int | None, status: OrderStatus | None, reference: str | None,
                        created_after: datetime | None, created_before: datetime | None,
                        before: datetime | None, after: OrderPosition | None):
    if party_id is None:
        require_admin(actor)
    else:
        await authorize(actor, party_id=party_id, permission=Permission.READ, parent_may=True)
    upper = min((b for b in (created_before, before) if b is not None), default=None)
    filters = {"party_id": party_id, "status": status, "reference": reference,
               "created_at__gte": created_after, "created_at__lt": upper}
    query = Order.filter(**{k: v for k, v in filters.items() if v is not None})
    if actor.kind == ActorKind.API_KEY:
        query = query.filter(livemode=actor.livemode)
    if after is not None:
        # Keyset on (created_at, id), newest first: rows sharing a timestamp are ordered by id, so a
        # page boundary inside such a run neither skips nor repeats a row.
        at, last_id = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id))
    return query.order_by("-created_at", "-id")


async def list_orders(*, actor: Actor, party_id: int | None = None, status: OrderStatus | None = None,
                      reference: str | None = None, created_after: datetime | None = None,
                      created_before: datetime | None = None, limit: int = 20,
                      before: datetime | None = None, after: OrderPosition | None = None) -> list[Order]:
    """One party's orders, newest first (its members, its direct parent, admins); all parties' only
    for admins. An API key sees its own mode only. Page with `after` (the last row's `position_of`);
    `before` (a bare timestamp) is kept for old callers: it skips rows that share that timestamp."""
    query = await _orders_query(actor=actor, party_id=party_id, status=status, reference=reference,
                                created_after=created_after, created_before=created_before, before=before,
                                after=after)
    return await query.limit(max(1, min(limit, 100)))


async def order_page(*, actor: Actor, party_id: int | None, status: OrderStatus | None = None,
                     reference: str | None = None, created_after: datetime | None = None,
                     created_before: datetime | None = None, limit: int = 20,
                     after: OrderPosition | None = None) -> OrderPage:
    """`list_orders` as pages: up to `limit` (1–100) orders and where the next page starts."""
    limit = max(1, min(limit, 100))
    query = await _orders_query(actor=actor, party_id=party_id, status=status, reference=reference,
                                created_after=created_after, created_before=created_before, before=None,
                                after=after)
    rows = list(await query.limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return OrderPage(orders=rows, next_after=position_of(rows[-1]) if more and rows else None)


@dataclass(frozen=True)
class MaskedCard:
    id: int
    masked_code: str
    serial_number: str | None
    expires_at: datetime | None


@dataclass(frozen=True)
class RevealedCard:
    id: int
    code: str
    pin: str | None
    serial_number: str | None
    expires_at: datetime | None

    def __repr__(self) -> str:  # a stray log of this object must not print the code
        return f"RevealedCard(id={self.id}, code=****{self.code[-4:]})"


async def masked_cards(*, order: Order) -> list[MaskedCard]:
    cards = await Card.filter(order_id=order.id).order_by("id")
    return [MaskedCard(c.id, f"****{c.code_last4}", *_serial_and_expiry(c)) for c in cards]


def _serial_and_expiry(card: Card) -> tuple[str | None, datetime | None]:
    serial = decrypt(card.serial_encrypted) if card.serial_encrypted else None
    expires = datetime.fromisoformat(decrypt(card.expires_encrypted)) if card.expires_encrypted else None
    return serial, expires


async def reveal_cards(*, actor: Actor, order_id, card_id: int | None = None) -> list[RevealedCard]:
    """Decrypt the codes for the buying party's owner, managers and keys, or an admin — never a
    parent or a viewer. Every reveal is audited (who, when, which cards — never the code)."""
    require_transaction()
    order = await _visible_order(actor, order_id, Permission.ORDER, parent_may=False)
    if order.status not in TERMINAL_STATUSES or order.cards_delivered == 0:
        raise OrderNotCompleted("the cards are not delivered yet", status=order.status)
    query = Card.filter(order_id=order.id)
    if card_id is not None:
        query = query.filter(id=card_id)
    cards = await query.order_by("id")
    after = {"cards": [c.id for c in cards], "at": datetime.now(UTC)}
    if getattr(actor, "api_key_id", None) is not None:  # which key; the label names its prefix
        after["api_key_id"] = actor.api_key_id
    await audit.record(actor=actor, action="card.reveal", object_type="order", object_id=order.id, after=after)
    return [RevealedCard(c.id, decrypt(c.code_encrypted), decrypt(c.pin_encrypted) if c.pin_encrypted else None,
                         *_serial_and_expiry(c)) for c in cards]
