"""Webhook mode for the bot: Telegram POSTs updates to the API, so every API replica serves the bot.

Mounted when TELEGRAM_WEBHOOK_URL is set (and a bot token): the update endpoint is the URL's path,
checked against Telegram's `X-Telegram-Bot-Api-Secret-Token`; at start the API registers the webhook
(idempotent, so any number of replicas may do it).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response

from core.config import Settings
from core.logging import get_logger

log = get_logger("api.telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, else one derived from the bot token (stable across replicas)."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    token = settings.telegram_bot_token.get_secret_value()
    return hmac.new(token.encode(), b"steller-telegram-webhook", hashlib.sha256).hexdigest()


def webhook_path(settings: Settings) -> str:
    return urlsplit(settings.telegram_webhook_url).path or "/telegram/webhook"


def install(app: FastAPI, settings: Settings) -> None:
    from bot.app import BotRuntime

    runtime = BotRuntime(settings)
    secret = webhook_secret(settings)
    app.state.bot_runtime = runtime

    @app.post(webhook_path(settings), include_in_schema=False)
    async def telegram_update(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return Response(status_code=401)
        if runtime.dp is None:
            return Response(status_code=503)
        await runtime.dp.feed_webhook_update(runtime.bot, await request.json())
        return Response(status_code=200)


async def start(app: FastAPI, settings: Settings) -> None:
    runtime = app.state.bot_runtime
    await runtime.start()
    await runtime.bot.set_webhook(settings.telegram_webhook_url, secret_token=webhook_secret(settings),
                                  allowed_updates=runtime.dp.resolve_used_update_types())
    log.info("bot_webhook_set", path=webhook_path(settings))


async def stop(app: FastAPI) -> None:
    await app.state.bot_runtime.close()
