"""The core's TelegramNotifier, implemented with aiogram: the only place outside bot/ that sends."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from core.config import Settings
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable
from core.parties.models import Member


def make_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(token=settings.telegram_bot_token.get_secret_value(), session=session)


class AiogramNotifier:
    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, *, telegram_user_id: int, message_key: str, params: dict,
                   buttons: list | None = None) -> None:
        member = await Member.get_or_none(telegram_user_id=telegram_user_id)
        language = member.language if member else None
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(inline_keyboard=[[
                InlineKeyboardButton(text=t(b["text_key"], language), callback_data=b["data"]) for b in buttons
            ]])
        try:
            await self.bot.send_message(chat_id=telegram_user_id, text=t(message_key, language, **params),
                                        reply_markup=markup)
        except TelegramRetryAfter as exc:
            raise TelegramRetryLater(exc.retry_after) from exc
        except TelegramForbiddenError as exc:  # the user blocked the bot
            raise TelegramUndeliverable(str(exc)) from exc
        except TelegramBadRequest as exc:  # chat not found and the like: retrying will not help
            raise TelegramUndeliverable(str(exc)) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TelegramRetryLater(30) from exc

    async def aclose(self) -> None:
        await self.bot.session.close()


def make_notifier(settings: Settings) -> AiogramNotifier:
    return AiogramNotifier(make_bot(settings))
