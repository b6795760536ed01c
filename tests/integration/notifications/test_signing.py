"""Webhook signatures: the pure helpers, the header on a real delivery, and secret rotation."""

from __future__ import annotations

from core.access.actor import Actor
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from core.db import atomic
from core.notifications import service as notifications
from tests.notifications_support import emit

SECRET = "whsec_abcdefghijklmnopqrstuvwxyz012345"


def test_sign_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"id":"evt_1","type":"ping"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert notifications.sign(SECRET, 1700000000, body) == expected
    header = notifications.signature_header(secrets=[SECRET], timestamp=1700000000, body=body)
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_the_right_secret_and_body_only():
    body = b'{"id":"evt_1","type":"ping"}'
    header = notifications.signature_header(secrets=[SECRET], timestamp=1700000000, body=body)
    assert notifications.verify(header, SECRET, body, now=1700000010)
    assert notifications.verify(header, ["whsec_other", SECRET], body, now=1700000010)
    assert not notifications.verify(header, SECRET, body.replace(b"ping", b"pong"), now=1700000010)
    assert not notifications.verify(header, "whsec_wrong", body, now=1700000010)
    # Outside the tolerance window (replayed capture) or malformed headers: refused.
    assert not notifications.verify(header, SECRET, body, tolerance=300, now=1700000000 + 301)
    assert notifications.verify(header, SECRET, body, tolerance=None, now=1800000000)
    assert not notifications.verify("v1=" + header.split("v1=")[1], SECRET, body, now=1700000000)
    assert not notifications.verify("t=1700000000", SECRET, body, now=1700000000)
    assert not notifications.verify("t=abc,v1=00", SECRET, body, now=1700000000)
    assert not notifications.verify("", SECRET, body, now=1700000000)


async def test_delivery_signature_verifies_against_the_raw_body(hooked, receiver, http):
    [row] = await emit(hooked.party.id, data={"order": {"id": "o-9", "note": "ünïcode"}})
    now = datetime.now(UTC)
    await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Steller-Event-Id"] == row.event_id
    header = request.headers["Steller-Signature"]
    assert header.startswith(f"t={int(now.timestamp())},v1=") and header.count("v1=") == 1
    raw = request.content
    assert notifications.verify(header, hooked.secret, raw, now=now)
    tampered = raw.replace(b"o-9", b"o-8")
    assert tampered != raw and not notifications.verify(header, hooked.secret, tampered, now=now)
    # Re-serialising the parsed JSON is not the raw body: receivers must verify the bytes they got.
    body = json.loads(raw)
    assert list(body) == ["id", "type", "created_at", "livemode", "data"]
    assert body["data"]["order"]["note"] == "ünïcode"


async def test_rotation_signs_with_both_secrets_for_24_hours_then_only_the_new_one(hooked, receiver, http):
    rotated_at = datetime.now(UTC)
    async with atomic():
        _, new_secret = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="test"), now=rotated_at)
    assert new_secret != hooked.secret and new_secret.startswith("whsec_")

    [during] = await emit(hooked.party.id)
    at = rotated_at + timedelta(hours=23, minutes=59)
    await notifications.deliver(notification_id=during.id, http=http, telegram=None, now=at)
    header = receiver.requests[-1].headers["Steller-Signature"]
    body = receiver.requests[-1].content
    assert header.count("v1=") == 2
    assert notifications.verify(header, new_secret, body, now=at)
    assert notifications.verify(header, hooked.secret, body, now=at)  # a receiver not yet switched

    [after] = await emit(hooked.party.id)
    later = rotated_at + timedelta(hours=24, seconds=1)
    await notifications.deliver(notification_id=after.id, http=http, telegram=None, now=later)
    header = receiver.requests[-1].headers["Steller-Signature"]
    body = receiver.requests[-1].content
    assert header.count("v1=") == 1
    assert notifications.verify(header, new_secret, body, now=later)
    assert not notifications.verify(header, hooked.secret, body, now=later)


async def test_rotating_twice_keeps_at_most_two_valid_secrets(hooked, receiver, http):
    async with atomic():
        _, second = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="test"))
        _, third = await notifications.rotate_secret(party_id=hooked.party.id, actor=Actor.admin(label="test"))
    [row] = await emit(hooked.party.id)
    now = datetime.now(UTC)
    await notifications.deliver(notification_id=row.id, http=http, telegram=None, now=now)
    header, body = receiver.requests[-1].headers["Steller-Signature"], receiver.requests[-1].content
    assert header.count("v1=") == 2
    assert notifications.verify(header, third, body, now=now)
    assert notifications.verify(header, second, body, now=now)
    assert not notifications.verify(header, hooked.secret, body, now=now)
