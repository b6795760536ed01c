"""Partner API: self-service API keys (list, create — the secret shown once —, revoke at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import current_actor
from api.idempotency import Created, IdempotencyKeyHeader, run_idempotent
from api.v1.common import problem_responses
from core.access import api_keys
from core.access.actor import Actor
from core.db import atomic

router = APIRouter(prefix="/v1", tags=["api keys"])

_KEY_EXAMPLE = {"id": 17, "prefix": "sk_live_Ab12Cd34", "name": "production server", "mode": "live",
                "created_at": "2025-01-31T12:00:00Z", "last_used_at": "2025-02-01T08:30:00Z", "revoked_at": None}


class ApiKey(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY_EXAMPLE]})

    id: int = Field(examples=[17])
    prefix: str = Field(description="The key's first characters, to recognise it (the rest is never shown again)",
                        examples=["sk_live_Ab12Cd34"])
    name: str | None = Field(examples=["production server"])
    mode: Literal["live", "test"] = Field(examples=["live"])
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated within seconds of a use, not on every request")
    revoked_at: datetime | None = Field(default=None, description="Set once revoked; a revoked key is refused")


class CreatedApiKey(ApiKey):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {**_KEY_EXAMPLE, "last_used_at": None, "secret": "sk_live_Ab12Cd34…"}]})

    secret: str = Field(description="The key itself: shown this once, store it now", examples=["sk_live_Ab12Cd34…"])


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "production server", "mode": "live"}, {"name": "CI", "mode": "test"}]})

    name: str | None = Field(default=None, max_length=100, description="A label for you")
    mode: Literal["live", "test"] | None = Field(
        default=None, description="Default: the mode of the calling key. A test key creates only test keys.")


class ApiKeyList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [_KEY_EXAMPLE]}]})

    data: list[ApiKey]


def _key(view: api_keys.KeyView) -> ApiKey:
    return ApiKey(id=view.id, prefix=view.display, name=view.name, mode=view.mode, created_at=view.created_at,
                  last_used_at=view.last_used_at, revoked_at=view.revoked_at)


@router.get("/api-keys", response_model=ApiKeyList, summary="Your party's API keys",
            description="Newest first, revoked ones included (with `revoked_at`). A test key sees test keys only.",
            responses=problem_responses())
async def list_api_keys(actor: Actor = Depends(current_actor)) -> ApiKeyList:
    return ApiKeyList(data=[_key(view) for view in await api_keys.list_keys(actor=actor, party_id=actor.party_id)])


@router.post("/api-keys", response_model=CreatedApiKey, status_code=201, summary="Create an API key",
             description="The `secret` is in this response only. Live keys need an active party (a pending "
                         "partner creates test keys); a test key creates test keys only.",
             responses=problem_responses((403, "api_key.test_only"), (409, "idempotency.mismatch"),
                                         (422, "idempotency.invalid_key")))
async def create_api_key(request: Request, body: NewApiKey | None = None, actor: Actor = Depends(current_actor),
                         idempotency_key: IdempotencyKeyHeader = None) -> Response:
    body = body or NewApiKey()
    livemode = actor.livemode if body.mode is None else body.mode == "live"

    async def create() -> Created:
        made = await api_keys.create_key(actor=actor, party_id=actor.party_id, livemode=livemode, name=body.name)
        return Created(201, CreatedApiKey(**_key(made.view).model_dump(), secret=made.secret), sensitive=True)

    # With an Idempotency-Key, a retried create returns the same key instead of a second one.
    return await run_idempotent(request, actor=actor, create=create)


@router.delete("/api-keys/{key_id}", response_model=ApiKey, summary="Revoke an API key",
               description="Takes effect at once: the next request with the key gets 401 `auth.invalid`. "
                           "Your party's last live key is kept unless you pass `force=true`. Revoking a revoked "
                           "key changes nothing.",
               responses=problem_responses((403, "api_key.test_only"), (404, "api_key.not_found"),
                                           (409, "api_key.last_live_key")))
async def revoke_api_key(key_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="From `GET /v1/api-keys`")],
                         force: bool = Query(False, description="Also revoke the last live key"),
                         actor: Actor = Depends(current_actor)) -> ApiKey:
    async with atomic():
        view = await api_keys.revoke_party_key(actor=actor, party_id=actor.party_id, key_id=key_id, force=force)
    return _key(view)
