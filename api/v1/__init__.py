"""Partner API v1: one router per area, included by `api.app.create_app`."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from api.v1 import catalog, insight, keys, me, orders, settings, signup, wallet, webhook

    return [signup.router, me.router, catalog.router, orders.router, wallet.router, keys.router, settings.router,
            webhook.router, insight.router]
