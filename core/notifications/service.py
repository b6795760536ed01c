"""Notifications: an outbox written in the emitter's transaction, delivered later by workers.

Webhooks are signed like Stripe's: `Steller-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
For 24 h after a secret rotation the header carries a second `v1` made with the old secret, so a
receiver verifies whichever secret it has. Delivery is at least once; receivers dedupe on the event id.

A party has up to two endpoints, one per mode: live events go only to its live endpoint, test events
(`livemode: false`: sandbox orders, test pings) only to its test endpoint. An API key configures, reads,
pings and replays its own mode's only (sk_live_ / sk_test_); other actors pick the mode (default live).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets as secrets_module
import string
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import httpx
from tortoise.expressions import Q

from core.access.actor import Actor, ActorKind
from core.access.errors import AccessDenied
from core.access.policy import Permission, authorize
from core.audit import service as audit
from core.config import get_settings
from core.crypto import decrypt, encrypt
from core.db import atomic, require_transaction
from core.errors import ValidationFailed
from core.logging import get_logger, redact_secrets
from core.notifications import urls
from core.notifications.errors import (
    DeliveryNotFound,
    InvalidWebhookUrl,
    UnknownEventType,
    WebhookNotConfigured,
)
from core.notifications.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    WebhookEndpoint,
)
from core.notifications.telegram import TelegramNotifier, TelegramRetryLater, TelegramUndeliverable
from core.notifications.transport import AddressRefused
from core.parties.errors import PartyNotFound
from core.parties.models import AdminUser, Member, MemberRole, MemberStatus, Party

log = get_logger("core.notifications")

EVENT_TYPES = (
    "order.completed",
    "order.partially_completed",
    "order.failed",
    "wallet.credited",
    "wallet.low_balance",
    "ping",
)
# Wait after the 1st, 2nd, … failed try (API.md); after the last one the delivery is marked failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
WEBHOOK_TIMEOUT_SECONDS = 10.0
TELEGRAM_TIMEOUT_SECONDS = 60.0
# Longer than either timeout: a live worker always finishes before its lease runs out.
CLAIM_LEASE = timedelta(seconds=120)
SECRET_OVERLAP = timedelta(hours=24)
SIGNATURE_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Steller-Signature"
EVENT_ID_HEADER = "Steller-Event-Id"
USER_AGENT = "Steller-Webhooks/1"
SECRET_PREFIX = "whsec_"
# Letters and digits only, so the log redactor's `whsec_[A-Za-z0-9]{8,}` always covers the whole secret.
_SECRET_ALPHABET = string.ascii_letters + string.digits
MAX_PAGE = 100
PING_DATA = {"message": "This is a test event from Steller."}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    """What a JSON payload may hold: money and ids as strings, timestamps as RFC 3339."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _short_error(text: str) -> str:
    # last_error is shown to partners and admins: short, and scrubbed of anything secret-looking.
    return redact_secrets(None, "", {"error": text})["error"][:300]


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + "".join(secrets_module.choice(_SECRET_ALPHABET) for _ in range(32))


# --- Signing (pure: partners and tests use these too) --------------------------------------------


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """The hex `v1` signature: HMAC-SHA256(secret, "<timestamp>.<raw body>")."""
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + raw, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Sequence[str], timestamp: int, body: bytes | str) -> str:
    """`t=<unix>,v1=<sig>[,v1=<sig with the previous secret>]`."""
    return ",".join([f"t={int(timestamp)}", *(f"v1={sign(s, timestamp, body)}" for s in secrets)])


