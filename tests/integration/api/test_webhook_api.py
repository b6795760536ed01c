"""`/v1/webhook`: set up (secret shown once), read, rotate (both secrets sign for 24 h), test ping, the
delivery log and replays — with live and test endpoints kept apart, and real deliveries checked by signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from arq.constants import default_queue_name

from core.access import api_keys
from core.audit.models import AuditEntry
from core.config import get_settings
from core.crypto import decrypt
from core.db import atomic
from core.idempotency.models import IdempotencyKey
from core.notifications import service as notifications
from core.notifications.models import Notification, NotificationStatus, WebhookEndpoint
from core.notifications.transport import webhook_http_client
from core.parties import service as parties
from core.parties.models import PartyKind, PartyStatus
from jobs import notifications as notification_jobs
from tests.factories import ADMIN, make_party
from tests.integration.notifications.loopback_receiver import loopback_receiver
from tests.notifications_support import WebhookReceiver, emit

pytestmark = pytest.mark.usefixtures("db", "redis")

LIVE_URL = "https://partner.example/steller/live"
TEST_URL = "https://partner.example/steller/test"
WEBHOOK_FIELDS = {"url", "events", "livemode", "created_at", "updated_at", "secret_rotating_until"}
DELIVERY_FIELDS = {"id", "event_id", "event", "status", "attempts", "last_response_code", "last_error",
                   "next_attempt_at", "created_at", "delivered_at", "livemode", "replay_of"}


async def _secret(party, *, livemode: bool = True) -> str:
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="t")
    return created.secret


def _auth(secret: str, **extra: str) -> dict:
    return {"Authorization": f"Bearer {secret}", **extra}


@pytest.fixture
async def keys():
    partner = await make_party(PartyKind.PARTNER, name="Hooked")
    return partner, await _secret(partner), await _secret(partner, livemode=False)


async def _queued(redis) -> set[str]:
    return {job_id.decode() for job_id in await redis.zrange(default_queue_name, 0, -1)}


async def _run_queued_deliveries(redis, http) -> list[str]:
    """What a worker would do with the queued delivery jobs: run each once (then they are gone)."""
    results = []
    for job in sorted(await redis.queued_jobs(), key=lambda j: j.job_id):
        if job.function == "deliver_notification":
            await redis.zrem(default_queue_name, job.job_id)
            results.append(await notification_jobs.deliver_notification({"redis": redis, "http": http}, *job.args))
    return results


# --- Set up, read, change ------------------------------------------------------------------------


async def test_put_creates_the_endpoint_and_shows_the_secret_once(client, keys):
    partner, live, _ = keys
    with structlog.testing.capture_logs() as logs:
        created = await client.put("/v1/webhook", json={"url": LIVE_URL, "events": ["order.failed", "order.completed"]},
                                   headers=_auth(live))
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == WEBHOOK_FIELDS | {"secret"}
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 32
    assert (body["url"], body["events"], body["livemode"], body["secret_rotating_until"]) == (
        LIVE_URL, ["order.completed", "order.failed"], True, None)
    assert body["created_at"].endswith("Z")
    assert secret not in repr(logs)
    stored = await WebhookEndpoint.get(party_id=partner.id)
    assert decrypt(stored.secret_encrypted) == secret and stored.livemode is True

    read = await client.get("/v1/webhook", headers=_auth(live))
    assert read.status_code == 200 and set(read.json()) == WEBHOOK_FIELDS
    assert secret not in read.text and "whsec_" not in read.text
    assert read.json()["url"] == LIVE_URL

    # A later PUT replaces url and events, answers 200 without a secret and keeps the one issued.
    changed = await client.put("/v1/webhook", json={"url": "https://partner.example/v2"}, headers=_auth(live))
    assert changed.status_code == 200, changed.text
    assert set(changed.json()) == WEBHOOK_FIELDS and "whsec_" not in changed.text
    assert changed.json()["events"] == list(notifications.EVENT_TYPES)  # events omitted: all of them
    none = await client.put("/v1/webhook", json={"url": "https://partner.example/v2", "events": []},
                            headers=_auth(live))
    assert none.status_code == 200 and none.json()["events"] == []
    stored = await WebhookEndpoint.get(party_id=partner.id)
    assert decrypt(stored.secret_encrypted) == secret and stored.url == "https://partner.example/v2"
    assert await WebhookEndpoint.filter(party_id=partner.id).count() == 1


async def test_without_a_webhook_reads_are_404_and_actions_are_not_configured(client, keys):
    _, live, test = keys
    for key in (live, test):
        missing = await client.get("/v1/webhook", headers=_auth(key))
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        assert missing.headers["content-type"] == "application/problem+json"
        for path in ("/v1/webhook/rotate-secret", "/v1/webhook/test"):
            refused = await client.post(path, headers=_auth(key))
            assert (refused.status_code, refused.json()["code"]) == (404, "webhook.not_configured"), path
        log = await client.get("/v1/webhook/deliveries", headers=_auth(key))
        assert log.status_code == 200 and log.json() == {"data": [], "next_cursor": None}
    assert await Notification.all().count() == 0
    for method, path in (("GET", "/v1/webhook"), ("PUT", "/v1/webhook"), ("POST", "/v1/webhook/test"),
                         ("POST", "/v1/webhook/rotate-secret"), ("GET", "/v1/webhook/deliveries"),
                         ("POST", "/v1/webhook/deliveries/1/replay")):
        response = await client.request(method, path)
        assert (response.status_code, response.json()["code"]) == (401, "auth.missing"), path


@pytest.mark.parametrize("url", ["ftp://partner.example/h", "partner.example/h", "", "https://",
                                 "https://169.254.169.254/latest/meta-data", "https://partner.example/a b",
                                 "https://partner.example:99999/h"])
async def test_an_invalid_url_is_422_invalid_url_and_stores_nothing(client, keys, url):
    partner, live, _ = keys
    response = await client.put("/v1/webhook", json={"url": url}, headers=_auth(live))
    assert (response.status_code, response.json()["code"]) == (422, "webhook.invalid_url"), response.text
    assert response.json()["detail"].startswith("the webhook URL")
    assert not await WebhookEndpoint.exists(party_id=partner.id)


async def test_private_addresses_and_plain_http_are_refused_unless_allowed(client, keys, monkeypatch):
    partner, live, _ = keys
    monkeypatch.setattr(get_settings(), "webhook_allow_private", False)  # production's policy
    for url in ("https://10.1.2.3/h", "https://127.0.0.1/h", "https://localhost/h", "http://93.184.216.34/h"):
        response = await client.put("/v1/webhook", json={"url": url}, headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (422, "webhook.invalid_url"), url
    assert not await WebhookEndpoint.exists(party_id=partner.id)
    monkeypatch.setattr(get_settings(), "webhook_allow_private", True)  # WEBHOOK_ALLOW_PRIVATE=true
    allowed = await client.put("/v1/webhook", json={"url": "http://10.1.2.3/h"}, headers=_auth(live))
    assert allowed.status_code == 201 and allowed.json()["url"] == "http://10.1.2.3/h"


async def test_unknown_events_and_malformed_bodies_are_refused(client, keys):
    partner, live, _ = keys
    unknown = await client.put("/v1/webhook", json={"url": LIVE_URL, "events": ["order.completed", "order.exploded"]},
                               headers=_auth(live))
    assert (unknown.status_code, unknown.json()["code"]) == (422, "webhook.unknown_event")
    assert "order.exploded" in unknown.json()["detail"]
    for body in ({"url": LIVE_URL, "secret": "whsec_mine"}, {"events": ["ping"]}, {"url": 5},
                 {"url": LIVE_URL, "events": "order.completed"}, {"url": "https://a.example/" + "x" * 2048}):
        response = await client.put("/v1/webhook", json=body, headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), body
    assert not await WebhookEndpoint.exists(party_id=partner.id)


async def test_a_frozen_partys_key_changes_nothing(client, keys):
    partner, live, _ = keys
    assert (await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))).status_code == 201
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=partner.id, to=PartyStatus.FROZEN)
    # A frozen party's key is refused at the door for everything (party.inactive), reads included.
    for method, path in (("PUT", "/v1/webhook"), ("POST", "/v1/webhook/rotate-secret"), ("POST", "/v1/webhook/test")):
        response = await client.request(method, path, json={"url": TEST_URL} if method == "PUT" else None,
                                        headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (403, "party.inactive"), path
    stored = await WebhookEndpoint.get(party_id=partner.id)
    assert stored.url == LIVE_URL and stored.previous_secret_encrypted is None
    assert await Notification.all().count() == 0


async def test_a_pending_partner_sets_up_its_test_webhook_with_its_test_key(client):
    pending = await make_party(PartyKind.PARTNER, status=PartyStatus.PENDING)
    test = await _secret(pending, livemode=False)
    created = await client.put("/v1/webhook", json={"url": TEST_URL}, headers=_auth(test))
    assert created.status_code == 201 and created.json()["livemode"] is False
    ping = await client.post("/v1/webhook/test", headers=_auth(test))
    assert ping.status_code == 202 and ping.json()["livemode"] is False


# --- Live and test kept apart --------------------------------------------------------------------


async def test_live_and_test_endpoints_are_configured_seen_and_delivered_apart(client, keys):
    partner, live, test = keys
    live_made = await client.put("/v1/webhook", json={"url": LIVE_URL, "events": ["order.completed"]},
                                 headers=_auth(live))
    assert live_made.status_code == 201
    # The live endpoint is not the test key's: it has none until it sets up its own.
    assert (await client.get("/v1/webhook", headers=_auth(test))).status_code == 404
    test_made = await client.put("/v1/webhook", json={"url": TEST_URL, "events": ["order.completed"]},
                                 headers=_auth(test))
    assert test_made.status_code == 201 and test_made.json()["livemode"] is False
    live_secret, test_secret = live_made.json()["secret"], test_made.json()["secret"]
    assert live_secret != test_secret
    assert (await client.get("/v1/webhook", headers=_auth(live))).json()["url"] == LIVE_URL
    assert (await client.get("/v1/webhook", headers=_auth(test))).json()["url"] == TEST_URL
    # A test key's PUT never touched the live endpoint, nor its secret.
    assert await WebhookEndpoint.filter(party_id=partner.id).count() == 2
    live_row = await WebhookEndpoint.get(party_id=partner.id, livemode=True)
    assert live_row.url == LIVE_URL and decrypt(live_row.secret_encrypted) == live_secret

    # A test order's event (livemode false) reaches only the test endpoint; a live one only the live.
    [test_event] = await emit(partner.id, "order.completed", {"order": {"id": "o-test"}}, livemode=False)
    [live_event] = await emit(partner.id, "order.completed", {"order": {"id": "o-live"}}, livemode=True)
    receiver = WebhookReceiver()
    async with receiver.client() as http:
        for row in (test_event, live_event):
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
            assert outcome.result == notifications.DeliveryResult.DELIVERED
    by_url = {str(r.url): r for r in receiver.requests}
    assert set(by_url) == {TEST_URL, LIVE_URL}
    sent_test, sent_live = by_url[TEST_URL], by_url[LIVE_URL]
    assert json.loads(sent_test.content)["data"]["order"]["id"] == "o-test"
    assert json.loads(sent_test.content)["livemode"] is False
    assert json.loads(sent_live.content)["data"]["order"]["id"] == "o-live"
    # Each is signed with its own endpoint's secret only.
    assert notifications.verify(sent_test.headers["Steller-Signature"], test_secret, sent_test.content)
    assert not notifications.verify(sent_test.headers["Steller-Signature"], live_secret, sent_test.content)
    assert notifications.verify(sent_live.headers["Steller-Signature"], live_secret, sent_live.content)
    assert not notifications.verify(sent_live.headers["Steller-Signature"], test_secret, sent_live.content)

    # Each key's delivery log shows its own mode's only, and cannot replay the other's.
    test_log = (await client.get("/v1/webhook/deliveries", headers=_auth(test))).json()["data"]
    live_log = (await client.get("/v1/webhook/deliveries", headers=_auth(live))).json()["data"]
    assert [d["id"] for d in test_log] == [test_event.id] and test_log[0]["livemode"] is False
    assert [d["id"] for d in live_log] == [live_event.id] and live_log[0]["livemode"] is True
    for key, other in ((test, live_event), (live, test_event)):
        refused = await client.post(f"/v1/webhook/deliveries/{other.id}/replay", headers=_auth(key))
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert await Notification.filter(replay_of_id__not_isnull=True).count() == 0


async def test_a_test_event_without_a_test_endpoint_goes_nowhere(client, keys):
    partner, live, _ = keys
    assert (await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))).status_code == 201
    assert await emit(partner.id, "order.completed", livemode=False) == []
    assert await Notification.all().count() == 0


# --- Test ping, a real delivery, signatures, rotation ----------------------------------------------


async def test_a_ping_is_queued_after_commit_and_reaches_a_real_receiver_signed(client, keys, redis):
    _, _, test = keys
    async with loopback_receiver() as server:
        url = f"http://127.0.0.1:{server.port}/steller/hooks"  # private targets are allowed in tests
        made = await client.put("/v1/webhook", json={"url": url, "events": []}, headers=_auth(test))
        secret = made.json()["secret"]
        sent = await client.post("/v1/webhook/test", headers=_auth(test))
        assert sent.status_code == 202, sent.text
        queued = sent.json()
        assert set(queued) == DELIVERY_FIELDS
        assert (queued["event"], queued["status"], queued["attempts"], queued["livemode"], queued["replay_of"]) == (
            "ping", "pending", 0, False, None)
        assert queued["event_id"].startswith("evt_")
        assert await _queued(redis) == {f"deliver_notification:{queued['id']}:0"}  # enqueued after commit

        async with webhook_http_client() as http:
            assert await _run_queued_deliveries(redis, http) == ["delivered"]
    [request] = server.requests
    assert (request.method, request.target) == ("POST", "/steller/hooks")
    assert request.headers["steller-event-id"] == queued["event_id"]
    assert request.headers["content-type"] == "application/json"
    assert notifications.verify(request.headers["steller-signature"], secret, request.body)
    assert not notifications.verify(request.headers["steller-signature"], "whsec_" + "x" * 32, request.body)
    event = json.loads(request.body)
    assert (event["id"], event["type"], event["livemode"]) == (queued["event_id"], "ping", False)
    assert event["data"] == notifications.PING_DATA

    [logged] = (await client.get("/v1/webhook/deliveries", headers=_auth(test))).json()["data"]
    assert (logged["id"], logged["status"], logged["attempts"], logged["last_response_code"]) == (
        queued["id"], "delivered", 1, 200)
    assert logged["delivered_at"] and logged["next_attempt_at"] is None and logged["last_error"] is None


async def test_during_a_rotation_both_secrets_verify_and_a_second_rotation_retires_the_oldest(client, keys, redis):
    _, live, _ = keys
    receiver = WebhookReceiver()
    first = (await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))).json()["secret"]
    before = datetime.now(UTC)
    rotated = await client.post("/v1/webhook/rotate-secret", headers=_auth(live))
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert set(body) == WEBHOOK_FIELDS | {"secret"}
    second = body["secret"]
    assert second.startswith("whsec_") and second != first
    until = datetime.fromisoformat(body["secret_rotating_until"])
    assert before + timedelta(hours=24) - timedelta(seconds=5) <= until <= datetime.now(UTC) + timedelta(hours=24)
    read = await client.get("/v1/webhook", headers=_auth(live))
    assert read.json()["secret_rotating_until"] == body["secret_rotating_until"] and "whsec_" not in read.text

    ping = (await client.post("/v1/webhook/test", headers=_auth(live))).json()
    async with receiver.client() as http:
        assert await _run_queued_deliveries(redis, http) == ["delivered"]
    request = receiver.requests[-1]
    assert request.headers["Steller-Event-Id"] == ping["event_id"]
    header = request.headers["Steller-Signature"]
    assert header.count("v1=") == 2
    assert notifications.verify(header, first, request.content)  # a receiver not yet switched
    assert notifications.verify(header, second, request.content)  # one already switched

    third = (await client.post("/v1/webhook/rotate-secret", headers=_auth(live))).json()["secret"]
    await client.post("/v1/webhook/test", headers=_auth(live))
    async with receiver.client() as http:
        assert await _run_queued_deliveries(redis, http) == ["delivered"]
    request = receiver.requests[-1]
    header = request.headers["Steller-Signature"]
    assert header.count("v1=") == 2
    assert notifications.verify(header, third, request.content)
    assert notifications.verify(header, second, request.content)
    assert not notifications.verify(header, first, request.content)


# --- Delivery log and replay ----------------------------------------------------------------------


async def test_replay_delivers_the_same_event_id_again(client, keys, redis):
    partner, live, _ = keys
    secret = (await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))).json()["secret"]
    [original] = await emit(partner.id, "order.failed", {"order": {"id": "o-1", "status": "failed"}})
    receiver = WebhookReceiver(statuses=[500, 200])
    async with receiver.client() as http:
        await notifications.deliver(notification_id=original.id, http=http, telegram=None)
        [logged] = (await client.get("/v1/webhook/deliveries", headers=_auth(live))).json()["data"]
        assert (logged["status"], logged["attempts"], logged["last_response_code"], logged["last_error"]) == (
            "pending", 1, 500, "HTTP 500")
        assert logged["next_attempt_at"] is not None

        replayed = await client.post(f"/v1/webhook/deliveries/{original.id}/replay", headers=_auth(live))
        assert replayed.status_code == 202, replayed.text
        again = replayed.json()
        assert again["id"] != original.id and again["event_id"] == original.event_id
        assert (again["replay_of"], again["status"], again["attempts"], again["event"]) == (
            original.id, "pending", 0, "order.failed")
        assert f"deliver_notification:{again['id']}:0" in await _queued(redis)
        assert await _run_queued_deliveries(redis, http) == ["delivered"]

    first, second = receiver.requests
    assert first.headers["Steller-Event-Id"] == second.headers["Steller-Event-Id"] == original.event_id
    assert first.content == second.content  # the same event, byte for byte
    assert notifications.verify(second.headers["Steller-Signature"], secret, second.content)
    assert json.loads(second.content)["id"] == original.event_id
    log = (await client.get("/v1/webhook/deliveries", headers=_auth(live))).json()["data"]
    assert [(d["id"], d["status"]) for d in log] == [(again["id"], "delivered"), (original.id, "pending")]


async def test_another_partys_or_unknown_deliveries_cannot_be_replayed(client, keys):
    partner, live, _ = keys
    await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))
    stranger = await make_party(PartyKind.PARTNER, name="Stranger")
    stranger_key = await _secret(stranger)
    await client.put("/v1/webhook", json={"url": "https://stranger.example/h"}, headers=_auth(stranger_key))
    [theirs] = await emit(stranger.id)
    async with atomic():
        telegram = await notifications.notify_telegram(telegram_user_id=5, message_key="x", params={},
                                                       party_id=partner.id)
    for delivery_id in (theirs.id, telegram.id, 987654):
        response = await client.post(f"/v1/webhook/deliveries/{delivery_id}/replay", headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), delivery_id
    for bad in ("abc", "0", str(2**63)):
        response = await client.post(f"/v1/webhook/deliveries/{bad}/replay", headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), bad
    assert await Notification.filter(replay_of_id__not_isnull=True).count() == 0
    assert (await client.get("/v1/webhook/deliveries", headers=_auth(live))).json()["data"] == []


async def test_the_delivery_log_pages_and_filters(client, keys):
    partner, live, _ = keys
    await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=_auth(live))
    rows = []
    for n in range(3):
        rows += await emit(partner.id, "order.completed", {"order": {"id": f"o-{n}"}})
    rows += await emit(partner.id, "wallet.credited", {"wallet": {"party_id": partner.id}})
    [failed] = await emit(partner.id, "order.failed")
    await Notification.filter(id=failed.id).update(status=NotificationStatus.FAILED, next_attempt_at=None)
    old = datetime(2024, 1, 1, tzinfo=UTC)
    await Notification.filter(id=rows[0].id).update(created_at=old)
    newest_first = [failed.id, *(r.id for r in reversed(rows))]

    async def ids(**params) -> list[int]:
        response = await client.get("/v1/webhook/deliveries", params=params, headers=_auth(live))
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()["data"]]

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/webhook/deliveries", params=params, headers=_auth(live))).json()
        seen += [d["id"] for d in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first
    assert await ids(status="failed") == [failed.id]
    assert await ids(status="pending") == newest_first[1:]
    assert await ids(event="order.completed") == [r.id for r in reversed(rows[:3])]
    assert await ids(event="wallet.credited") == [rows[3].id]
    assert await ids(until="2024-06-01T00:00:00Z") == [rows[0].id]
    assert await ids(since="2024-06-01T00:00:00Z") == newest_first[:-1]
    assert await ids(since="2024-06-01T00:00:00", event="order.completed", limit=1) == [rows[2].id]
    assert await ids(since="2023-12-31T00:00:00Z", until="2024-01-02T00:00:00Z") == [rows[0].id]

    for params, code in (({"status": "lost"}, "validation_failed"),
                         ({"event": "order.shipped"}, "webhook.unknown_event"),
                         ({"cursor": "not-a-cursor"}, "cursor.invalid"), ({"cursor": "WyJ4Il0"}, "cursor.invalid"),
                         ({"limit": 0}, "validation_failed"), ({"limit": 101}, "validation_failed"),
                         ({"since": "yesterday"}, "validation_failed")):
        response = await client.get("/v1/webhook/deliveries", params=params, headers=_auth(live))
        assert (response.status_code, response.json()["code"]) == (422, code), params


# --- Idempotency-Key on the creating calls ---------------------------------------------------------


async def test_retried_creating_calls_with_an_idempotency_key_answer_the_same(client, keys):
    partner, live, _ = keys
    put_headers = _auth(live, **{"Idempotency-Key": "hook-1"})
    first = await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=put_headers)
    again = await client.put("/v1/webhook", json={"url": LIVE_URL}, headers=put_headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["secret"] == first.json()["secret"] and again.headers["Idempotent-Replayed"] == "true"
    other_body = await client.put("/v1/webhook", json={"url": TEST_URL}, headers=put_headers)
    assert (other_body.status_code, other_body.json()["code"]) == (409, "idempotency.mismatch")

    rotate_headers = _auth(live, **{"Idempotency-Key": "rotate-1"})
    rotated = await client.post("/v1/webhook/rotate-secret", headers=rotate_headers)
    rotated_again = await client.post("/v1/webhook/rotate-secret", headers=rotate_headers)
    assert rotated.status_code == rotated_again.status_code == 200
    assert rotated_again.json()["secret"] == rotated.json()["secret"] != first.json()["secret"]
    stored = await WebhookEndpoint.get(party_id=partner.id)
    assert decrypt(stored.secret_encrypted) == rotated.json()["secret"]
    assert decrypt(stored.previous_secret_encrypted) == first.json()["secret"]  # rotated once, not twice
    assert await AuditEntry.filter(action="webhook.rotate_secret").count() == 1

    ping_headers = _auth(live, **{"Idempotency-Key": "ping-1"})
    ping = await client.post("/v1/webhook/test", headers=ping_headers)
    ping_again = await client.post("/v1/webhook/test", headers=ping_headers)
    assert ping.status_code == ping_again.status_code == 202 and ping.json() == ping_again.json()
    [row] = await Notification.all()
    replay_headers = _auth(live, **{"Idempotency-Key": "replay-1"})
    replay = await client.post(f"/v1/webhook/deliveries/{row.id}/replay", headers=replay_headers)
    replay_again = await client.post(f"/v1/webhook/deliveries/{row.id}/replay", headers=replay_headers)
    assert replay.status_code == replay_again.status_code == 202 and replay.json() == replay_again.json()
    assert await Notification.all().count() == 2

    # The stored answers that make the replays possible never hold a signing secret in clear.
    stored_bodies = await IdempotencyKey.all().values_list("response_body", flat=True)
    assert len(stored_bodies) == 4
    assert all("whsec_" not in (body or "") for body in stored_bodies)


# --- The OpenAPI document ----------------------------------------------------------------------------


async def test_the_openapi_document_describes_the_webhook_operations(client):
    spec = (await client.get("/openapi.json")).json()
    expected = {("get", "/v1/webhook"): "404", ("put", "/v1/webhook"): "422",
                ("post", "/v1/webhook/rotate-secret"): "404", ("post", "/v1/webhook/test"): "404",
                ("get", "/v1/webhook/deliveries"): "422",
                ("post", "/v1/webhook/deliveries/{delivery_id}/replay"): "404"}
    for (method, path), error in expected.items():
        operation = spec["paths"][path][method]
        assert operation["summary"] and {"401", "403", "429", error} <= operation["responses"].keys(), path
    put = spec["paths"]["/v1/webhook"]["put"]
    assert "webhook.invalid_url" in put["responses"]["422"]["description"]
    assert put["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookWithSecret")
    assert "once" in put["description"]
    schemas = spec["components"]["schemas"]
    for name in ("Webhook", "WebhookWithSecret", "WebhookSettings", "Delivery"):
        assert "example" in json.dumps(schemas[name]), name
