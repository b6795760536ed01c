"""The command menu (`setMyCommands`) per role and language: what a user sees next to the text box."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import DEFAULT_LANGUAGE, available_languages, t

ANYONE = ("start", "help", "language")
BUYER = ("menu", "order", "orders", "wallet", "report", "settings", "language", "help")
PARENT = ("menu", "order", "orders", "wallet", "subagents", "invite", "allocate", "reclaim", "report",
          "settings", "language", "help")
VIEWER = ("menu", "orders", "wallet", "report", "settings", "language", "help")
ADMIN = ("admin", "pending", "party", "credit", "broadcast")


def commands_for(*, role: str | None, may_have_children: bool, is_admin: bool) -> tuple[str, ...]:
    if role is None:
        names = ANYONE
    elif role == "viewer":
        names = VIEWER
    else:
        names = PARENT if may_have_children and role == "owner" else BUYER
        if may_have_children and role == "manager":
            names = tuple(n for n in PARENT if n != "invite")
    return names + (ADMIN if is_admin else ())


def _menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    return [BotCommand(command=name, description=t(f"command.{name}", lang)) for name in names]


async def publish_commands(bot: Bot) -> None:
    """At start: the menu of someone who belongs to no party yet, in every language we have."""
    for lang in available_languages():
        await bot.set_my_commands(_menu(ANYONE, lang), scope=BotCommandScopeDefault(),
                                  language_code=None if lang == DEFAULT_LANGUAGE else lang)


async def publish_commands_for_chat(bot: Bot, *, chat_id: int, lang: str, role: str | None,
                                    may_have_children: bool, is_admin: bool) -> None:
    """When a user's role is known (start, join, language change): their own menu in their language."""
    names = commands_for(role=role, may_have_children=may_have_children, is_admin=is_admin)
    await bot.set_my_commands(_menu(names, lang), scope=BotCommandScopeChat(chat_id=chat_id))
