"""The admin router for insight: /metrics, /vendor, /sync and /audit, and the menu's buttons for them
(`AdminCb(area="metrics" | "vendor" | "sync" | "audit")`).

Admins only (`IsAdmin` on messages and presses): anyone else's command or forged button falls through to
the fallback and gets the answer for anything not understood. Every handler still asks
`ctx.admin_actor()`, which re-checks the rights now and carries the update into the audit.
"""

from __future__ import annotations

from aiogram import Router

from bot.flows.admin.common import IsAdmin
from bot.flows.admin_insight import audit, metrics, sync, vendor


def make_router() -> Router:
    router = Router(name="admin_insight")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    metrics.register(router)
    vendor.register(router)
    sync.register(router)
    audit.register(router)
    return router
