"""Per-user throttling in Redis (shared by every bot replica): one chat cannot flood the workers."""

from __future__ import annotations

import time
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis

from bot.i18n import pick_language, t
from core.logging import get_logger

log = get_logger("bot.throttling")


class Throttling(BaseMiddleware):
    def __init__(self, redis: Redis, *, limit: int, window_seconds: int):
        self.redis, self.limit, self.window = redis, limit, window_seconds

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        bucket = int(time.time() // self.window)
        key = f"steller:throttle:{user.id}:{bucket}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        if count <= self.limit:
            return await handler(event, data)
        log.info("bot_throttled", telegram_user_id=user.id, count=count)
        if count == self.limit + 1 and isinstance(event, Update):  # say it once per window, then stay quiet
            text = t("error.slow_down", pick_language(user.language_code))
            if event.callback_query is not None:
                await event.callback_query.answer(text)
            elif event.message is not None:
                await event.message.answer(text)
        elif isinstance(event, Update) and event.callback_query is not None:
            await event.callback_query.answer()  # every press is answered, even a dropped one
        return None
