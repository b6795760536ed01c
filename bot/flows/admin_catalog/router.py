"""The admin router for pricing and card lists: /discount and /cardlist, and the menu's Discount and
Card lists buttons (`AdminCb(area="discount" | "cardlist")`).

Admins only (`IsAdmin` on messages and presses): a non-admin's /discount or forged button falls through
to the fallback and gets the answer for anything not understood. Every handler still asks
`ctx.admin_actor()`, which re-checks the rights now and carries the update into the audit.
"""

from __future__ import annotations

from aiogram import Router

from bot.flows.admin.common import IsAdmin
from bot.flows.admin_catalog import cardlist, discount


def make_router() -> Router:
    router = Router(name="admin_catalog")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    discount.register(router)
    cardlist.register(router)
    return router
