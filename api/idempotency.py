"""Idempotency-Key for creating POSTs: the HTTP side of `core.idempotency`.

A creating handler wraps its use case in `run_idempotent`:

    async def create() -> Created:
        made = await core_service.create_thing(actor=actor, ...)          # inside the transaction
        return Created(201, render(made), after_commit=lambda: enqueue(...))

    return await run_idempotent(request, actor=actor, create=create)     # or scope="signup:ip:…"

Without the header the use case simply runs in one transaction. With it, the key is claimed in that
same transaction (`core.idempotency.service.claim`): the stored answer and the effect commit together
or not at all, a concurrent duplicate waits for the first and replays its answer (same status, same
body, header `Idempotent-Replayed: true`), and the same key with another method, path or body is
409 `idempotency.mismatch`. A refused request (any domain error) is rolled back with its claim: it
is not stored, so a retry with the same key after fixing the cause can succeed. Keys last 24 h.

The request hash covers the method, the path and the body as canonical JSON (keys sorted, no
whitespace): the same JSON sent with other spacing or key order is the same request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel

from core.access.actor import Actor
from core.db import run_atomic
from core.idempotency import service as idempotency
from core.logging import get_logger

log = get_logger("api.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[str | None, Header(
    alias=HEADER, min_length=1, max_length=idempotency.MAX_KEY_LENGTH,
    description="Any unique string up to 200 printable characters (a UUID is fine). Retrying with the same "
                "key and body returns the first response again instead of creating twice; the same key with "
                "another body is 409 `idempotency.mismatch`. Kept 24 hours. Refused requests are not kept.",
    examples=["3f2b8c1e-6a4d-4b7e-9c1a-0d5e7f9a2b64"],
)]


@dataclass
class Created:
    """What a creating use case answered: rendered inside its transaction, so it can be stored."""

    status_code: int
    body: Any  # a pydantic model or anything JSON-able
    after_commit: Callable[[], Awaitable[Any]] | None = None  # enqueue jobs: runs only after the commit
    # The answer holds a secret (a new API key): stored encrypted, like card codes, never in clear.
    sensitive: bool = False


_SEALED = "sealed:"


def _seal(text: str) -> str:
    from core.crypto import encrypt

    return _SEALED + encrypt(text)


def _unseal(stored: str) -> str:
    if not stored.startswith(_SEALED):
        return stored
    from core.crypto import decrypt

    return decrypt(stored[len(_SEALED):])


def canonical_json(raw: bytes) -> str:
    if not raw.strip():
        return ""
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")


def _json_text(body: Any) -> str:
    """The answer's exact bytes, made once: the first response and every replay send this text."""
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else jsonable_encoder(body)
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _response(status_code: int, text: str, *, replayed: bool = False) -> Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(content=text, status_code=status_code, media_type="application/json", headers=headers)


async def _after(created: Created) -> None:
    if created.after_commit is None:
        return
    try:
        await created.after_commit()
    except Exception as exc:  # noqa: BLE001 - the effect is committed: the answer must say so
        # Jobs lost here are found again by the periodic sweeps (reconciler, notification sweep).
        log.warning("after_commit_failed", error_type=type(exc).__name__)


async def run_idempotent(request: Request, *, create: Callable[[], Awaitable[Created]], actor: Actor | None = None,
                         scope: str | None = None) -> Response:
    """Run `create` in one transaction, honouring the request's Idempotency-Key if it has one.

    `actor`: keys are kept per party and mode. Without an actor (signup) pass `scope`, e.g.
    `f"signup:ip:{request.client.host}"`: who may replay whose answers.
    """
    key = request.headers.get(HEADER)
    if key is None:
        async def plain():
            created = await create()
            return created, _json_text(created.body)

        created, body = await run_atomic(plain)
        await _after(created)
        return _response(created.status_code, body)

    if actor is not None:
        scope = idempotency.party_scope(party_id=actor.party_id, livemode=actor.livemode)
    if scope is None:
        raise TypeError("run_idempotent needs the actor or a scope")
    idempotency.check_key(key)
    fingerprint = idempotency.request_hash(method=request.method, path=request.url.path,
                                           canonical_body=canonical_json(await request.body()))

    async def keyed():
        claimed = await idempotency.claim(scope=scope, key=key, request_hash=fingerprint)
        if claimed.replay is not None:
            return claimed, None, None
        created = await create()
        body = _json_text(created.body)
        await idempotency.store(claimed, status_code=created.status_code,
                                body=_seal(body) if created.sensitive else body)
        return claimed, created, body

    claimed, created, body = await run_atomic(keyed)
    if claimed.replay is not None:
        return _response(claimed.replay.status_code, _unseal(claimed.replay.body), replayed=True)
    await _after(created)
    return _response(created.status_code, body)
