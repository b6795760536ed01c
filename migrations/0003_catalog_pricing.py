from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.catalog.models import CardMode, SyncStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('steller', '0002_ledger_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Brand',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('vendor_key', fields.CharField(unique=True, max_length=200)),
                ('name', fields.CharField(max_length=300)),
                ('country', fields.CharField(max_length=3)),
                ('currency', fields.CharField(max_length=3)),
                ('description', fields.TextField(default='', unique=False)),
                ('disclaimer', fields.TextField(default='', unique=False)),
                ('redemption_instructions', fields.TextField(default='', unique=False)),
                ('terms', fields.TextField(default='', unique=False)),
                ('logo_url', fields.CharField(default='', max_length=1000)),
                ('category_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('vendor_modified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_brand', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardList',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('is_default_agent_list', fields.BooleanField(default=False)),
                ('party', fields.OneToOneField('steller.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='card_list', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'card_list', 'app': 'steller', 'pk_attr': 'id', 'table_description': 'Which cards a party may buy. One list is the default for all agents and sub-agents.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CatalogSyncRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('full', fields.BooleanField()),
                ('modified_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=SyncStatus.RUNNING, description='RUNNING: running\nFINISHED: finished\nFAILED: failed', enum_type=SyncStatus, max_length=16)),
                ('next_page', fields.IntField(default=0)),
                ('pages', fields.IntField(default=0)),
                ('products_seen', fields.IntField(default=0)),
                ('added', fields.IntField(default=0)),
                ('changed', fields.IntField(default=0)),
                ('gone', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_sync_run', 'app': 'steller', 'pk_attr': 'id', 'table_description': 'One catalog sync; an interrupted one resumes from `next_page`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'catalog_category', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExchangeRate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('base', fields.CharField(max_length=3)),
                ('quote', fields.CharField(max_length=3)),
                ('rate', fields.DecimalField(max_digits=24, decimal_places=10)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_exchange_rate', 'app': 'steller', 'unique_together': (('base', 'quote'),), 'pk_attr': 'id', 'table_description': '1 `base` = `rate` `quote`, as Bamboo published it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('brand', fields.ForeignKeyField('steller.Brand', source_field='brand_id', db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=300)),
                ('country', fields.CharField(db_index=True, max_length=3)),
                ('currency', fields.CharField(db_index=True, max_length=3)),
                ('min_face', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('max_face', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('price_min', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('price_max', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('price_currency', fields.CharField(max_length=3)),
                ('stock', fields.IntField(null=True)),
                ('brand_live', fields.BooleanField(default=True)),
                ('gone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('allow_loss', fields.BooleanField(default=False)),
                ('vendor_modified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('synced_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_product', 'app': 'steller', 'pk_attr': 'id', 'table_description': "A card. `id` is Bamboo's product id, which orders send back as ProductId."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardListItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card_list', fields.ForeignKeyField('steller.CardList', source_field='card_list_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('steller.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='list_items', on_delete=OnDelete.RESTRICT)),
                ('mode', fields.CharEnumField(description='FIXED: fixed\nRANGE: range', enum_type=CardMode, max_length=8)),
                ('denominations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('min_face', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('max_face', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'card_list_item', 'app': 'steller', 'unique_together': (('card_list', 'product'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Discount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party_kind', fields.CharField(null=True, max_length=16)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='discounts', on_delete=OnDelete.RESTRICT)),
                ('brand', fields.ForeignKeyField('steller.Brand', source_field='brand_id', null=True, db_constraint=True, to_field='id', related_name='discounts', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('steller.Product', source_field='product_id', null=True, db_constraint=True, to_field='id', related_name='discounts', on_delete=OnDelete.RESTRICT)),
                ('rate', fields.DecimalField(max_digits=6, decimal_places=4)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'pricing_discount', 'app': 'steller', 'pk_attr': 'id', 'table_description': 'Exactly one of `party_kind` / `party` is set; at most one of `brand` / `product`.'},
            bases=['Model'],
        ),
    ]