def verify(
    header: str,
    secrets: str | Iterable[str],
    body: bytes | str,
    tolerance: float | None = SIGNATURE_TOLERANCE_SECONDS,
    *,
    now: float | datetime | None = None,
) -> bool:
    """True when one `v1` in the header matches one of `secrets` and `t` is within `tolerance` s of now."""
    if isinstance(secrets, str):
        secrets = [secrets]
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if tolerance is not None:
        current = now.timestamp() if isinstance(now, datetime) else (time.time() if now is None else now)
        if abs(current - timestamp) > tolerance:
            return False
    for secret in secrets:
        expected = sign(secret, timestamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return True
    return False


def event_body(payload: dict) -> bytes:
    """The exact bytes POSTed (and signed): the stored event, its envelope keys first."""
    envelope = ("id", "type", "created_at", "livemode", "data")
    ordered = {key: payload[key] for key in envelope if key in payload}
    ordered.update({k: v for k, v in payload.items() if k not in ordered})
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()


# --- Writing the outbox (inside the caller's transaction) ---------------------------------------

_collectors: ContextVar[list[list[Notification]] | None] = ContextVar("steller_outbox_collectors", default=None)


@contextlib.contextmanager
def collect_outbox() -> Iterator[list[Notification]]:
    """Every outbox row written inside the block (at any depth), for the caller to enqueue after the
    block's transactions committed. A row of a transaction that rolled back is simply not found later."""
    rows: list[Notification] = []
    token = _collectors.set([*(_collectors.get() or []), rows])
    try:
        yield rows
    finally:
        _collectors.reset(token)


def _collected(row: Notification) -> Notification:
    for rows in _collectors.get() or []:
        rows.append(row)
    return row



def _check_event_type(event_type: str) -> None:
    if event_type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {event_type!r}", field="events")


async def _create_webhook_row(*, party_id: int, event_type: str, data: dict, livemode: bool) -> Notification:
    now = _utcnow()
    event_id = new_event_id()
    payload = {
        "id": event_id, "type": event_type, "created_at": _rfc3339(now), "livemode": bool(livemode),
        "data": _jsonable(data),
    }
    return _collected(await Notification.create(
        channel=NotificationChannel.WEBHOOK, party_id=party_id, event_id=event_id, event_type=event_type,
        payload=payload, livemode=bool(livemode), next_attempt_at=now,
    ))


async def emit_event(*, party_id: int, event_type: str, data: dict, livemode: bool = True) -> list[Notification]:
    """A webhook outbox row when the party's endpoint of this mode subscribes to `event_type`; enqueue
    after commit. A test event (`livemode=False`) never reaches the live endpoint, nor a live one the test's."""
    require_transaction()
    _check_event_type(event_type)
    endpoint = await WebhookEndpoint.get_or_none(party_id=party_id, livemode=bool(livemode))
    if endpoint is None or event_type not in (endpoint.events or []):
        return []
    return [await _create_webhook_row(party_id=party_id, event_type=event_type, data=data, livemode=livemode)]


async def notify_telegram(
    *,
    telegram_user_id: int,
    message_key: str,
    params: dict,
    buttons: list | None = None,
    party_id: int | None = None,
    edit: dict | None = None,
) -> Notification:
    """A Telegram outbox row; `buttons` are [{"text_key", "data"}] as the bot's notifier renders them.

    `edit` ({"chat_id", "message_id"}) asks the notifier to edit that message in place instead of
    sending a new one (an order's live message).
    """
    require_transaction()
    payload = {"message_key": message_key, "params": _jsonable(params or {}),
               "buttons": None if buttons is None else _jsonable(buttons)}
    if edit is not None:
        payload["edit"] = {"chat_id": int(edit["chat_id"]), "message_id": int(edit["message_id"])}
    return _collected(await Notification.create(
        channel=NotificationChannel.TELEGRAM, party_id=party_id, telegram_user_id=int(telegram_user_id),
        event_id=new_event_id(), event_type=message_key, payload=payload,
        livemode=True, next_attempt_at=_utcnow(),
    ))


async def notify_party_members(
    *,
    party_id: int,
    message_key: str,
    params: dict,
    roles: Iterable[MemberRole] | None = None,
    buttons: list | None = None,
) -> list[Notification]:
    """One Telegram row per active member of the party (optionally only some roles)."""
    require_transaction()
    query = Member.filter(party_id=party_id, status=MemberStatus.ACTIVE)
    if roles is not None:
        query = query.filter(role__in=[MemberRole(r) for r in roles])
    rows = []
    for member in await query.order_by("id"):
        rows.append(await notify_telegram(telegram_user_id=member.telegram_user_id, message_key=message_key,
                                          params=params, buttons=buttons, party_id=party_id))
    return rows


async def notify_admins(*, message_key: str, params: dict, buttons: list | None = None) -> list[Notification]:
    """One Telegram row per admin: ADMIN_TELEGRAM_IDS plus the admins granted in the database."""
    require_transaction()
    admin_ids = set(get_settings().admin_telegram_ids)
    admin_ids.update(await AdminUser.all().values_list("telegram_user_id", flat=True))
    return [
        await notify_telegram(telegram_user_id=admin_id, message_key=message_key, params=params, buttons=buttons)
        for admin_id in sorted(admin_ids)
    ]


# --- Webhook configuration ------------------------------------------------------------------------


def _validate_events(events: Iterable[str] | None) -> list[str]:
    if events is None:
        return list(EVENT_TYPES)
    if isinstance(events, str):
        events = [events]
    wanted = set(events)
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise UnknownEventType(f"unknown event types: {', '.join(unknown)}", field="events")
    return [event for event in EVENT_TYPES if event in wanted]  # canonical order, no duplicates


def _endpoint_snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"party_id": endpoint.party_id, "livemode": endpoint.livemode, "url": endpoint.url,
            "events": list(endpoint.events or [])}


