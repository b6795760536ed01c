"""What the core needs from Telegram: a notifier the bot package implements (the core knows no aiogram)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class TelegramNotifier(Protocol):
    async def send(self, *, telegram_user_id: int, message_key: str, params: dict,
                   buttons: list | None = None, edit: dict | None = None) -> None:
        """Send one message (or, with `edit` = {"chat_id", "message_id"}, edit that one in place);
        raise TelegramUndeliverable or TelegramRetryLater when it cannot go now."""


class TelegramUndeliverable(Exception):
    """The message can never be delivered (the user blocked the bot, the chat is gone): no retry."""


class TelegramRetryLater(Exception):
    """Telegram asked us to wait (flood control) or was unreachable: try again in `seconds` at the earliest."""

    def __init__(self, seconds: float, message: str | None = None):
        self.seconds = float(seconds)
        super().__init__(message or f"retry after {self.seconds:g} s")
