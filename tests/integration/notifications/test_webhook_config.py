"""Webhook configuration, the outbox written by emit_event, test pings, replays and the delivery log."""

from __future__ import annotations

from core.access.actor import Actor
import json

import pytest

from core.audit.models import AuditEntry
from core.crypto import decrypt
from core.db import atomic
from core.errors import NotFound, ValidationFailed
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationChannel, NotificationStatus, WebhookEndpoint
from core.parties.models import PartyKind
from tests.factories import make_party
from tests.notifications_support import emit

HOOK_URL = "https://partner.example/steller/hooks"
TEST_HOOK_URL = "https://partner.example/steller/test-hooks"


async def _test_endpoint(party_id: int, events=None):
    """The party's test-mode endpoint (sandbox events go there, never to the live one)."""
    async with atomic():
        endpoint, secret = await notifications.set_webhook(party_id=party_id, url=TEST_HOOK_URL, events=events,
                                                           livemode=False, actor=Actor.admin(label="test"))
    return endpoint, secret


async def test_first_put_shows_the_secret_once_and_later_puts_keep_it(partner):
    async with atomic():
        endpoint, secret = await notifications.set_webhook(
            party_id=partner.id, url=HOOK_URL, events=["order.completed", "order.completed"], actor=Actor.admin(label="api:sk_live_x"))
    assert secret is not None and secret.startswith("whsec_") and len(secret) == len("whsec_") + 32
    assert endpoint.events == ["order.completed"]  # duplicates dropped

    async with atomic():
        again, shown = await notifications.set_webhook(
            party_id=partner.id, url="https://other.example/h", events=["wallet.credited", "order.failed"],
            actor=Actor.admin(label="api:sk_live_x"))
    assert shown is None
    assert again.id == endpoint.id
    stored = await notifications.get_webhook(actor=Actor.admin(label="test"), party_id=partner.id)
    assert stored.url == "https://other.example/h"
    assert stored.events == ["order.failed", "wallet.credited"]  # canonical order
    assert decrypt(stored.secret_encrypted) == secret  # a PUT never changes the signing secret
    assert await WebhookEndpoint.filter(party_id=partner.id).count() == 1


async def test_events_none_subscribes_to_every_type_and_no_endpoint_reads_as_none(partner):
    assert await notifications.get_webhook(actor=Actor.admin(label="test"), party_id=partner.id) is None
    async with atomic():
        endpoint, _ = await notifications.set_webhook(party_id=partner.id, url="http://localhost:9000/h",
                                                      events=None, actor=Actor.admin(label="test"))
    assert endpoint.events == list(notifications.EVENT_TYPES)


@pytest.mark.parametrize("url", ["ftp://partner.example/h", "partner.example/h", "https://", "",
                                 "https://partner.example:99999/h", "https://partner.example/a b",
                                 "javascript:alert(1)"])
async def test_put_refuses_a_bad_url(partner, url):
    with pytest.raises(ValidationFailed) as caught:
        async with atomic():
            await notifications.set_webhook(party_id=partner.id, url=url, events=["ping"], actor=Actor.admin(label="test"))
    assert caught.value.code == "webhook.invalid_url"
    assert not await WebhookEndpoint.exists(party_id=partner.id)


async def test_put_refuses_unknown_event_types(partner):
    with pytest.raises(ValidationFailed) as caught:
        async with atomic():
            await notifications.set_webhook(party_id=partner.id, url=HOOK_URL,
                                            events=["order.completed", "order.exploded"], actor=Actor.admin(label="test"))
    assert caught.value.code == "webhook.unknown_event"
    assert "order.exploded" in caught.value.message
    assert not await WebhookEndpoint.exists(party_id=partner.id)


