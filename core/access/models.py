"""Partner API keys: only a keyed hash and an 8-character display prefix are stored, never the key."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ApiKeyMode(StrEnum):
    LIVE = "live"
    TEST = "test"


class ApiKey(Model):
    id = fields.BigIntField(primary_key=True)
    party = fields.ForeignKeyField("steller.Party", related_name="api_keys", on_delete=fields.RESTRICT)
    mode = fields.CharEnumField(ApiKeyMode, max_length=8)
    name = fields.CharField(max_length=100, null=True)
    # The first 8 characters of the random part, for lists and audit labels ("sk_live_<prefix>").
    prefix = fields.CharField(max_length=8)
    # core.crypto.api_key_hash: "<hash key id>:<hex HMAC-SHA256>" (up to 81 characters).
    key_hash = fields.CharField(max_length=96, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=64)
    # Written in batches (core.access.api_keys.flush_last_used), never once per request.
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "api_key"
        app = "steller"
        indexes = (("party_id", "id"),)

    @property
    def livemode(self) -> bool:
        return self.mode == ApiKeyMode.LIVE

    @property
    def display_prefix(self) -> str:
        return f"sk_{self.mode}_{self.prefix}"
