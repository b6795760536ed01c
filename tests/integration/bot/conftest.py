"""Feeding updates to the real dispatcher, whose replies go to the stand-in Bot API on loopback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.telegram_api import running_telegram_api


@pytest.fixture(scope="module")
async def telegram():
    async with running_telegram_api() as server:
        yield server


@dataclass
class BotHarness:
    api: object
    bot: object
    dp: object

    async def send(self, user_id: int, text: str, **fields) -> dict:
        """A user types `text`; the update runs through every middleware and handler before this returns."""
        update = self.api.push_message(user_id, text, **fields)
        await self.dp.feed_raw_update(self.bot, update)
        return update

    async def press(self, user_id: int, data: str, *, message_id: int | None = None, **fields) -> dict:
        update = self.api.push_callback(user_id, data, message_id=message_id, **fields)
        await self.dp.feed_raw_update(self.bot, update)
        return update

    def last_text(self, chat_id: int) -> str:
        return self.api.sent_messages(chat_id)[-1]["text"]

    def buttons(self, chat_id: int, message_id: int | None = None) -> list[tuple[str, str]]:
        messages = self.api.sent_messages(chat_id)
        message = messages[-1] if message_id is None else next(m for m in messages if m["message_id"] == message_id)
        markup = message.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data")) for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, chat_id: int, text_part: str) -> str:
        """The callback data of the last message's button whose text contains `text_part`."""
        for text, data in self.buttons(chat_id):
            if text_part in text:
                return data
        raise AssertionError(f"no button with {text_part!r} in {self.buttons(chat_id)}")

    def toasts(self) -> list[str]:
        return [c.params.get("text") or "" for c in self.api.calls_to("answerCallbackQuery")]


@pytest.fixture
async def harness(db, redis, telegram, monkeypatch):
    from bot.app import build_dispatcher, create_bot
    from core.config import Settings

    telegram.reset()
    for name, value in telegram.env().items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    bot = create_bot(settings)
    dp = build_dispatcher(settings=settings, redis=redis, arq=redis)
    yield BotHarness(api=telegram, bot=bot, dp=dp)
    await bot.session.close()
