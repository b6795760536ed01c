"""Every button press is answered, exactly once — refusals with a toast, plain navigation silently.

Handlers answer with `query.answer(...)` when they have something to say. A request middleware on the
bot's session notes every answerCallbackQuery of the update; after the update, a press nobody answered
(a handler that only edits a message, a refusal path, a crash) gets an empty answer, so the user's
button never spins.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import TelegramObject, Update

_answered: ContextVar[set[str] | None] = ContextVar("steller_answered_queries", default=None)


class NoteAnswers(BaseRequestMiddleware):
    async def __call__(self, make_request, bot, method):
        if isinstance(method, AnswerCallbackQuery):
            answered = _answered.get()
            if answered is not None:
                answered.add(method.callback_query_id)
        return await make_request(bot, method)


class AnswerEveryPress(BaseMiddleware):
    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        answered: set[str] = set()
        token = _answered.set(answered)
        try:
            return await handler(event, data)
        finally:
            query = event.callback_query if isinstance(event, Update) else None
            if query is not None and query.id not in answered:
                try:
                    await query.answer()
                except TelegramAPIError:
                    pass  # too old to answer: Telegram already stopped the spinner
            _answered.reset(token)
