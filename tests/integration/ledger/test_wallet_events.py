"""wallet.credited and wallet.low_balance: written with the money, once per movement or crossing."""

from __future__ import annotations

import pytest

from core.access.actor import Actor
from core.db import atomic
from core.ledger import service as ledger
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationChannel
from core.parties import service as parties
from core.parties.models import MemberRole, PartyKind
from tests.factories import make_party

pytestmark = pytest.mark.usefixtures("db")

# WALLET_LOW_BALANCE defaults to 50 (major units of the wallet's currency).


async def webhooks(party_id: int, event_type: str) -> list[dict]:
    rows = await Notification.filter(party_id=party_id, channel=NotificationChannel.WEBHOOK,
                                      event_type=event_type).order_by("id")
    return [r.payload for r in rows]


async def telegram_keys(telegram_user_id: int) -> list[str]:
    rows = await Notification.filter(telegram_user_id=telegram_user_id).order_by("id")
    return [r.event_type for r in rows]


async def test_a_topup_sends_wallet_credited_to_the_webhook_and_the_owner_once():
    partner = await make_party(PartyKind.PARTNER)
    async with atomic():
        await notifications.set_webhook(party_id=partner.id, url="https://p.example/h", events=None, actor=Actor.admin(label="t"))
        await parties.bind_member(party_id=partner.id, telegram_user_id=9001, role=MemberRole.OWNER, actor=Actor.admin(label="t"))
        await parties.bind_member(party_id=partner.id, telegram_user_id=9002, role=MemberRole.VIEWER, actor=Actor.admin(label="t"))
    async with atomic():
        posted = await ledger.topup(party_id=partner.id, amount=120_00, reference="wire-9", actor=Actor.admin(label="admin"))
    assert len(posted.notifications) == 2  # the webhook row and the owner's Telegram row

    [event] = await webhooks(partner.id, "wallet.credited")
    wallet = event["data"]["wallet"]
    assert wallet["available"] == "120.00" and wallet["currency"] == "USD"
    assert wallet["change"] == {"amount": "120.00", "kind": "topup", "operation_id": posted.operation.id}
    assert await telegram_keys(9001) == ["wallet.credited.topup"]
    assert await telegram_keys(9002) == []  # viewers are not told about money

    async with atomic():  # the same bank transfer again: nothing moves, nothing is sent
        again = await ledger.topup(party_id=partner.id, amount=120_00, reference="wire-9", actor=Actor.admin(label="admin"))
    assert again.replayed and again.notifications == []
    assert len(await webhooks(partner.id, "wallet.credited")) == 1


async def test_webhook_subscriptions_are_respected():
    partner = await make_party(PartyKind.PARTNER)
    async with atomic():
        await notifications.set_webhook(party_id=partner.id, url="https://p.example/h",
                                        events=["order.completed"], actor=Actor.admin(label="t"))
        await ledger.topup(party_id=partner.id, amount=10_00, reference="wire-10", actor=Actor.admin(label="admin"))
    assert await webhooks(partner.id, "wallet.credited") == []


async def test_low_balance_fires_once_per_crossing_below_the_threshold():
    agent = await make_party(funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await notifications.set_webhook(party_id=agent.id, url="https://a.example/h", events=None, actor=Actor.admin(label="t"))
        await parties.bind_member(party_id=agent.id, telegram_user_id=9100, role=MemberRole.OWNER, actor=Actor.admin(label="t"))
        await parties.bind_member(party_id=sub.id, telegram_user_id=9101, role=MemberRole.OWNER, actor=Actor.admin(label="t"))

    async def allocate(amount: int, key: str):
        async with atomic():
            return await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=amount, actor=Actor.admin(label="t"),
                                         idempotency_key=key)

    await allocate(40_00, "a1")  # 100 → 60: still at or above 50
    assert await webhooks(agent.id, "wallet.low_balance") == []
    await allocate(15_00, "a2")  # 60 → 45: crossed
    await allocate(5_00, "a3")  # 45 → 40: already below, no second alert
    [event] = await webhooks(agent.id, "wallet.low_balance")
    assert event["data"]["wallet"]["available"] == "45.00"  # as it was at the crossing
    assert event["data"]["wallet"]["change"]["threshold"] == "50.00"
    assert await telegram_keys(9100) == ["wallet.low_balance"]
    assert await telegram_keys(9101) == ["wallet.credited.allocation"] * 3  # the child hears of each

    async with atomic():  # back above, then below again: a new crossing, a new alert
        await ledger.reclaim(child_id=sub.id, amount=30_00, actor=Actor.admin(label="t"), idempotency_key="r1")  # 40 → 70
    await allocate(25_00, "a4")  # 70 → 45
    assert len(await webhooks(agent.id, "wallet.low_balance")) == 2
    assert (await telegram_keys(9100)).count("wallet.credited.reclaim") == 1


