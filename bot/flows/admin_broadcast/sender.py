"""Sending one broadcast message with aiogram, for the worker: the admin's text as plain text (no parse
mode, so nothing in it is read as markup), with Telegram's answers mapped to what the core understands."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from core.broadcast.errors import FloodControl, RecipientBlocked
from core.broadcast.service import Sender
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable

UNAVAILABLE_RETRY_SECONDS = 30  # Telegram unreachable or 5xx
MISCONFIGURED_RETRY_SECONDS = 300  # 401 / 404 / 409: the operator has to fix something first


def plain_text_sender(bot: Bot) -> Sender:
    async def send(chat_id: int, text: str) -> None:
        # Exception texts carry Telegram's description only, never the request URL (it holds the token).
        try:
            await bot.send_message(chat_id=chat_id, text=text, parse_mode=None)
        except TelegramRetryAfter as exc:
            raise FloodControl(exc.retry_after) from exc
        except TelegramForbiddenError as exc:  # blocked, deactivated, never started the bot
            raise RecipientBlocked(exc.message) from exc
        except (TelegramBadRequest, TelegramEntityTooLarge) as exc:  # chat not found and the like
            raise TelegramUndeliverable(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS, "Telegram unavailable") from exc
        except ClientDecodeError as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS, "unreadable answer from Telegram") from exc
        except TelegramAPIError as exc:
            raise TelegramRetryLater(MISCONFIGURED_RETRY_SECONDS, f"Telegram refused the call: {exc.message}") from exc

    return send
