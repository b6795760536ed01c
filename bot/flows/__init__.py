"""One folder per flow: its router (handlers), callback data, and texts in bot/locales/<lang>/<flow>.ftl.

Each flow module exposes `make_router()`: a fresh Router per Dispatcher (aiogram attaches a router to
one dispatcher only), with its handlers registered explicitly.
"""

from __future__ import annotations

from aiogram import Router


def make_routers() -> list[Router]:
    """Commands and deep links first, each area's flows, the catch-all for what nobody understood last."""
    from bot.flows import menu
    from bot.flows.admin import router as admin
    from bot.flows.admin_admins import router as admin_admins
    from bot.flows.admin_broadcast import router as admin_broadcast
    from bot.flows.admin_catalog import router as admin_catalog
    from bot.flows.admin_insight import router as admin_insight
    from bot.flows.invites import router as invites
    from bot.flows.order import router as order
    from bot.flows.reports import router as reports
    from bot.flows.settings import router as settings
    from bot.flows.start import router as start
    from bot.flows.subagents import router as subagents
    from bot.flows.wallet import router as wallet

    return [
        start.make_router(),
        order.make_router(),
        invites.make_router(),
        reports.make_router(),
        settings.make_router(),
        wallet.make_router(), subagents.make_router(),
        menu.make_router(),
        admin.make_router(),
        admin_broadcast.make_router(),
        admin_catalog.make_router(), admin_insight.make_router(),
        admin_admins.make_router(),
        menu.make_fallback_router(),
    ]
