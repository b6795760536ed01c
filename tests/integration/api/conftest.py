"""The partner API in-process: one app per test, behind httpx's ASGI transport."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from core.access import api_keys


@pytest.fixture
async def client(db, redis):
    """A client of a fresh app (its lifespan run) on the test's clean database and Redis."""
    api_keys._used.clear()  # uses noted by earlier tests (ids restart with every truncate) are not ours
    app = create_app(manage_db=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
            yield c
