"""Confirmations that work once and expire.

A summary with Confirm/Cancel stores what Confirm will do under a random token, keyed by the user who
saw it. Pressing Confirm takes the token (GETDEL: one press wins, a second finds nothing and is told
"already done"); after the TTL it is gone ("expired"). A forged or someone else's press looks under
its own user id, finds nothing, changes nothing — and the rightful user's token stays usable.
The token also serves as the core's idempotency key, so even two racing presses move money once.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from redis.asyncio import Redis

CONFIRM_TTL_SECONDS = 15 * 60
_DONE_TTL_SECONDS = 24 * 3600


def _key(telegram_user_id: int, token: str) -> str:
    return f"steller:confirm:{telegram_user_id}:{token}"


class Confirmations:
    def __init__(self, redis: Redis, *, ttl_seconds: int = CONFIRM_TTL_SECONDS):
        self.redis, self.ttl = redis, ttl_seconds

    async def offer(self, telegram_user_id: int, action: str, payload: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(9)  # 12 characters: fits callback data with room to spare
        await self.redis.set(_key(telegram_user_id, token), json.dumps({"action": action, **payload}), ex=self.ttl)
        return token

    async def take(self, telegram_user_id: int, token: str, action: str) -> dict[str, Any] | None:
        """The payload once; None when used, expired, another user's, or for another action."""
        raw = await self.redis.getdel(_key(telegram_user_id, token))
        if raw is None:
            return None
        payload = json.loads(raw)
        if payload.get("action") != action:
            return None
        await self.redis.set(f"{_key(telegram_user_id, token)}:done", "1", ex=_DONE_TTL_SECONDS)
        return payload

    async def was_used(self, telegram_user_id: int, token: str) -> bool:
        """Tells "already done" from "expired" for the second press."""
        return bool(await self.redis.exists(f"{_key(telegram_user_id, token)}:done"))

    async def put_back(self, telegram_user_id: int, token: str, payload: dict[str, Any]) -> None:
        """The use case refused (e.g. not enough money): the user may fix it and press again."""
        await self.redis.delete(f"{_key(telegram_user_id, token)}:done")
        await self.redis.set(_key(telegram_user_id, token), json.dumps(payload), ex=self.ttl)