async def test_config_changes_are_audited_without_secrets(hooked):
    async with atomic():
        await notifications.set_webhook(party_id=hooked.party.id, url="https://new.example/h",
                                        events=["order.failed"], actor=Actor.admin(label="api:sk_live_ab"))
        # An identical PUT changes nothing and records nothing.
        await notifications.set_webhook(party_id=hooked.party.id, url="https://new.example/h",
                                        events=["order.failed"], actor=Actor.admin(label="api:sk_live_ab"))
        _, new_secret = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="api:sk_live_ab"))
    entries = await AuditEntry.filter(object_type="webhook_endpoint").order_by("id")
    assert [e.action for e in entries] == ["webhook.create", "webhook.update", "webhook.rotate_secret"]
    update = entries[1]
    assert update.actor == "api:sk_live_ab"
    assert update.before["url"] == HOOK_URL and update.after["url"] == "https://new.example/h"
    assert update.after["events"] == ["order.failed"]
    dumped = json.dumps([[e.before, e.after] for e in entries])
    assert "whsec_" not in dumped and hooked.secret not in dumped and new_secret not in dumped


async def test_secrets_are_encrypted_at_rest(db, hooked):
    async with atomic():
        _, new_secret = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="test"))
    rows = await db.execute_query_dict("SELECT * FROM webhook_endpoint")
    raw = json.dumps(rows, default=str)
    assert hooked.secret not in raw and new_secret not in raw and "whsec_" not in raw
    stored = await WebhookEndpoint.get(party_id=hooked.party.id)
    assert decrypt(stored.secret_encrypted) == new_secret
    assert decrypt(stored.previous_secret_encrypted) == hooked.secret


async def test_rotate_without_endpoint_is_not_configured(partner):
    with pytest.raises(NotFound) as caught:
        async with atomic():
            await notifications.rotate_secret(party_id=partner.id, actor=Actor.admin(label="test"))
    assert caught.value.code == "webhook.not_configured"


async def test_emit_writes_a_row_only_for_subscribed_types(hooked):
    other = await make_party(PartyKind.PARTNER, name="No webhook")
    await _test_endpoint(hooked.party.id, events=["order.completed"])

    completed = await emit(hooked.party.id, "order.completed", {"order": {"id": "o-1", "total": {"amount": "9.47"}}},
                           livemode=False)
    not_subscribed = await emit(hooked.party.id, "order.failed")
    no_endpoint = await emit(other.id, "order.completed")
    no_test_endpoint = await emit(other.id, "order.completed", livemode=False)

    assert not_subscribed == [] and no_endpoint == [] and no_test_endpoint == []
    assert len(completed) == 1
    row = await Notification.get(id=completed[0].id)
    assert row.channel == NotificationChannel.WEBHOOK and row.status == NotificationStatus.PENDING
    assert row.party_id == hooked.party.id and row.livemode is False and row.attempts == 0
    assert row.event_id.startswith("evt_") and len(row.event_id) == 4 + 32
    assert row.payload["id"] == row.event_id
    assert row.payload["type"] == "order.completed"
    assert row.payload["livemode"] is False
    assert row.payload["created_at"].endswith("Z")
    assert row.payload["data"] == {"order": {"id": "o-1", "total": {"amount": "9.47"}}}
    assert await Notification.all().count() == 1


async def test_emit_refuses_unknown_types_and_runs_only_in_a_transaction(hooked):
    with pytest.raises(ValidationFailed) as caught:
        await emit(hooked.party.id, "order.shipped")
    assert caught.value.code == "webhook.unknown_event"
    with pytest.raises(RuntimeError, match="transaction"):
        await notifications.emit_event(party_id=hooked.party.id, event_type="order.completed", data={})
    assert await Notification.all().count() == 0


async def test_test_ping_is_sent_whatever_the_subscription(hooked, receiver, http):
    await _test_endpoint(hooked.party.id, events=["order.failed"])
    async with atomic():
        ping = await notifications.send_test_ping(actor=Actor.admin(label="test"), party_id=hooked.party.id, livemode=False)
    assert ping.event_type == "ping" and "ping" not in hooked.endpoint.events and ping.livemode is False
    outcome = await notifications.deliver(notification_id=ping.id, http=http, telegram=None)
    assert outcome.result == notifications.DeliveryResult.DELIVERED
    assert len(receiver.requests) == 1
    body = json.loads(receiver.requests[0].content)
    assert body["type"] == "ping" and body["livemode"] is False and body["id"] == ping.event_id
    assert str(receiver.requests[0].url) == TEST_HOOK_URL  # a test ping goes to the test endpoint


