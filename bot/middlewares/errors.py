"""The error boundary: a refusal from the core becomes a polite answer; anything else a short message
with a reference id that admins find in the logs. Never a stack trace, never a handler run twice."""

from __future__ import annotations

import secrets
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot.i18n import has_message, pick_language, t
from core.errors import DomainError
from core.logging import get_logger

log = get_logger("bot.errors")


def refusal_text(error: DomainError, lang: str) -> str:
    """The reply for a core refusal: its own text when the locale has one (`error-<code>`), else generic."""
    key = f"error.{error.code}"
    return t(key, lang) if has_message(key, lang) else t("error.refused", lang)


async def tell(event: Update, text: str, *, alert: bool = False) -> None:
    """Answer where the user is: a toast for a button press, a message for a text."""
    try:
        if event.callback_query is not None:
            await event.callback_query.answer(text, show_alert=alert)
        elif event.message is not None:
            await event.message.answer(text)
    except TelegramAPIError as exc:  # the user blocked the bot, or the query is too old to answer
        log.info("bot_reply_failed", error=type(exc).__name__)


class ErrorBoundary(BaseMiddleware):
    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as exc:
            ctx = data.get("ctx")
            lang = ctx.lang if ctx is not None else _lang_of(event)
            log.info("bot_refused", code=exc.code, update_id=getattr(event, "update_id", None))
            await tell(event, refusal_text(exc, lang), alert=isinstance(event, Update) and event.callback_query is not None)
            return None
        except Exception as exc:  # noqa: BLE001 - the one place where the unexpected is caught and reported
            reference = secrets.token_hex(4).upper()
            log.error("bot_update_failed", reference=reference, update_id=getattr(event, "update_id", None),
                      error_type=type(exc).__name__, exc_info=exc)
            ctx = data.get("ctx")
            lang = ctx.lang if ctx is not None else _lang_of(event)
            await tell(event, t("error.unexpected", lang, reference=reference))
            return None


def _lang_of(event: TelegramObject) -> str:
    user = None
    if isinstance(event, Update):
        inner = event.message or event.callback_query
        user = getattr(inner, "from_user", None)
    elif isinstance(event, (Message, CallbackQuery)):
        user = event.from_user
    return pick_language(getattr(user, "language_code", None))