def _mode(actor: Actor, livemode: bool | None) -> bool | None:
    """The mode a use case acts in. An API key acts in its own (sk_live_ / sk_test_) and may not ask for
    the other; any other actor says which (None: whatever the use case defaults to)."""
    if actor.kind == ActorKind.API_KEY:
        if livemode is not None and bool(livemode) != actor.livemode:
            raise AccessDenied("a key acts on the webhook of its own mode only (sk_live_ / sk_test_)")
        return actor.livemode
    return livemode


def _endpoint_mode(actor: Actor, livemode: bool | None) -> bool:
    mode = _mode(actor, livemode)
    return True if mode is None else bool(mode)


async def set_webhook(
    *, actor: Actor, party_id: int, url: str, events: Iterable[str] | None, livemode: bool | None = None
) -> tuple[WebhookEndpoint, str | None]:
    """PUT: create or replace the url and events of the party's endpoint of one mode.

    The mode is the API key's own; other actors pass `livemode` (default live). The signing secret is
    generated (and returned, the only time it is readable) when the endpoint is created; later PUTs
    keep it and return None, so changing the URL never breaks signature checks. A new secret comes
    from rotate_secret(). `events=None` subscribes to every type; [] to none. The URL must be https to
    a public address (core.notifications.urls); its host is resolved here.
    """
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    livemode = _endpoint_mode(actor, livemode)
    events = _validate_events(events)
    url = await urls.validate_webhook_url(url, allow_private=get_settings().webhooks_may_reach_private())
    # Serializes concurrent first PUTs for one party (the second would hit the unique (party, mode)).
    party = await Party.filter(id=party_id).select_for_update().first()
    if party is None:
        raise PartyNotFound(f"no party {party_id}", party_id=party_id)
    endpoint = await WebhookEndpoint.get_or_none(party_id=party_id, livemode=livemode)
    if endpoint is None:
        secret = new_webhook_secret()
        endpoint = await WebhookEndpoint.create(party_id=party_id, livemode=livemode, url=url, events=events,
                                                secret_encrypted=encrypt(secret))
        await audit.record(actor=actor, action="webhook.create", object_type="webhook_endpoint",
                           object_id=endpoint.id, after=_endpoint_snapshot(endpoint))
        return endpoint, secret
    before = _endpoint_snapshot(endpoint)
    if before["url"] != url or before["events"] != events:
        endpoint.url = url
        endpoint.events = events
        await endpoint.save(update_fields=["url", "events", "updated_at"])
        await audit.record(actor=actor, action="webhook.update", object_type="webhook_endpoint",
                           object_id=endpoint.id, before=before, after=_endpoint_snapshot(endpoint))
    return endpoint, None


async def get_webhook(*, actor: Actor, party_id: int, livemode: bool | None = None) -> WebhookEndpoint | None:
    """The party's endpoint of the actor's mode (an API key's own; else `livemode`, default live), or None."""
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    return await WebhookEndpoint.get_or_none(party_id=party_id, livemode=_endpoint_mode(actor, livemode))