async def test_test_ping_without_endpoint_is_not_configured(partner):
    with pytest.raises(NotFound) as caught:
        async with atomic():
            await notifications.send_test_ping(actor=Actor.admin(label="test"), party_id=partner.id)
    assert caught.value.code == "webhook.not_configured"


async def test_a_live_endpoint_does_not_make_a_test_ping_possible(hooked):
    with pytest.raises(NotFound) as caught:
        async with atomic():
            await notifications.send_test_ping(actor=Actor.admin(label="test"), party_id=hooked.party.id,
                                               livemode=False)
    assert caught.value.code == "webhook.not_configured"
    assert await Notification.all().count() == 0


async def test_replay_is_a_new_delivery_of_the_same_event(hooked, receiver, http):
    [original] = await emit(hooked.party.id)
    first = await notifications.deliver(notification_id=original.id, http=http, telegram=None)
    assert first.result == notifications.DeliveryResult.DELIVERED

    async with atomic():
        again = await notifications.replay(actor=Actor.admin(label="test"), party_id=hooked.party.id, notification_id=original.id)
    assert again.id != original.id
    assert again.event_id == original.event_id and again.replay_of_id == original.id
    assert again.status == NotificationStatus.PENDING and again.attempts == 0

    second = await notifications.deliver(notification_id=again.id, http=http, telegram=None)
    assert second.result == notifications.DeliveryResult.DELIVERED
    assert len(receiver.requests) == 2
    ids = {r.headers["Steller-Event-Id"] for r in receiver.requests}
    assert ids == {original.event_id}
    assert receiver.requests[0].content == receiver.requests[1].content  # the same event body
    assert (await Notification.get(id=original.id)).status == NotificationStatus.DELIVERED


async def test_a_party_cannot_replay_another_partys_delivery(hooked):
    [theirs] = await emit(hooked.party.id)
    intruder = await make_party(PartyKind.PARTNER, name="Intruder")
    async with atomic():
        await notifications.set_webhook(party_id=intruder.id, url="https://evil.example/h", events=None, actor=Actor.admin(label="t"))
    with pytest.raises(NotFound) as caught:
        async with atomic():
            await notifications.replay(actor=Actor.admin(label="test"), party_id=intruder.id, notification_id=theirs.id)
    assert caught.value.code == "not_found"
    # Live and test never mix: a test-mode caller does not see a live delivery either.
    with pytest.raises(NotFound):
        async with atomic():
            await notifications.replay(actor=Actor.admin(label="test"), party_id=hooked.party.id, notification_id=theirs.id, livemode=False)
    assert await Notification.all().count() == 1


async def test_delivery_log_pages_newest_first_and_shows_only_own_webhooks(hooked):
    rows = []
    for n in range(5):
        rows += await emit(hooked.party.id, data={"order": {"id": f"o-{n}"}})
    other = await make_party(PartyKind.PARTNER, name="Other")
    async with atomic():
        await notifications.set_webhook(party_id=other.id, url="https://o.example/h", events=None, actor=Actor.admin(label="t"))
        await notifications.send_test_ping(actor=Actor.admin(label="test"), party_id=other.id)
        await notifications.notify_telegram(telegram_user_id=42, message_key="x", params={}, party_id=hooked.party.id)

    first = await notifications.list_deliveries(actor=Actor.admin(label="test"), party_id=hooked.party.id, limit=2)
    second = await notifications.list_deliveries(actor=Actor.admin(label="test"), party_id=hooked.party.id, limit=2, cursor=first.next_cursor)
    third = await notifications.list_deliveries(actor=Actor.admin(label="test"), party_id=hooked.party.id, limit=2, cursor=second.next_cursor)
    seen = [r.id for r in first.items + second.items + third.items]
    assert seen == [r.id for r in reversed(rows)]
    assert third.next_cursor is None
    test_only = await notifications.list_deliveries(actor=Actor.admin(label="test"), party_id=hooked.party.id, livemode=False)
    assert test_only.items == []
