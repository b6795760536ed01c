"""A broadcast: one admin's message to every agent and sub-agent member, and one delivery row per recipient.

The rows are the broadcast's memory: a worker that dies mid-way leaves `pending` rows that the next job
(or the sweeper's) picks up, and the final count is read from them.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class BroadcastStatus(StrEnum):
    SENDING = "sending"  # rows still pending (or the final count not yet written)
    DONE = "done"  # every row delivered, blocked or failed; the admin was sent the count


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    BLOCKED = "blocked"  # Telegram 403: the user blocked the bot (or is gone); never retried
    FAILED = "failed"  # refused for another reason, or still failing after the last try


class Broadcast(Model):
    id = fields.BigIntField(primary_key=True)
    text = fields.TextField()  # the admin's own words, sent as plain text (no parse mode)
    created_by = fields.CharField(max_length=64)  # the admin actor's label ("tg:42")
    # Where the final count goes: the chat of the admin who confirmed it.
    notify_chat_id = fields.BigIntField()
    # The confirmation token: a second confirm of the same preview finds this row instead of a new one.
    idempotency_key = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(BroadcastStatus, max_length=16, default=BroadcastStatus.SENDING)
    recipients = fields.IntField(default=0)
    # Written when it is done (the rows hold the truth until then).
    delivered = fields.IntField(default=0)
    blocked = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "broadcast"
        indexes = (("status", "id"),)


class BroadcastDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    broadcast = fields.ForeignKeyField("steller.Broadcast", related_name="deliveries", on_delete=fields.RESTRICT)
    telegram_user_id = fields.BigIntField()
    party = fields.ForeignKeyField("steller.Party", related_name="broadcast_deliveries", null=True,
                                   on_delete=fields.RESTRICT)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)  # failed tries (network, Telegram 5xx); flood waits do not count
    next_attempt_at = fields.DatetimeField(null=True)  # not before (a flood wait, a retry's backoff)
    # A sender's lease while it sends outside any transaction; the token makes its result conditional.
    claim_token = fields.UUIDField(null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=300, null=True)  # short, Telegram's description only
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "broadcast_delivery"
        unique_together = (("broadcast", "telegram_user_id"),)
        indexes = (("broadcast_id", "status", "id"),)