async def test_the_ledger_announces_domain_events_that_notifications_turn_into_messages(monkeypatch):
    from core.ledger.events import LowBalanceCrossed, WalletCredited
    from core.ledger.models import TransferKind
    from core.notifications import wallet as wallet_notifications

    heard = []
    real = wallet_notifications.on_wallet_event

    async def listen(event):
        heard.append(event)
        return await real(event)

    monkeypatch.setattr(wallet_notifications, "on_wallet_event", listen)
    agent = await make_party()
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await parties.bind_member(party_id=agent.id, telegram_user_id=9200, role=MemberRole.OWNER,
                                  actor=Actor.admin(label="t"))
        topped = await ledger.topup(party_id=agent.id, amount=60_00, reference="wire-11", actor=Actor.admin(label="t"))
    async with atomic():
        moved = await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=20_00, actor=Actor.admin(label="t"),
                                      idempotency_key="e1")  # 60 → 40: below 50
    assert heard == [
        WalletCredited(party_id=agent.id, amount=60_00, kind=TransferKind.TOPUP, operation_id=topped.operation.id),
        WalletCredited(party_id=sub.id, amount=20_00, kind=TransferKind.ALLOCATION, operation_id=moved.operation.id),
        LowBalanceCrossed(party_id=agent.id, amount=20_00, kind=TransferKind.ALLOCATION, threshold=50_00,
                          currency="USD", operation_id=moved.operation.id),
    ]
    assert [n.event_type for n in topped.notifications] == ["wallet.credited.topup"]  # rows still on Posted
    assert [n.event_type for n in moved.notifications] == ["wallet.low_balance"]


def test_the_ledger_knows_no_message_keys_and_reaches_notifications_in_one_place():
    from pathlib import Path

    ledger_dir = Path(ledger.__file__).parent
    sources = {path.name: path.read_text(encoding="utf-8") for path in ledger_dir.glob("*.py")}
    for name, text in sources.items():
        assert "wallet.credited." not in text and "message_key" not in text, name
    imports = {name: text.count("from core.notifications") + text.count("import core.notifications")
               for name, text in sources.items()}
    assert {name: n for name, n in imports.items() if n} == {"events.py": 1}


async def test_the_low_balance_threshold_is_the_wallet_currencys_own(monkeypatch):
    from decimal import Decimal

    from core.config import get_settings

    monkeypatch.setattr(get_settings(), "wallet_low_balance_by_currency", {"USD": Decimal(20)})
    agent = await make_party(funds=30_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    async with atomic():
        await notifications.set_webhook(party_id=agent.id, url="https://a.example/h", events=None,
                                        actor=Actor.admin(label="t"))
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=5_00, actor=Actor.admin(label="t"),
                              idempotency_key="t1")  # 30 → 25: under the default 50, above USD's 20
    assert await webhooks(agent.id, "wallet.low_balance") == []
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=Actor.admin(label="t"),
                              idempotency_key="t2")  # 25 → 15: crossed 20
    [event] = await webhooks(agent.id, "wallet.low_balance")
    assert event["data"]["wallet"]["change"]["threshold"] == "20.00"


async def test_a_reclaim_tells_the_childs_owners_and_managers_and_the_parent():
    from tests.factories import ADMIN, make_member

    agent = await make_party(PartyKind.AGENT, funds=100_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    await make_member(agent, telegram_user_id=9101)
    await make_member(sub, telegram_user_id=9102)
    await make_member(sub, telegram_user_id=9103, role="viewer")
    async with atomic():
        await ledger.allocate(actor=ADMIN, parent_id=agent.id, child_id=sub.id, amount=60_00, idempotency_key="a1")
    async with atomic():
        posted = await ledger.reclaim(actor=ADMIN, child_id=sub.id, amount=20_00, idempotency_key="r1")
    assert "wallet.reclaimed" in await telegram_keys(9102)
    assert "wallet.credited.reclaim" in await telegram_keys(9101)
    assert "wallet.reclaimed" not in await telegram_keys(9103)  # viewers are not told about money
    reclaimed = [n for n in posted.notifications if n.event_type == "wallet.reclaimed"]
    assert [n.payload["params"]["amount"] for n in reclaimed] == ["20.00"]
    assert not await webhooks(sub.id, "wallet.reclaimed")  # not an API event
