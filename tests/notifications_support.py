"""Test doubles for notifications: a Telegram notifier that records, and a scripted webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from core.notifications.telegram import TelegramRetryLater, TelegramUndeliverable


@dataclass
class SentMessage:
    telegram_user_id: int
    message_key: str
    params: dict
    buttons: list | None


class RecordingNotifier:
    """Implements core.notifications.telegram.TelegramNotifier; `blocked` users raise Undeliverable."""

    def __init__(self, *, blocked: Iterable[int] = (), retry_after: float | None = None):
        self.sent: list[SentMessage] = []
        self.blocked = set(blocked)
        self.retry_after = retry_after
        self.calls = 0

    async def send(self, *, telegram_user_id: int, message_key: str, params: dict,
                   buttons: list | None = None) -> None:
        self.calls += 1
        if telegram_user_id in self.blocked:
            raise TelegramUndeliverable("Forbidden: bot was blocked by the user")
        if self.retry_after is not None:
            raise TelegramRetryLater(self.retry_after)
        self.sent.append(SentMessage(telegram_user_id, message_key, params, buttons))


@dataclass
class WebhookReceiver:
    """An httpx MockTransport endpoint: answers with `statuses` in turn (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay: float = 0.0
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        return httpx.Response(status, json={"ok": status < 300})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


async def emit(party_id: int, event_type: str = "order.completed", data: dict | None = None,
               livemode: bool = True) -> list:
    """emit_event in its own transaction, as a settling service would."""
    from core.db import atomic
    from core.notifications import service as notifications

    async with atomic():
        return await notifications.emit_event(
            party_id=party_id, event_type=event_type,
            data=data if data is not None else {"order": {"id": "o-1", "status": "completed"}}, livemode=livemode)
