"""Partner API: orders — create (202, idempotent), read, list (cursor pages), reveal the cards."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import current_actor
from api.idempotency import Created, IdempotencyKeyHeader, run_idempotent
from api.v1.common import utc, DecimalString, InvalidCursor, Money, Page, decode_cursor, encode_cursor, money, \
    problem_responses
from core.access.actor import Actor
from core.db import atomic
from core.errors import NotFound
from core.money import quantum
from core.orders import service as orders
from core.orders.models import Order as OrderRow, OrderStatus
from core.pricing.errors import ProductNotFound


router = APIRouter(prefix="/v1", tags=["orders"])

_ORDER_ID = "0b9f4a52-6c3e-4d8e-a1f7-3c2d9e8b7a61"


class NewOrder(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"product_id": 101, "face_value": "10.00", "quantity": 2, "reference": "po-4711", "expected_total": "19.40"},
    ]})

    product_id: int = Field(strict=True, description="From `GET /v1/catalog`", examples=[101])
    face_value: DecimalString = Field(description="Of one card, in the card's currency, as a decimal string",
                                      examples=["10.00"])
    quantity: int = Field(strict=True, ge=1, le=500, description="Cards of this face value (1–500)", examples=[2])
    reference: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Your id for this purchase, unique per account: sending it again returns the first order "
                    "(it is an idempotency key too); the same reference for another purchase is 409 "
                    "`order.reference_conflict`. Defaults to the order id.", examples=["po-4711"])
    expected_total: DecimalString | None = Field(
        default=None, description="The most you agree to pay (in your wallet's currency, e.g. a quote's total): "
                                  "when the current total is higher the order is refused with 409 "
                                  "`order.price_changed` and no money moves.", examples=["19.40"])


class Failure(BaseModel):
    code: str = Field(description="Stable, dotted", examples=["vendor.failed"])
    message: str = Field(examples=["the vendor could not deliver this card"])


class Order(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": _ORDER_ID, "reference": "po-4711", "status": "pending", "product_id": 101,
        "face_value": {"amount": "10.00", "currency": "USD"}, "quantity": 2,
        "unit_price": {"amount": "9.70", "currency": "USD"}, "total": {"amount": "19.40", "currency": "USD"},
        "currency": "USD", "created_at": "2025-01-31T12:00:00Z", "completed_at": None, "cards_delivered": 0,
        "failure": None, "livemode": True,
    }]})

    id: uuid.UUID = Field(examples=[_ORDER_ID])
    reference: str = Field(examples=["po-4711"])
    status: OrderStatus = Field(description="pending → placing → processing → completed | partially_completed | "
                                            "failed", examples=["pending"])
    product_id: int = Field(examples=[101])
    face_value: Money = Field(description="Of one card, in the card's currency")
    quantity: int = Field(examples=[2])
    unit_price: Money = Field(description="What one card costs you, in your wallet's currency")
    total: Money = Field(description="Held when the order is accepted; what is not delivered is released")
    currency: str = Field(description="Your wallet's currency (unit_price, total)", examples=["USD"])
    created_at: datetime = Field(examples=["2025-01-31T12:00:00Z"])
    completed_at: datetime | None = Field(description="When the order reached a final status", examples=[None])
    cards_delivered: int = Field(description="Fetch them with `GET /v1/orders/{id}/cards`", examples=[0])
    failure: Failure | None = Field(description="Why it failed; null otherwise")
    livemode: bool = Field(description="false: a sandbox order of a `sk_test_` key", examples=[True])


class Card(BaseModel):
    code: str = Field(examples=["ABCD-EFGH-IJKL-1234"])
    pin: str | None = Field(examples=["4321"])
    serial: str | None = Field(examples=["SN-000123"])
    expires_at: datetime | None = Field(examples=["2027-12-31T00:00:00Z"])


def _face(order: OrderRow) -> Money:
    face = Decimal(order.face_value)
    step = quantum(order.card_currency)
    shown = face.quantize(step) if face == face.quantize(step) else face.normalize()
    return Money(amount=format(shown, "f"), currency=order.card_currency)


def _failure(order: OrderRow) -> Failure | None:
    if order.failure_code is not None:
        return Failure(code=order.failure_code, message=order.failure_message or order.failure_code)
    if order.status == OrderStatus.FAILED:
        return Failure(code="order.failed", message="the order failed")
    return None


def render_order(order: OrderRow) -> Order:
    return Order(
        id=order.id, reference=order.reference, status=order.status, product_id=order.product_id,
        face_value=_face(order), quantity=order.quantity, unit_price=money(order.unit_price, order.currency),
        total=money(order.total, order.currency), currency=order.currency, created_at=order.created_at,
        completed_at=order.completed_at, cards_delivered=order.cards_delivered, failure=_failure(order),
        livemode=order.livemode,
    )


@router.post(
    "/orders", status_code=202, response_model=Order, summary="Buy cards",
    description="Prices the order, holds its total in your wallet and queues it for the vendor: the answer is "
                "202 with the order in status `pending`. Follow it with `GET /v1/orders/{id}` or the "
                "`order.*` webhooks. Every refusal happens before any money moves. Idempotent by the "
                "`Idempotency-Key` header and by `reference` (a request with both honours both).",
    responses=problem_responses(
        (402, "order.insufficient_funds"), (404, "not_found"), (409, "order.product_unavailable"),
        (409, "order.price_changed"), (409, "order.reference_conflict"), (409, "idempotency.mismatch"),
        (422, "order.invalid_face_value"), (422, "validation_failed"), (422, "idempotency.invalid_key")),
)
async def create_order(body: NewOrder, request: Request, actor: Actor = Depends(current_actor),
                       idempotency_key: IdempotencyKeyHeader = None) -> Response:
    async def create() -> Created:
        made = await orders.create_order(
            actor=actor, party_id=actor.party_id, product_id=body.product_id, face_value=body.face_value,
            quantity=body.quantity, reference=body.reference, expected_total_amount=body.expected_total)

        async def after_commit() -> None:
            from jobs.enqueue import enqueue_place
            from jobs.notifications import enqueue_deliveries

            if made.created:
                await enqueue_place(request.app.state.arq, made.order.id)
            if made.notifications:
                await enqueue_deliveries(request.app.state.arq, made.notifications)

        return Created(202, render_order(made.order), after_commit)

    try:
        return await run_idempotent(request, actor=actor, create=create)
    except ProductNotFound as exc:
        # One answer for "no such product" and "not one you may buy", in API.md's words.
        raise NotFound(f"no product {body.product_id}") from exc


@router.get("/orders/{order_id}", response_model=Order, summary="One order",
            description="Never the card codes: those come from `GET /v1/orders/{id}/cards`.",
            responses=problem_responses((404, "not_found")))
async def get_order(order_id: str, actor: Actor = Depends(current_actor)) -> Order:
    return render_order(await orders.get_order(actor=actor, order_id=order_id))


def _position(cursor: str | None) -> orders.OrderPosition | None:
    parts = decode_cursor(cursor, 2)
    if parts is None:
        return None
    try:
        return datetime.fromisoformat(parts[0]), uuid.UUID(parts[1])
    except (TypeError, ValueError):
        raise InvalidCursor("this cursor was not made by this API") from None


@router.get("/orders", response_model=Page[Order], summary="Your orders, newest first",
            responses=problem_responses((422, "validation_failed"), (422, "cursor.invalid")))
async def list_orders(
    actor: Actor = Depends(current_actor),
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status")] = None,
    reference: Annotated[str | None, Query(max_length=200, description="The order with this reference")] = None,
    created_after: Annotated[datetime | None, Query(description="RFC 3339; inclusive",
                                                    examples=["2025-01-01T00:00:00Z"])] = None,
    created_before: Annotated[datetime | None, Query(description="RFC 3339; exclusive",
                                                     examples=["2025-02-01T00:00:00Z"])] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[Order]:
    page = await orders.order_page(actor=actor, party_id=actor.party_id, status=status, reference=reference,
                                   created_after=utc(created_after), created_before=utc(created_before),
                                   limit=limit, after=_position(cursor))
    next_cursor = None
    if page.next_after is not None:
        at, last_id = page.next_after
        next_cursor = encode_cursor(at.isoformat(), str(last_id))
    return Page[Order](data=[render_order(o) for o in page.orders], next_cursor=next_cursor)


@router.get("/orders/{order_id}/cards", response_model=list[Card], summary="The cards of a completed order",
            description="The codes, PINs and serials. Every call is audited (which key, when — never the codes). "
                        "The answer is `Cache-Control: no-store`: keep the codes out of caches and logs.",
            responses=problem_responses((404, "not_found"), (409, "order.not_completed")))
async def order_cards(order_id: str, response: Response, actor: Actor = Depends(current_actor)) -> list[Card]:
    async with atomic():
        cards = await orders.reveal_cards(actor=actor, order_id=order_id)
    response.headers["Cache-Control"] = "no-store"
    return [Card(code=c.code, pin=c.pin, serial=c.serial_number, expires_at=c.expires_at) for c in cards]
