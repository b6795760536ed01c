"""Shared dependencies of the partner API: who is calling (an API key's actor)."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core.access.actor import Actor
from core.errors import DomainError

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer sk_live_…` (or `sk_test_…`)")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key in `X-API-Key`")


class AuthMissing(DomainError):
    code = "auth.missing"


async def current_actor(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    header_key: str | None = Depends(api_key_header),
) -> Actor:
    """The calling key as an actor (its party, its mode); 401 `auth.missing` / `auth.invalid`, 403
    `party.inactive`. Every core call of the request gets this actor."""
    from core.access import api_keys

    secret = credentials.credentials if credentials is not None else header_key
    if not secret:
        raise AuthMissing("send your API key: Authorization: Bearer <key> (or X-API-Key)")
    # The peer's address, or a trusted proxy's X-Forwarded-For (uvicorn applies FORWARDED_ALLOW_IPS).
    client_ip = request.client.host if request.client else None
    actor = await api_keys.authenticate(secret=secret.strip(), request_id=getattr(request.state, "request_id", None),
                                        client_ip=client_ip)
    request.state.actor = actor
    return actor
