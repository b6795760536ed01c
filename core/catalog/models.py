"""The catalog as synced from Bamboo: brands → products, categories, exchange rates, sync runs."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Category(Model):
    id = fields.IntField(primary_key=True, generated=False)  # Bamboo's category id
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")

    class Meta:
        table = "catalog_category"


class Brand(Model):
    id = fields.BigIntField(primary_key=True)
    # Bamboo's v2 catalog names brands by `internalId` (a string); name+country when it is missing.
    vendor_key = fields.CharField(max_length=200, unique=True)
    name = fields.CharField(max_length=300)
    country = fields.CharField(max_length=3)
    currency = fields.CharField(max_length=3)
    description = fields.TextField(default="")
    disclaimer = fields.TextField(default="")
    redemption_instructions = fields.TextField(default="")
    terms = fields.TextField(default="")
    logo_url = fields.CharField(max_length=1000, default="")
    category_ids = fields.JSONField(default=list)
    vendor_modified_at = fields.DatetimeField(null=True)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "catalog_brand"


class Product(Model):
    """A card. `id` is Bamboo's product id, which orders send back as ProductId."""

    id = fields.BigIntField(primary_key=True, generated=False)
    brand = fields.ForeignKeyField("steller.Brand", related_name="products", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=300)
    country = fields.CharField(max_length=3, db_index=True)
    currency = fields.CharField(max_length=3, db_index=True)
    # Face value range in `currency`; min == max for a fixed card.
    min_face = fields.DecimalField(max_digits=18, decimal_places=4)
    max_face = fields.DecimalField(max_digits=18, decimal_places=4)
    # What Bamboo charges us for that face range, in `price_currency`.
    price_min = fields.DecimalField(max_digits=18, decimal_places=4)
    price_max = fields.DecimalField(max_digits=18, decimal_places=4)
    price_currency = fields.CharField(max_length=3)
    stock = fields.IntField(null=True)  # None = unlimited, 0 = out of stock
    brand_live = fields.BooleanField(default=True)
    # Set when the product vanished from the vendor catalog; never deleted.
    gone_at = fields.DatetimeField(null=True)
    # An admin may allow selling below vendor cost (the profit guard's exception).
    allow_loss = fields.BooleanField(default=False)
    vendor_modified_at = fields.DatetimeField(null=True)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "catalog_product"

    @property
    def available(self) -> bool:
        return self.gone_at is None and self.brand_live and self.stock != 0

    @property
    def is_fixed(self) -> bool:
        return self.min_face == self.max_face


class ExchangeRate(Model):
    """1 `base` = `rate` `quote`, as Bamboo published it."""

    id = fields.BigIntField(primary_key=True)
    base = fields.CharField(max_length=3)
    quote = fields.CharField(max_length=3)
    rate = fields.DecimalField(max_digits=24, decimal_places=10)
    synced_at = fields.DatetimeField()

    class Meta:
        table = "catalog_exchange_rate"
        unique_together = (("base", "quote"),)


class SyncStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class CatalogSyncRun(Model):
    """One catalog sync; an interrupted one resumes from `next_page`."""

    id = fields.BigIntField(primary_key=True)
    full = fields.BooleanField()
    modified_since = fields.DatetimeField(null=True)
    status = fields.CharEnumField(SyncStatus, max_length=16, default=SyncStatus.RUNNING)
    next_page = fields.IntField(default=0)
    pages = fields.IntField(default=0)
    products_seen = fields.IntField(default=0)
    added = fields.IntField(default=0)
    changed = fields.IntField(default=0)
    gone = fields.IntField(default=0)
    error = fields.TextField(null=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "catalog_sync_run"


class CardMode(StrEnum):
    FIXED = "fixed"  # a few denominations
    RANGE = "range"  # any amount between min and max


class CardList(Model):
    """Which cards a party may buy. One list is the default for all agents and sub-agents."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    is_default_agent_list = fields.BooleanField(default=False)
    party = fields.OneToOneField(
        "steller.Party", related_name="card_list", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "card_list"


class CardListItem(Model):
    id = fields.BigIntField(primary_key=True)
    card_list = fields.ForeignKeyField("steller.CardList", related_name="items", on_delete=fields.CASCADE)
    product = fields.ForeignKeyField("steller.Product", related_name="list_items", on_delete=fields.RESTRICT)
    mode = fields.CharEnumField(CardMode, max_length=8)
    # FIXED: the denominations offered (decimal strings); RANGE: the bounds offered.
    denominations = fields.JSONField(default=list)
    min_face = fields.DecimalField(max_digits=18, decimal_places=4, null=True)
    max_face = fields.DecimalField(max_digits=18, decimal_places=4, null=True)
    # Where the card stands in its list (0 first): the order parties see the list in. Ties (none are
    # written, but a hand-made row may have one) fall back to the product id.
    position = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "card_list_item"
        unique_together = (("card_list", "product"),)
