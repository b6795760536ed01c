"""The bot process: one Dispatcher with a router per area, middlewares, FSM state in Redis.

`steller bot` runs it alone (polling, or webhook mode behind the API); `steller up` runs it beside
the API and the worker when TELEGRAM_BOT_TOKEN is set.
"""

from __future__ import annotations

import asyncio

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis

from bot.confirm import Confirmations
from bot.flows import make_routers
from bot.middlewares.answers import AnswerEveryPress, NoteAnswers
from bot.middlewares.context import UpdateTransaction
from bot.middlewares.errors import ErrorBoundary
from bot.middlewares.throttling import Throttling
from core.config import Settings, get_settings
from core.logging import get_logger

log = get_logger("bot.app")


class CountUpdates(BaseMiddleware):
    """`steller_bot_updates_total{type}`: every update the dispatcher handled (dropped, refused or answered)."""

    async def __call__(self, handler, event, data):
        from core.metrics import BOT_UPDATES

        try:
            return await handler(event, data)
        finally:
            try:
                kind = event.event_type
            except Exception:  # noqa: BLE001 - an update of a type this aiogram does not know
                kind = "unknown"
            BOT_UPDATES.labels(kind).inc()


def build_dispatcher(*, settings: Settings, redis: Redis, arq: ArqRedis) -> Dispatcher:
    storage = RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix="steller:fsm", with_bot_id=True),
                           state_ttl=24 * 3600, data_ttl=24 * 3600)
    dp = Dispatcher(storage=storage)
    dp["settings"] = settings
    dp["redis"] = redis
    dp["arq"] = arq
    dp["confirmations"] = Confirmations(redis)
    dp.update.outer_middleware(CountUpdates())
    dp.update.outer_middleware(AnswerEveryPress())
    dp.update.outer_middleware(ErrorBoundary())
    dp.update.outer_middleware(Throttling(redis, limit=settings.bot_throttle_updates,
                                          window_seconds=settings.bot_throttle_seconds))
    dp.update.outer_middleware(UpdateTransaction())
    dp.include_routers(*make_routers())
    return dp


def create_bot(settings: Settings) -> Bot:
    from bot.notifier import make_bot

    bot = make_bot(settings)
    bot.session.middleware(NoteAnswers())  # lets AnswerEveryPress see which presses were answered
    return bot


class BotRuntime:
    """The bot with its connections; `run_polling` until stopped, or feed webhook updates."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None
        self.redis: Redis | None = None
        self.arq: ArqRedis | None = None

    async def start(self) -> None:
        self.redis = Redis.from_url(self.settings.redis_url)
        self.arq = await create_pool(RedisSettings.from_dsn(self.settings.redis_url))
        self.bot = create_bot(self.settings)
        self.dp = build_dispatcher(settings=self.settings, redis=self.redis, arq=self.arq)
        from bot.commands import publish_commands

        try:
            await publish_commands(self.bot)
        except Exception as exc:  # noqa: BLE001 - a menu is not worth refusing to start over
            log.warning("bot_commands_not_published", error_type=type(exc).__name__)

    async def run_polling(self) -> None:
        assert self.bot is not None and self.dp is not None
        await self.bot.delete_webhook(drop_pending_updates=False)
        log.info("bot_polling_started")
        await self.dp.start_polling(self.bot, handle_signals=False, close_bot_session=False)

    async def stop_polling(self) -> None:
        if self.dp is not None:
            try:
                await self.dp.stop_polling()
            except RuntimeError:  # not polling
                pass

    async def close(self) -> None:
        if self.bot is not None:
            await self.bot.session.close()
        if self.arq is not None:
            await self.arq.aclose()
        if self.redis is not None:
            await self.redis.aclose()


async def run_bot(settings: Settings | None = None) -> None:
    """`steller bot`: the bot alone, polling, until SIGINT/SIGTERM."""
    runtime = BotRuntime(settings)
    await runtime.start()
    try:
        await runtime.run_polling()
    finally:
        await runtime.close()


def main() -> None:  # pragma: no cover - `python -m bot.app`
    asyncio.run(run_bot())
