"""Partner API: the webhook — its URL and events, the signing secret (shown once, rotated with 24 h of
overlap), a test ping, the delivery log and replays. A `sk_test_` key works on the party's test
endpoint only (test events), a `sk_live_` key on the live one: the two never mix."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import current_actor
from api.idempotency import Created, IdempotencyKeyHeader, run_idempotent
from api.v1.common import (
    decode_position,
    utc,
    Page,
    encode_cursor,
    problem_responses,
)
from core.access.actor import Actor
from core.errors import NotFound
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationStatus, WebhookEndpoint

router = APIRouter(prefix="/v1", tags=["webhook"])

_EVENTS = ", ".join(f"`{e}`" for e in notifications.EVENT_TYPES)
_WEBHOOK_EXAMPLE = {
    "url": "https://partner.example/steller/hooks", "events": ["order.completed", "order.failed"],
    "livemode": True, "created_at": "2025-01-31T12:00:00Z", "updated_at": "2025-02-01T08:30:00Z",
    "secret_rotating_until": None,
}
_SECRET_EXAMPLE = "whsec_9Xq2LmP4sT7vW1yZ3bC5dF8gH0jK6nR2"
_DELIVERY_EXAMPLE = {
    "id": 4711, "event_id": "evt_0b9f4a526c3e4d8ea1f73c2d9e8b7a61", "event": "order.completed",
    "status": "pending", "attempts": 1, "last_response_code": 503, "last_error": "HTTP 503",
    "next_attempt_at": "2025-01-31T12:01:00Z", "created_at": "2025-01-31T12:00:00Z", "delivered_at": None,
    "livemode": True, "replay_of": None,
}


class Webhook(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_WEBHOOK_EXAMPLE]})

    url: str = Field(description="Where events are POSTed", examples=["https://partner.example/steller/hooks"])
    events: list[str] = Field(description=f"The event types sent to it (a `ping` is sent whatever this says): "
                                          f"{_EVENTS}", examples=[["order.completed", "order.failed"]])
    livemode: bool = Field(description="false: the test endpoint, which gets test events (sandbox orders) only",
                           examples=[True])
    created_at: datetime
    updated_at: datetime
    secret_rotating_until: datetime | None = Field(
        description="After a rotation: until then the previous secret also signs (a second `v1=` in "
                    "`Steller-Signature`); null otherwise", examples=[None])


class WebhookWithSecret(Webhook):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_WEBHOOK_EXAMPLE, "secret": _SECRET_EXAMPLE}]})

    secret: str = Field(description="The signing secret: shown in this response only, store it now. Verify "
                                    "`Steller-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>`",
                        examples=[_SECRET_EXAMPLE])


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://partner.example/steller/hooks", "events": ["order.completed", "order.failed"]},
        {"url": "https://partner.example/steller/hooks"}]})

    url: str = Field(max_length=2048, description="https, to a public address (checked now and at every delivery)",
                     examples=["https://partner.example/steller/hooks"])
    events: list[Annotated[str, Field(max_length=64)]] | None = Field(default=None, max_length=20,
                                     description=f"Which event types to send: {_EVENTS}. Omitted: all of them; "
                                                 "[]: none (pings still arrive)",
                                     examples=[["order.completed", "order.failed"]])


class Delivery(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DELIVERY_EXAMPLE]})

    id: int = Field(description="The delivery (replay it with this id)", examples=[4711])
    event_id: str = Field(description="The event's id (`Steller-Event-Id`): a replay sends the same one again",
                          examples=["evt_0b9f4a526c3e4d8ea1f73c2d9e8b7a61"])
    event: str = Field(description="The event type", examples=["order.completed"])
    status: NotificationStatus = Field(description="pending (retrying) → delivered | failed", examples=["pending"])
    attempts: int = Field(description="Tries so far", examples=[1])
    last_response_code: int | None = Field(description="Your endpoint's HTTP status on the last try; null "
                                                       "when it did not answer", examples=[503])
    last_error: str | None = Field(default=None, description="Why the last try failed, briefly",
                                   examples=["HTTP 503"])
    next_attempt_at: datetime | None = Field(description="When the next try is due; null once delivered or failed")
    created_at: datetime
    delivered_at: datetime | None
    livemode: bool = Field(description="false: a test event (to the test endpoint)", examples=[True])
    replay_of: int | None = Field(default=None, description="The delivery this one replays", examples=[None])


def _webhook(endpoint: WebhookEndpoint) -> Webhook:
    return Webhook(url=endpoint.url, events=list(endpoint.events or []), livemode=endpoint.livemode,
                   created_at=endpoint.created_at, updated_at=endpoint.updated_at,
                   secret_rotating_until=notifications.secret_rotating_until(endpoint))


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**_webhook(endpoint).model_dump(), secret=secret)


def _delivery(row: Notification) -> Delivery:
    return Delivery(id=row.id, event_id=row.event_id, event=row.event_type, status=row.status,
                    attempts=row.attempts, last_response_code=row.last_status_code, last_error=row.last_error,
                    next_attempt_at=row.next_attempt_at, created_at=row.created_at, delivered_at=row.delivered_at,
                    livemode=row.livemode, replay_of=row.replay_of_id)


def _enqueue_after_commit(request: Request, row: Notification):
    async def after_commit() -> None:
        from jobs.notifications import enqueue_deliveries

        await enqueue_deliveries(request.app.state.arq, [row])

    return after_commit


_NOT_SET_UP = "`webhook.not_configured` when this mode has no webhook yet (`PUT /v1/webhook` first)"


@router.get("/webhook", response_model=Webhook, summary="Your webhook",
            description="The endpoint of the calling key's mode: a `sk_test_` key sees the test endpoint, a "
                        "`sk_live_` key the live one. Never the secret. 404 `not_found` when none is set up.",
            responses=problem_responses((404, "not_found")))
async def get_webhook(actor: Actor = Depends(current_actor)) -> Webhook:
    endpoint = await notifications.get_webhook(actor=actor, party_id=actor.party_id)
    if endpoint is None:
        raise NotFound("no webhook is set up for this mode: PUT /v1/webhook")
    return _webhook(endpoint)


@router.put(
    "/webhook", response_model=Webhook, summary="Set up or change your webhook",
    description="Sets the URL and event types of the calling key's mode's endpoint (test keys: the test "
                "endpoint, which receives test events only). Creating it answers 201 with the signing "
                "`secret` — **shown this once**, store it. Later PUTs answer 200 without it and keep the "
                "secret (use `POST /v1/webhook/rotate-secret` for a new one). The URL must be https to a "
                "public address: otherwise 422 `webhook.invalid_url`. Accepts `Idempotency-Key`: a retried "
                "creation returns the same secret.",
    responses={201: {"model": WebhookWithSecret,
                     "description": "Created: the only response that carries the signing secret"},
               **problem_responses((409, "idempotency.mismatch"), (422, "webhook.invalid_url"),
                                   (422, "webhook.unknown_event"), (422, "validation_failed"),
                                   (422, "idempotency.invalid_key"))},
)
async def put_webhook(body: WebhookSettings, request: Request, actor: Actor = Depends(current_actor),
                      idempotency_key: IdempotencyKeyHeader = None) -> Response:
    async def create() -> Created:
        endpoint, secret = await notifications.set_webhook(actor=actor, party_id=actor.party_id, url=body.url,
                                                           events=body.events)
        if secret is not None:
            return Created(201, _with_secret(endpoint, secret), sensitive=True)
        return Created(200, _webhook(endpoint))

    return await run_idempotent(request, actor=actor, create=create)


@router.post(
    "/webhook/rotate-secret", response_model=WebhookWithSecret, summary="Rotate the signing secret",
    description="A new signing `secret`, **shown in this response only**. For 24 hours "
                "(`secret_rotating_until`) every event is signed with both the new and the previous secret "
                "(two `v1=` in `Steller-Signature`), so you can switch without missing one; rotating again "
                "within that time retires the oldest secret at once. Accepts `Idempotency-Key`: a retry "
                "returns the same new secret instead of rotating twice.",
    responses=problem_responses((404, "webhook.not_configured"), (409, "idempotency.mismatch"),
                                (422, "idempotency.invalid_key")),
)
async def rotate_webhook_secret(request: Request, actor: Actor = Depends(current_actor),
                                idempotency_key: IdempotencyKeyHeader = None) -> Response:
    async def create() -> Created:
        endpoint, secret = await notifications.rotate_secret(actor=actor, party_id=actor.party_id)
        return Created(200, _with_secret(endpoint, secret), sensitive=True)

    return await run_idempotent(request, actor=actor, create=create)


@router.post(
    "/webhook/test", status_code=202, response_model=Delivery, summary="Send a test event",
    description="Sends a `ping` event to your endpoint (of the calling key's mode) now, whatever event types "
                "it subscribes to; the answer is the queued delivery — follow it in `GET /v1/webhook/deliveries`. "
                f"404 {_NOT_SET_UP}.",
    responses=problem_responses((404, "webhook.not_configured"), (409, "idempotency.mismatch"),
                                (422, "idempotency.invalid_key")),
)
async def send_test_event(request: Request, actor: Actor = Depends(current_actor),
                          idempotency_key: IdempotencyKeyHeader = None) -> Response:
    async def create() -> Created:
        row = await notifications.send_test_ping(actor=actor, party_id=actor.party_id)
        return Created(202, _delivery(row), after_commit=_enqueue_after_commit(request, row))

    return await run_idempotent(request, actor=actor, create=create)


@router.get("/webhook/deliveries", response_model=Page[Delivery], summary="Your webhook deliveries, newest first",
            description="Every delivery of the calling key's mode — each event sent, its tries, your "
                        "endpoint's last answer and the next try (retries back off for about 24 h, then the "
                        "delivery is `failed`). Replays are deliveries of their own with the same `event_id`.",
            responses=problem_responses((422, "validation_failed"), (422, "webhook.unknown_event"),
                                        (422, "cursor.invalid")))
async def list_webhook_deliveries(
    actor: Actor = Depends(current_actor),
    status: Annotated[NotificationStatus | None, Query(description="Only deliveries in this status")] = None,
    event: Annotated[str | None, Query(max_length=64, description=f"Only this event type: {_EVENTS}",
                                       examples=["order.completed"])] = None,
    since: Annotated[datetime | None, Query(description="Created at or after (RFC 3339)",
                                            examples=["2025-01-01T00:00:00Z"])] = None,
    until: Annotated[datetime | None, Query(description="Created before (RFC 3339; exclusive)",
                                            examples=["2025-02-01T00:00:00Z"])] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Page[Delivery]:
    page = await notifications.list_deliveries(actor=actor, party_id=actor.party_id, limit=limit,
                                               cursor=decode_position(cursor), status=status, event_type=event,
                                               since=utc(since), until=utc(until))
    next_cursor = None if page.next_cursor is None else encode_cursor(page.next_cursor)
    return Page[Delivery](data=[_delivery(row) for row in page.items], next_cursor=next_cursor)


@router.post(
    "/webhook/deliveries/{delivery_id}/replay", status_code=202, response_model=Delivery,
    summary="Send a delivery's event again",
    description="Queues a new delivery of the same event — the same `event_id` and body — to your endpoint of "
                "the event's mode, whatever happened to the first. Dedupe on the event id. Another party's or "
                "the other mode's delivery is 404 `not_found`.",
    responses=problem_responses((404, "not_found"), (409, "idempotency.mismatch"),
                                (422, "idempotency.invalid_key")),
)
async def replay_webhook_delivery(
    request: Request,
    delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="From `GET /v1/webhook/deliveries`")],
    actor: Actor = Depends(current_actor),
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    async def create() -> Created:
        row = await notifications.replay(actor=actor, party_id=actor.party_id, notification_id=delivery_id)
        return Created(202, _delivery(row), after_commit=_enqueue_after_commit(request, row))

    return await run_idempotent(request, actor=actor, create=create)