def secret_rotating_until(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> datetime | None:
    """Until when the previous secret still signs (a rotation in progress), or None."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > (now or _utcnow()):
        return expires
    return None


async def rotate_secret(
    *, actor: Actor, party_id: int, livemode: bool | None = None, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for the endpoint of the actor's mode, returned once with the endpoint; the
    replaced one keeps signing for 24 h.

    Rotating again inside the overlap drops the oldest secret at once: at most two are ever valid.
    """
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    livemode = _endpoint_mode(actor, livemode)
    endpoint = await WebhookEndpoint.filter(party_id=party_id, livemode=livemode).select_for_update().first()
    if endpoint is None:
        raise WebhookNotConfigured("set a webhook URL first")
    now = now or _utcnow()
    secret = new_webhook_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + SECRET_OVERLAP
    endpoint.secret_encrypted = encrypt(secret)
    await endpoint.save(update_fields=["previous_secret_encrypted", "previous_secret_expires_at",
                                       "secret_encrypted", "updated_at"])
    await audit.record(actor=actor, action="webhook.rotate_secret", object_type="webhook_endpoint",
                       object_id=endpoint.id,
                       after={"party_id": party_id, "livemode": livemode,
                              "previous_secret_expires_at": endpoint.previous_secret_expires_at})
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    result = [decrypt(endpoint.secret_encrypted)]
    if (endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at is not None
            and endpoint.previous_secret_expires_at > now):
        result.append(decrypt(endpoint.previous_secret_encrypted))
    return result


async def send_test_ping(*, actor: Actor, party_id: int, livemode: bool | None = None) -> Notification:
    """A `ping` delivery to the party's endpoint of the actor's mode (whatever it subscribes to);
    enqueue after commit."""
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    livemode = _endpoint_mode(actor, livemode)
    if not await WebhookEndpoint.exists(party_id=party_id, livemode=livemode):
        raise WebhookNotConfigured("set a webhook URL first" if livemode else "set a test webhook URL first")
    return await _create_webhook_row(party_id=party_id, event_type="ping", data=PING_DATA, livemode=livemode)


async def replay(
    *, actor: Actor, party_id: int, notification_id: int, livemode: bool | None = None
) -> Notification:
    """A new pending delivery of the same event (same event id and body) to the party's current endpoint.

    Another party's delivery (or, with `livemode` or an API key, one of the other mode) does not exist
    for the caller. The replay goes to the endpoint of the event's own mode.
    """
    require_transaction()
    await authorize(actor, party_id=party_id, permission=Permission.MANAGE)
    livemode = _mode(actor, livemode)
    query = Notification.filter(id=notification_id, party_id=party_id, channel=NotificationChannel.WEBHOOK)
    if livemode is not None:
        query = query.filter(livemode=livemode)
    original = await query.first()
    if original is None:
        raise DeliveryNotFound("no such delivery", notification_id=notification_id)
    return _collected(await Notification.create(
        channel=NotificationChannel.WEBHOOK, party_id=party_id, event_id=original.event_id,
        event_type=original.event_type, payload=original.payload, livemode=original.livemode,
        replay_of_id=original.id, next_attempt_at=_utcnow(),
    ))


@dataclass(frozen=True)
class DeliveryPage:
    items: list[Notification]
    next_cursor: int | None


async def list_deliveries(
    *,
    actor: Actor,
    party_id: int,
    limit: int = 20,
    cursor: int | None = None,
    livemode: bool | None = None,
    status: NotificationStatus | str | None = None,
    event_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DeliveryPage:
    """The party's webhook deliveries, newest first (cursor = the last id seen); an API key sees its mode's.

    Filters: `status`, `event_type`, and the time the delivery was created, `since` (inclusive) and
    `until` (exclusive).
    """
    await authorize(actor, party_id=party_id, permission=Permission.READ)
    livemode = _mode(actor, livemode)
    limit = max(1, min(int(limit), MAX_PAGE))
    query = Notification.filter(party_id=party_id, channel=NotificationChannel.WEBHOOK)
    if livemode is not None:
        query = query.filter(livemode=livemode)
    if status is not None:
        try:
            status = NotificationStatus(status)
        except ValueError:
            raise ValidationFailed(f"unknown delivery status {status!r}", field="status") from None
        query = query.filter(status=status)
    if event_type is not None:
        if event_type not in EVENT_TYPES:
            raise UnknownEventType(f"unknown event type {event_type!r}", field="event")
        query = query.filter(event_type=event_type)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    if cursor is not None:
        query = query.filter(id__lt=int(cursor))
    rows = await query.order_by("-id").limit(limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(items=rows, next_cursor=rows[-1].id if has_more and rows else None)


# --- Delivery (workers) ---------------------------------------------------------------------------


class DeliveryResult(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # this try failed; next_attempt_at says when the next one is due
    FAILED = "failed"  # given up (last try failed, or the recipient can never receive it)
    SKIPPED = "skipped"  # already delivered or failed before this call: nothing sent
    BUSY = "busy"  # another worker holds the row: nothing sent
    NOT_DUE = "not_due"  # a stale job ran before next_attempt_at: nothing sent
    LEASE_LOST = "lease_lost"  # our lease ran out and another worker took over: result not recorded
    MISSING = "missing"


@dataclass(frozen=True)
class DeliveryOutcome:
    notification_id: int
    result: DeliveryResult
    status: NotificationStatus | None
    attempts: int
    next_attempt_at: datetime | None = None
    status_code: int | None = None


@dataclass(frozen=True)
class _WebhookTarget:
    url: str
    secrets: list[str] = field(repr=False)


@dataclass(frozen=True)
class _Attempt:
    ok: bool = False
    permanent: bool = False  # retrying cannot help
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None  # the recipient's own "not before"


def _outcome(row: Notification, result: DeliveryResult) -> DeliveryOutcome:
    return DeliveryOutcome(notification_id=row.id, result=result, status=row.status, attempts=row.attempts,
                           next_attempt_at=row.next_attempt_at, status_code=row.last_status_code)


async def _claim(notification_id: int, now: datetime):
    """Take a lease on the row in a short transaction; the send happens after it commits."""
    async with atomic():
        row = await Notification.filter(id=notification_id).select_for_update(skip_locked=True).first()
        if row is None:
            if await Notification.exists(id=notification_id):  # another worker is claiming it right now
                return DeliveryOutcome(notification_id, DeliveryResult.BUSY, None, 0)
            return DeliveryOutcome(notification_id, DeliveryResult.MISSING, None, 0)
        if row.status != NotificationStatus.PENDING:
            return _outcome(row, DeliveryResult.SKIPPED)
        if row.claimed_until is not None and row.claimed_until > now:
            return _outcome(row, DeliveryResult.BUSY)
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return _outcome(row, DeliveryResult.NOT_DUE)
        token = uuid.uuid4()
        # The try counts from here, so a worker killed mid-send still uses up an attempt.
        row.attempts += 1
        row.claim_token = token
        row.claimed_until = now + CLAIM_LEASE
        await row.save(update_fields=["attempts", "claim_token", "claimed_until"])
        target = None
        if row.channel == NotificationChannel.WEBHOOK:
            # The endpoint of the event's own mode: a test event never goes to the live URL, nor back.
            endpoint = await WebhookEndpoint.get_or_none(party_id=row.party_id, livemode=row.livemode)
            if endpoint is not None:
                target = _WebhookTarget(url=endpoint.url, secrets=signing_secrets(endpoint, now=now))
    return row, token, target


async def _post_webhook(row: Notification, target: _WebhookTarget | None, http: httpx.AsyncClient,
                        now: datetime) -> _Attempt:
    if target is None:
        return _Attempt(permanent=True, error="no webhook endpoint configured")
    try:
        # Stored under an earlier policy (say http in development)? Checked again before each send.
        urls.check_url_shape(target.url, allow_private=get_settings().webhooks_may_reach_private())
    except InvalidWebhookUrl as exc:
        return _Attempt(permanent=True, error=_short_error(f"refused: {exc.message}"))
    body = event_body(row.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: row.event_id,
        SIGNATURE_HEADER: signature_header(secrets=target.secrets, timestamp=int(now.timestamp()), body=body),
    }
    try:
        # A total deadline (httpx's timeout is per phase). The response body is never read (0 bytes:
        # it may be huge or endless) and a redirect is an answer, never followed.
        async with asyncio.timeout(WEBHOOK_TIMEOUT_SECONDS):
            async with http.stream("POST", target.url, content=body, headers=headers,
                                   timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as response:
                status_code = response.status_code
    except AddressRefused as exc:
        # DNS may be fixed by the partner: retried on the schedule like any failed connect.
        return _Attempt(error=f"refused: the webhook host resolves to {exc.reason}")
    except (TimeoutError, httpx.TimeoutException):
        return _Attempt(error=f"no response within {WEBHOOK_TIMEOUT_SECONDS:g} s")
    except httpx.HTTPError as exc:
        # The class name only: the message may repeat the URL, which can carry the partner's own tokens.
        return _Attempt(error=f"request failed: {type(exc).__name__}")
    if 200 <= status_code < 300:
        return _Attempt(ok=True, status_code=status_code)
    return _Attempt(status_code=status_code, error=f"HTTP {status_code}")


async def _send_telegram(row: Notification, telegram: TelegramNotifier | None) -> _Attempt:
    if telegram is None:
        return _Attempt(error="no Telegram notifier in this worker")
    payload = row.payload or {}
    try:
        async with asyncio.timeout(TELEGRAM_TIMEOUT_SECONDS):
            extra = {"edit": payload["edit"]} if payload.get("edit") else {}
            await telegram.send(telegram_user_id=row.telegram_user_id, message_key=payload["message_key"],
                                params=payload.get("params") or {}, buttons=payload.get("buttons"), **extra)
    except TelegramUndeliverable as exc:
        return _Attempt(permanent=True, error=_short_error(f"undeliverable: {exc}"))
    except TelegramRetryLater as exc:
        return _Attempt(error=_short_error(f"retry later: {exc}"), retry_after=exc.seconds)
    except TimeoutError:
        return _Attempt(error=f"no answer from Telegram within {TELEGRAM_TIMEOUT_SECONDS:g} s")
    except Exception as exc:  # an unexpected notifier error: retry on the schedule, do not crash the job
        log.warning("telegram_send_error", notification_id=row.id, error_type=type(exc).__name__)
        return _Attempt(error=f"notifier error: {type(exc).__name__}")
    return _Attempt(ok=True)


async def _finish(row: Notification, token: uuid.UUID, attempt: _Attempt, now: datetime) -> DeliveryOutcome:
    changes: dict[str, Any] = {"claim_token": None, "claimed_until": None,
                               "last_status_code": attempt.status_code, "last_error": attempt.error}
    if attempt.ok:
        result = DeliveryResult.DELIVERED
        changes.update(status=NotificationStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif attempt.permanent or row.attempts >= MAX_ATTEMPTS:
        result = DeliveryResult.FAILED
        changes.update(status=NotificationStatus.FAILED, next_attempt_at=None)
    else:
        result = DeliveryResult.RETRY
        delay = RETRY_DELAYS[row.attempts - 1]
        if attempt.retry_after is not None:
            delay = max(delay, timedelta(seconds=attempt.retry_after))
        changes.update(next_attempt_at=now + delay)
    # Conditional on our lease: a worker whose lease ran out must not overwrite its successor's result.
    updated = await Notification.filter(id=row.id, claim_token=token).update(**changes)
    if not updated:
        log.warning("notification_lease_lost", notification_id=row.id, attempt=row.attempts)
        return DeliveryOutcome(row.id, DeliveryResult.LEASE_LOST, None, row.attempts)
    status = changes.get("status", NotificationStatus.PENDING)
    log_fields = {"notification_id": row.id, "channel": str(row.channel), "event_type": row.event_type,
                  "event_id": row.event_id, "attempt": row.attempts, "status_code": attempt.status_code}
    if result == DeliveryResult.DELIVERED:
        log.info("notification_delivered", **log_fields)
    elif result == DeliveryResult.FAILED:
        log.warning("notification_failed", error=attempt.error, **log_fields)
    else:
        log.info("notification_retry", error=attempt.error, next_attempt_at=_rfc3339(changes["next_attempt_at"]),
                 **log_fields)
    return DeliveryOutcome(notification_id=row.id, result=result, status=status, attempts=row.attempts,
                           next_attempt_at=changes["next_attempt_at"], status_code=attempt.status_code)


async def deliver(
    *,
    notification_id: int,
    http: httpx.AsyncClient,
    telegram: TelegramNotifier | None,
    now: datetime | None = None,
) -> DeliveryOutcome:
    """Try one delivery. Idempotent: a delivered, failed, leased or not-yet-due row is left alone.

    No transaction is open during the HTTP or Telegram call: a short one claims the row (lease), the
    send happens, then one conditional UPDATE records the result. Workers pass `http` from
    core.notifications.transport.webhook_http_client(): it connects only to allowed addresses.
    """
    fixed_now = now is not None
    now = now or _utcnow()
    claimed = await _claim(int(notification_id), now)
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    row, token, target = claimed
    if row.channel == NotificationChannel.WEBHOOK:
        attempt = await _post_webhook(row, target, http, now)
    else:
        attempt = await _send_telegram(row, telegram)
    return await _finish(row, token, attempt, now if fixed_now else _utcnow())


async def due_notifications(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Pending rows whose next try is due and that no live worker holds (for the sweeper)."""
    now = now or _utcnow()
    return list(
        await Notification.filter(status=NotificationStatus.PENDING)
        .filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until=None) | Q(claimed_until__lte=now))
        .order_by("next_attempt_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )
