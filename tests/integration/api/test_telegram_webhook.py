"""Webhook mode: with TELEGRAM_WEBHOOK_URL set the API hosts the bot's update endpoint (any replica can
take an update), registers the webhook at start, and refuses a request without Telegram's secret."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from api.telegram import SECRET_HEADER, webhook_secret
from core.config import Settings, reset_settings_cache
from tests.support.telegram_api import running_telegram_api

pytestmark = pytest.mark.usefixtures("db", "redis")


@pytest.fixture
async def webhook_api(monkeypatch):
    async with running_telegram_api() as telegram:
        for name, value in {**telegram.env(), "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/tg/updates"}.items():
            monkeypatch.setenv(name, value)
        reset_settings_cache()
        app = create_app(manage_db=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                yield client, telegram, webhook_secret(Settings())
    reset_settings_cache()


async def test_updates_with_the_secret_are_served_and_others_refused(webhook_api):
    client, telegram, secret = webhook_api
    [set_webhook] = telegram.calls_to("setWebhook")
    assert set_webhook.params["url"] == "https://bot.example.com/tg/updates"
    assert set_webhook.params["secret_token"] == secret

    update = telegram.push_message(4242, "/start")
    refused = await client.post("/tg/updates", json=update, headers={SECRET_HEADER: "wrong"})
    assert refused.status_code == 401 and telegram.sent_messages(4242) == []
    missing = await client.post("/tg/updates", json=update)
    assert missing.status_code == 401

    served = await client.post("/tg/updates", json=update, headers={SECRET_HEADER: secret})
    assert served.status_code == 200
    await telegram.wait_for_messages(4242)
    assert "invite link" in telegram.texts(4242)[-1]


async def test_the_endpoint_is_not_mounted_without_a_webhook_url(db):
    app = create_app(manage_db=False)
    assert all(getattr(r, "path", "") != "/tg/updates" for r in app.routes)
