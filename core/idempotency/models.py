"""A stored Idempotency-Key: what was asked (a hash) and what was answered, for 24 hours."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    id = fields.BigIntField(primary_key=True)
    # Whose key: "party:<id>:live" / "party:<id>:test" for an API key's party and mode, or a scope
    # string the caller chooses where there is no party yet (signup: the client's address).
    scope = fields.CharField(max_length=100)
    key = fields.CharField(max_length=200)
    # sha256 of method, path and canonical body: the same key with another request is refused.
    request_hash = fields.CharField(max_length=64)
    # The first response, byte for byte (JSON text: replays are identical to it, key order and all).
    # Written in the claiming transaction, so a committed row always has it.
    status_code = fields.IntField(null=True)
    response_body = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_key"
        unique_together = (("scope", "key"),)
