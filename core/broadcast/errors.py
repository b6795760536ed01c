"""Refusals of a broadcast, and what a sender raises for one recipient."""

from core.errors import ValidationFailed
from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable


class EmptyBroadcast(ValidationFailed):
    code = "broadcast.empty"


class BroadcastTooLong(ValidationFailed):
    code = "broadcast.too_long"


class NoRecipients(ValidationFailed):
    code = "broadcast.no_recipients"


class RecipientBlocked(TelegramUndeliverable):
    """Telegram 403: the user blocked the bot or deleted the account. Counted as blocked, never retried."""


class FloodControl(TelegramRetryLater):
    """Telegram 429: every sender waits `seconds`, then this recipient is tried again."""
