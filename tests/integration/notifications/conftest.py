from __future__ import annotations

from core.access.actor import Actor
from types import SimpleNamespace

import pytest

from core.db import atomic
from core.notifications import service as notifications
from core.parties.models import PartyKind
from tests.factories import make_party
from tests.notifications_support import WebhookReceiver

HOOK_URL = "https://partner.example/steller/hooks"


@pytest.fixture
async def partner(db):
    return await make_party(PartyKind.PARTNER, name="Partner")


@pytest.fixture
async def hooked(partner):
    """A partner whose endpoint subscribes to order.completed and wallet.credited."""
    async with atomic():
        endpoint, secret = await notifications.set_webhook(
            party_id=partner.id, url=HOOK_URL, events=["order.completed", "wallet.credited"], actor=Actor.admin(label="test"))
    return SimpleNamespace(party=partner, endpoint=endpoint, secret=secret)


@pytest.fixture
async def receiver():
    return WebhookReceiver()


@pytest.fixture
async def http(receiver):
    client = receiver.client()
    yield client
    await client.aclose()

