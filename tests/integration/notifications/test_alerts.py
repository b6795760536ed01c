"""Admin alerts: the "sent" mark commits with the outbox rows, once per problem and TTL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.access.actor import Actor
from core.db import atomic
from core.notifications import service as notifications
from core.notifications.alerts import KEY_MAX_LENGTH, alert_admins_once, stored_key
from core.notifications.models import AdminAlert, Notification
from core.parties import service as parties

pytestmark = pytest.mark.usefixtures("db")

ADMINS = (778_001, 778_002)


@pytest.fixture
async def admins(db):
    async with atomic():
        for telegram_user_id in ADMINS:
            await parties.grant_admin(telegram_user_id=telegram_user_id, actor=Actor.admin(label="test"))
    return ADMINS


async def alert(key: str = "vendor_balance:USD", **kwargs) -> list[Notification]:
    async with atomic():
        return await alert_admins_once(key=key, message_key="admin.vendor_balance_low",
                                       params={"accounts": "USD 1.00"}, **kwargs)


async def test_an_alert_reaches_every_admin_once_per_ttl(admins):
    rows = await alert()
    assert sorted(r.telegram_user_id for r in rows) == list(ADMINS)
    assert rows[0].payload["message_key"] == "admin.vendor_balance_low"
    assert await alert() == []  # the same problem noticed again within the TTL
    assert len(await alert(key="vendor_balance:EUR")) == 2  # another problem is news

    # Once the TTL has passed the same problem is repeated.
    await AdminAlert.filter(key="vendor_balance:USD").update(last_sent_at=datetime.now(UTC) - timedelta(hours=7))
    assert len(await alert()) == 2
    assert len(await alert(ttl=timedelta(0))) == 2  # a zero TTL never suppresses
    assert await Notification.filter(event_type="admin.vendor_balance_low").count() == 8


async def test_a_rolled_back_alert_leaves_no_mark_so_the_next_run_sends_it(admins):
    with pytest.raises(RuntimeError):
        async with atomic():
            rows = await alert_admins_once(key="invariants:abc", message_key="admin.invariant_violations",
                                           params={"count": 1, "first": "x"})
            assert len(rows) == 2
            raise RuntimeError("the worker died before commit")
    assert await AdminAlert.filter(key="invariants:abc").count() == 0
    assert await Notification.all().count() == 0
    assert len(await alert(key="invariants:abc")) == 2


async def test_when_the_outbox_write_fails_the_mark_is_not_kept(admins, monkeypatch):
    async def broken(**_):
        raise ConnectionError("database went away mid-transaction")

    monkeypatch.setattr(notifications, "notify_admins", broken)
    with pytest.raises(ConnectionError):
        await alert()
    monkeypatch.undo()
    assert len(await alert()) == 2


async def test_concurrent_runs_alert_once(admins):
    results = await asyncio.gather(*(alert() for _ in range(8)))
    assert sorted(len(rows) for rows in results) == [0] * 7 + [2]
    assert await Notification.all().count() == 2


async def test_it_needs_the_callers_transaction(admins):
    with pytest.raises(RuntimeError):
        await alert_admins_once(key="k", message_key="admin.vendor_balance_low", params={})


async def test_long_keys_fit_and_stay_distinct(admins):
    first, second = "vendor_balance:" + "USD 1.00," * 40 + "A", "vendor_balance:" + "USD 1.00," * 40 + "B"
    assert len(stored_key(first)) <= KEY_MAX_LENGTH and stored_key(first) != stored_key(second)
    assert len(await alert(key=first)) == 2
    assert len(await alert(key=second)) == 2
    assert await alert(key=first) == []
