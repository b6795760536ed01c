"""Discounts set by admins: per kind, per party, optionally narrowed to a brand or a product."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Discount(Model):
    """Exactly one of `party_kind` / `party` is set; at most one of `brand` / `product`.

    Most specific wins: party+product, party+brand, party, kind+product, kind+brand, kind.
    """

    id = fields.BigIntField(primary_key=True)
    party_kind = fields.CharField(max_length=16, null=True)
    party = fields.ForeignKeyField("steller.Party", related_name="discounts", null=True,
                                   on_delete=fields.RESTRICT)
    brand = fields.ForeignKeyField("steller.Brand", related_name="discounts", null=True,
                                   on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("steller.Product", related_name="discounts", null=True,
                                     on_delete=fields.RESTRICT)
    # Fraction of face value: 0.0500 = 5 %.
    rate = fields.DecimalField(max_digits=6, decimal_places=4)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "pricing_discount"
