"""What every admin area shares: the menu's callback data and the admin-only filter.

A non-admin's admin command or admin button falls through to the fallback router and gets the same
answer as anything else not understood; the handler itself still asks for `await ctx.admin_actor()`,
which re-checks admin rights against the environment list and the database.
"""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import TelegramObject

from bot.context import UpdateContext

# The admin menu's areas, in the order the menu shows them.
AREAS = ("pending", "invite", "credit", "adjust", "discount", "creditlimit", "cardlist", "freeze", "party",
         "tree", "metrics", "vendor", "sync", "audit", "payout", "broadcast", "admins")


class AdminCb(CallbackData, prefix="adm"):
    """One field only: "adm:pending" is also the data of the new-application alert's button."""

    area: str


class IsAdmin(BaseFilter):
    async def __call__(self, event: TelegramObject, ctx: UpdateContext) -> bool:
        return ctx.is_admin
