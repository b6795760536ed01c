"""The core's TelegramNotifier, implemented with aiogram: the only place outside bot/ that sends."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
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
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Money, t
from core.config import Settings
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable
from core.parties.models import Member

# When Telegram is unreachable or answers 5xx: the outbox's own schedule still applies (it waits the
# longer of this and its next retry delay).
UNAVAILABLE_RETRY_SECONDS = 30
# Other API errors (401 after a token change, 404 from a wrong TELEGRAM_API_URL, …) are configuration
# problems: the message is not lost, it waits for the operator to fix them.
MISCONFIGURED_RETRY_SECONDS = 300


# Parameters the core sends as decimal strings beside a "currency": formatted per language as money.
MONEY_PARAMS = frozenset({"amount", "available", "balance", "held", "total", "threshold", "credit_limit"})


def localized(params: dict) -> dict:
    """The core's params with money as `Money`, so each language formats it its own way."""
    currency = params.get("currency")
    if not isinstance(currency, str):
        return params
    out = dict(params)
    for name in MONEY_PARAMS & params.keys():
        try:
            out[name] = Money.of(params[name], currency)
        except (ArithmeticError, ValueError, TypeError):
            pass  # already a formatted string: shown as it is
    return out


# The core's "show this order's current state" message: the bot renders the order itself.
LIVE_ORDER_MESSAGE = "order.live"


async def live_order_text(order_id, language: str | None):
    from bot.flows.order.render import order_message
    from bot.i18n import pick_language
    from core.orders.models import Order

    order = await Order.get(id=order_id)
    return await order_message(order, pick_language(language))


def make_bot(settings: Settings) -> Bot:
    if settings.telegram_bot_token is None:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(token=settings.telegram_bot_token.get_secret_value(), session=session)


class AiogramNotifier:
    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, *, telegram_user_id: int, message_key: str, params: dict,
                   buttons: list | None = None, edit: dict | None = None) -> None:
        member = await Member.get_or_none(telegram_user_id=telegram_user_id)
        language = member.language if member else None
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(inline_keyboard=[[
                InlineKeyboardButton(text=t(b["text_key"], language), callback_data=b["data"]) for b in buttons
            ]])
        if message_key == LIVE_ORDER_MESSAGE:
            text, markup = await live_order_text(params.get("order_id"), language)
        else:
            text = t(message_key, language, **localized(params or {}))
        try:
            if edit is not None and await self._edit(edit, text, markup):
                return
            await self.bot.send_message(chat_id=telegram_user_id, text=text, reply_markup=markup)
        # Exception texts below carry Telegram's description or a class name only: never the request URL,
        # which holds the bot token.
        except TelegramRetryAfter as exc:  # flood control
            raise TelegramRetryLater(exc.retry_after) from exc
        except TelegramForbiddenError as exc:  # the user blocked the bot
            raise TelegramUndeliverable(exc.message) from exc
        except (TelegramBadRequest, TelegramEntityTooLarge) as exc:  # chat not found and the like
            raise TelegramUndeliverable(exc.message) from exc
        except TelegramNetworkError as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS,
                                     f"Telegram unreachable ({exc.message.split(':')[0]})") from exc
        except TelegramServerError as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS, f"Telegram error: {exc.message}") from exc
        except ClientDecodeError as exc:  # not a Bot API answer: a proxy's 502 page, a wrong URL
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS,
                                     f"unreadable answer from Telegram ({type(exc.original).__name__})") from exc
        except TelegramAPIError as exc:  # 401, 404, 409, …
            raise TelegramRetryLater(MISCONFIGURED_RETRY_SECONDS,
                                     f"Telegram refused the call: {exc.message}") from exc

    async def _edit(self, target: dict, text: str, markup) -> bool:
        """Edit the message in place; False when it is gone or too old (then a new one is sent)."""
        try:
            await self.bot.edit_message_text(chat_id=target["chat_id"], message_id=target["message_id"],
                                             text=text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return True
            if "not found" in exc.message or "can't be edited" in exc.message:
                return False
            raise
        return True

    async def edit_text(self, *, chat_id: int, message_id: int, text: str, markup=None) -> bool:
        """Replace a message's text (a job's progress message); False when it is gone or too old.

        Flood control and an unreachable Telegram raise TelegramRetryLater, like `send`."""
        try:
            return await self._edit({"chat_id": chat_id, "message_id": message_id}, text, markup)
        except TelegramRetryAfter as exc:
            raise TelegramRetryLater(exc.retry_after) from exc
        except (TelegramBadRequest, TelegramForbiddenError):
            return False
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS, "Telegram unreachable") from exc

    async def delete(self, *, chat_id: int, message_id: int) -> bool:
        """Delete a message the bot sent; one already gone (or too old to delete) counts as done."""
        try:
            return bool(await self.bot.delete_message(chat_id=chat_id, message_id=message_id))
        except (TelegramBadRequest, TelegramForbiddenError):
            return False
        except TelegramRetryAfter as exc:
            raise TelegramRetryLater(exc.retry_after) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TelegramRetryLater(UNAVAILABLE_RETRY_SECONDS, "Telegram unreachable") from exc

    async def aclose(self) -> None:
        await self.bot.session.close()


def make_notifier(settings: Settings) -> AiogramNotifier:
    return AiogramNotifier(make_bot(settings))
