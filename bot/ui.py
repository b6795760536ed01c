"""Small rendering helpers: edit in place when navigating, answer every button press."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """[[(text, callback_data), …], …] → an inline keyboard."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=text, callback_data=data) for text, data in row] for row in rows if row
    ])


async def show(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """A button press edits the message it came from; a typed command gets a new message."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message):
            try:
                edited = await message.edit_text(text, reply_markup=markup)
                return edited if isinstance(edited, Message) else message
            except TelegramBadRequest as exc:
                if "message is not modified" in str(exc):
                    return message
                # A photo or a document (a chart, a statement) has no text to edit: answer below it.
                if not any(reason in str(exc) for reason in ("can't be edited", "not found", "no text")):
                    raise
            return await message.answer(text, reply_markup=markup)
        return None
    return await event.answer(text, reply_markup=markup)


async def done(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Every callback query is answered, refusals included (a toast, or nothing for plain navigation)."""
    await query.answer(text, show_alert=alert)


async def refuse_strangers(event: Message | CallbackQuery, ctx) -> bool:
    """True (after telling them) when the user belongs to no party: member flows stop there."""
    if ctx.member is not None:
        return False
    if isinstance(event, CallbackQuery):
        await event.answer(ctx.t("error.not_a_member"), show_alert=True)
    else:
        await event.answer(ctx.t("error.not_a_member"))
    return True


async def bot_username(bot: Bot, settings) -> str:
    """For invite links: TELEGRAM_BOT_USERNAME, else Telegram's getMe (aiogram caches it)."""
    return settings.telegram_bot_username or (await bot.me()).username
