"""Webhook endpoints (one per party and mode) and the notification outbox (webhook and Telegram deliveries)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NotificationChannel(StrEnum):
    WEBHOOK = "webhook"
    TELEGRAM = "telegram"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# A party's webhook URL for one mode: live events go to its live endpoint, test events (sk_test_ keys,
# the sandbox book) to its test endpoint, never the other way. Up to two per party.
class WebhookEndpoint(Model):
    id = fields.BigIntField(primary_key=True)
    party: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "steller.Party", related_name="webhook_endpoints", on_delete=fields.RESTRICT
    )
    # db_default: the rows from before endpoints had a mode were live ones.
    livemode = fields.BooleanField(default=True, db_default=True)
    url = fields.CharField(max_length=2048)
    events = fields.JSONField(default=list)  # event types this endpoint subscribes to
    # Fernet tokens (core.crypto): the database never holds a signing secret in the clear.
    secret_encrypted = fields.TextField()
    # After a rotation the old secret still signs (a second v1) until it expires, so receivers can switch.
    previous_secret_encrypted = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoint"
        unique_together = (("party", "livemode"),)


class Notification(Model):
    """One delivery of one event to one recipient; written in the emitter's transaction (outbox)."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharEnumField(NotificationChannel, max_length=16)
    party = fields.ForeignKeyField("steller.Party", related_name="notifications", null=True,
                                   on_delete=fields.RESTRICT)
    telegram_user_id = fields.BigIntField(null=True)
    # Receivers dedupe on it: a replay reuses the original's event id.
    event_id = fields.CharField(max_length=40, db_index=True)
    event_type = fields.CharField(max_length=64)
    # Webhook: the whole event body {id, type, created_at, livemode, data}.
    # Telegram: {message_key, params, buttons}.
    payload = fields.JSONField()
    livemode = fields.BooleanField(default=True)
    status = fields.CharEnumField(NotificationStatus, max_length=16, default=NotificationStatus.PENDING)
    attempts = fields.IntField(default=0)  # tries started (counted when a worker claims the row)
    next_attempt_at = fields.DatetimeField(null=True)
    last_status_code = fields.IntField(null=True)
    last_error = fields.CharField(max_length=300, null=True)  # short, never a secret or the URL
    # A worker's lease while it delivers outside any transaction; the token makes its result conditional.
    claim_token = fields.UUIDField(null=True)
    claimed_until = fields.DatetimeField(null=True)
    replay_of = fields.ForeignKeyField("steller.Notification", related_name="replays", null=True,
                                       on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notification"
        indexes = (("status", "next_attempt_at"), ("party_id", "channel", "id"))


class AdminAlert(Model):
    """When admins were last told about one problem (core.notifications.alerts).

    Written in the same transaction as the alert's outbox rows: the mark and the message commit
    together, so a crash never leaves a problem marked as reported that nobody was told about.
    """

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)  # what the problem is, e.g. "invariants:<hash>"
    last_sent_at = fields.DatetimeField()

    class Meta:
        table = "admin_alert"
