"""Orders and the cards they deliver (codes encrypted at rest)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OrderStatus(StrEnum):
    PENDING = "pending"
    PLACING = "placing"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    FAILED = "failed"


TERMINAL_STATUSES = frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIALLY_COMPLETED, OrderStatus.FAILED})
OPEN_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.PLACING, OrderStatus.PROCESSING})


class Order(Model):
    id = fields.UUIDField(primary_key=True)
    party = fields.ForeignKeyField("steller.Party", related_name="orders", on_delete=fields.RESTRICT)
    # Who acted: a Telegram member, an API key, or the CLI/system (actor string).
    member = fields.ForeignKeyField("steller.Member", related_name="orders", null=True,
                                    on_delete=fields.RESTRICT)
    actor = fields.CharField(max_length=64)
    product = fields.ForeignKeyField("steller.Product", related_name="orders", on_delete=fields.RESTRICT)
    face_value = fields.DecimalField(max_digits=18, decimal_places=4)
    card_currency = fields.CharField(max_length=3)
    quantity = fields.IntField()
    currency = fields.CharField(max_length=3)  # the wallet's: unit_price and total are in it
    unit_price = fields.BigIntField()
    total = fields.BigIntField()
    quote = fields.JSONField()
    # The buyer's idempotency key, unique per party.
    reference = fields.CharField(max_length=200)
    # Hash of what was asked for: the same reference with other inputs is a conflict.
    request_fingerprint = fields.CharField(max_length=64)
    vendor_request_id = fields.UUIDField(unique=True)
    vendor_order_id = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(OrderStatus, max_length=24, default=OrderStatus.PENDING, db_index=True)
    hold = fields.ForeignKeyField("steller.Hold", related_name="orders", null=True, on_delete=fields.RESTRICT)
    # Placements that reached, or may have reached, Bamboo.
    attempts = fields.IntField(default=0)
    # Times the order went back to pending without reaching Bamboo (rate limit, no connection).
    deferrals = fields.IntField(default=0)
    polls = fields.IntField(default=0)
    cards_delivered = fields.IntField(default=0)
    failure_code = fields.CharField(max_length=64, null=True)
    failure_message = fields.CharField(max_length=500, null=True)
    last_error = fields.CharField(max_length=500, null=True)
    livemode = fields.BooleanField(default=True)
    # Telegram chat and message that show this order's progress (bot orders only).
    chat_id = fields.BigIntField(null=True)
    message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    placed_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    # Bamboo said the order is final while some cards had no code yet: polled until then, with a bound.
    cards_pending_since = fields.DatetimeField(null=True)
    # An admin must look at this order (why, since when); admins were alerted once when it was set.
    attention_reason = fields.CharField(max_length=500, null=True)
    attention_at = fields.DatetimeField(null=True)
    # The worker stopped working on it (a settlement error no retry heals): only an admin settles it.
    halted_at = fields.DatetimeField(null=True)
    # What the vendor leg booked (minor units of `currency`) and how far it is from the quote's cost
    # of the delivered cards (positive: the vendor charged more; revenue absorbed it).
    vendor_cost = fields.BigIntField(null=True)
    vendor_cost_difference = fields.BigIntField(null=True)
    vendor_cost_source = fields.CharField(max_length=16, null=True)  # vendor | vendor_fx | quote | none
    # What Bamboo said it charged, in its account's currency, and the rate used to book it.
    vendor_charged = fields.DecimalField(max_digits=18, decimal_places=4, null=True)
    vendor_charge_currency = fields.CharField(max_length=3, null=True)
    vendor_charge_rate = fields.DecimalField(max_digits=24, decimal_places=10, null=True)

    class Meta:
        table = "order"
        unique_together = (("party", "reference"),)
        indexes = (("party_id", "created_at"), ("status", "updated_at"))

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class Card(Model):
    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("steller.Order", related_name="cards", on_delete=fields.RESTRICT)
    vendor_card_id = fields.CharField(max_length=64)
    # Fernet tokens: the database never holds a code, PIN, serial or expiry in the clear.
    code_encrypted = fields.TextField()
    pin_encrypted = fields.TextField(null=True)
    serial_encrypted = fields.TextField(null=True)
    expires_encrypted = fields.TextField(null=True)  # ISO 8601
    code_last4 = fields.CharField(max_length=4)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "order_card"
        unique_together = (("order", "vendor_card_id"),)
