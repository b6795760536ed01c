"""The partner API's request log: one row per authenticated `/v1` request, written in batches.

What a row never holds: the raw path (ids), the query string, the body, the key or any card code —
only the route's template (`/v1/orders/{order_id}`) and the key's display prefix.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RequestLog(Model):
    id = fields.BigIntField(primary_key=True)
    # No foreign keys: an append-only log written in batches must never wait on a party's or a key's
    # row lock (a foreign key check takes one), and the purge deletes old rows on its own.
    party_id = fields.BigIntField()
    api_key_id = fields.BigIntField()
    key_prefix = fields.CharField(max_length=16)  # "sk_live_ab12cd34": the key's display prefix
    livemode = fields.BooleanField()
    method = fields.CharField(max_length=8)
    path = fields.CharField(max_length=200)  # the route's template, never the raw path or query
    status = fields.SmallIntField()
    latency_ms = fields.IntField()  # whole milliseconds, rounded
    request_id = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()  # when the request came in (UTC)

    class Meta:
        table = "api_request_log"
        app = "steller"
        table_description = "The partner API's request log (written in batches; purged after the retention)."
        indexes = (("party_id", "livemode", "created_at", "id"), ("created_at",))
