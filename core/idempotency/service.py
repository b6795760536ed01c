"""Idempotency keys for creating requests: one effect per key, the first answer replayed.

How a key works (the fronts call these inside the use case's own transaction):

1. `claim` inserts the key's row first thing in the transaction. A concurrent request with the same
   key blocks on the unique index until the first transaction ends: if it committed, the waiter
   finds the row and replays its stored answer; if it rolled back, the waiter claims the key itself.
2. The use case runs in the same transaction, then `store` writes the answer on the claimed row.
3. The caller commits: the key, its answer and the effect are kept together or not at all. A use
   case that refuses (a `DomainError`) rolls the claim back with everything else: refusals are not
   stored, so the same key may be retried after the cause is fixed (a top-up, a new price).

Same key with another request (method, path or body) → `IdempotencyMismatch`. Keys live 24 hours
(`KEY_TTL`): an expired key is replaced when it is used again, and every new claim also deletes a
few expired rows (`PURGE_BATCH`), so the table stays bounded without a cron; `purge_expired` is there
for one anyway.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.connection import get_connection

from core.db import require_transaction
from core.errors import Conflict, ValidationFailed
from core.idempotency.models import IdempotencyKey

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200
PURGE_BATCH = 10
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,%d}" % MAX_KEY_LENGTH)


class IdempotencyMismatch(Conflict):
    code = "idempotency.mismatch"


class InvalidIdempotencyKey(ValidationFailed):
    code = "idempotency.invalid_key"


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str  # the JSON text that was sent


@dataclass(frozen=True)
class Claim:
    """Either this transaction owns the key (`record_id`) or the key was answered before (`replay`)."""

    record_id: int | None
    replay: StoredResponse | None = None


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _PRINTABLE.fullmatch(key):
        raise InvalidIdempotencyKey(f"an Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


def request_hash(*, method: str, path: str, canonical_body: str) -> str:
    """What the key promises: this method on this path with this body (canonical JSON)."""
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical_body}".encode()).hexdigest()


def party_scope(*, party_id: int, livemode: bool) -> str:
    """A party's live and test keys never share an Idempotency-Key."""
    return f"party:{party_id}:{'live' if livemode else 'test'}"


_CLAIM_SQL = """
INSERT INTO idempotency_key (scope, "key", request_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (scope, "key") DO NOTHING
RETURNING id
"""

_PURGE_SQL = """
DELETE FROM idempotency_key WHERE id IN (
  SELECT id FROM idempotency_key WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
"""


async def claim(*, scope: str, key: str, request_hash: str, now: datetime | None = None) -> Claim:
    """Claim `key` in the caller's transaction, or return the answer it already has.

    Blocks while another transaction holds the same uncommitted key. Raises `IdempotencyMismatch`
    when the key was used for another request.
    """
    require_transaction()
    check_key(key)
    now = now or datetime.now(UTC)
    conn = get_connection("default")
    for _ in range(5):
        inserted = await conn.execute_query_dict(_CLAIM_SQL, [scope, key, request_hash, now, now + KEY_TTL])
        if inserted:
            await conn.execute_query(_PURGE_SQL, [now, PURGE_BATCH])
            return Claim(record_id=inserted[0]["id"])
        # A committed row (read committed: this statement sees what the blocking one committed).
        existing = await IdempotencyKey.get_or_none(scope=scope, key=key)
        if existing is None:
            continue  # purged between the two statements: claim again
        if existing.expires_at <= now:
            await IdempotencyKey.filter(id=existing.id, expires_at__lte=now).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch("this Idempotency-Key was already used for a different request")
        if existing.status_code is None:  # cannot be committed without its answer; never replay nothing
            raise Conflict("this Idempotency-Key has no stored answer", code="idempotency.in_progress")
        return Claim(record_id=None, replay=StoredResponse(existing.status_code, existing.response_body))
    raise Conflict("this Idempotency-Key is being used by other requests; retry", code="idempotency.in_progress")


async def store(claimed: Claim, *, status_code: int, body: str) -> None:
    """Record the answer on the key this transaction claimed: `body` is the exact JSON text sent."""
    require_transaction()
    if claimed.record_id is None:
        raise RuntimeError("only a claimed key stores an answer")
    await IdempotencyKey.filter(id=claimed.record_id).update(status_code=status_code, response_body=body)


async def purge_expired(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete keys past their 24 hours, in batches; returns how many went (for a cron, optional)."""
    now = now or datetime.now(UTC)
    total = 0
    while True:
        deleted = await IdempotencyKey.filter(
            id__in=await IdempotencyKey.filter(expires_at__lte=now).limit(batch).values_list("id", flat=True)
        ).delete()
        total += deleted
        if deleted < batch:
            return total
