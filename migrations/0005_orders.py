from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.orders.models import OrderStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('steller', '0004_pricing_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('steller.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('actor', fields.CharField(max_length=64)),
                ('product', fields.ForeignKeyField('steller.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('face_value', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('card_currency', fields.CharField(max_length=3)),
                ('quantity', fields.IntField()),
                ('currency', fields.CharField(max_length=3)),
                ('unit_price', fields.BigIntField()),
                ('total', fields.BigIntField()),
                ('quote', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reference', fields.CharField(max_length=200)),
                ('request_fingerprint', fields.CharField(max_length=64)),
                ('vendor_request_id', fields.UUIDField(unique=True)),
                ('vendor_order_id', fields.CharField(null=True, max_length=64)),
                ('status', fields.CharEnumField(default=OrderStatus.PENDING, db_index=True, description='PENDING: pending\nPLACING: placing\nPROCESSING: processing\nCOMPLETED: completed\nPARTIALLY_COMPLETED: partially_completed\nFAILED: failed', enum_type=OrderStatus, max_length=24)),
                ('hold', fields.ForeignKeyField('steller.Hold', source_field='hold_id', null=True, db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.RESTRICT)),
                ('attempts', fields.IntField(default=0)),
                ('deferrals', fields.IntField(default=0)),
                ('polls', fields.IntField(default=0)),
                ('cards_delivered', fields.IntField(default=0)),
                ('failure_code', fields.CharField(null=True, max_length=64)),
                ('failure_message', fields.CharField(null=True, max_length=500)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('livemode', fields.BooleanField(default=True)),
                ('chat_id', fields.BigIntField(null=True)),
                ('message_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('placed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'order', 'app': 'steller', 'unique_together': (('party', 'reference'),), 'indexes': [Index(fields=['party_id', 'created_at']), Index(fields=['status', 'updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Card',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('steller.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.RESTRICT)),
                ('vendor_card_id', fields.CharField(max_length=64)),
                ('serial_number', fields.CharField(null=True, max_length=200)),
                ('code_encrypted', fields.TextField(unique=False)),
                ('pin_encrypted', fields.TextField(null=True, unique=False)),
                ('code_last4', fields.CharField(max_length=4)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'order_card', 'app': 'steller', 'unique_together': (('order', 'vendor_card_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RemoveField(model_name='Category', name='id'),
        ops.AddField(
            model_name='Category',
            name='id',
            field=fields.IntField(primary_key=True, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='Category',
            index=Index(fields=['id']),
        ),
        ops.RemoveField(model_name='Product', name='id'),
        ops.AddField(
            model_name='Product',
            name='id',
            field=fields.BigIntField(primary_key=True, unique=True, db_index=True),
        ),
        ops.AddIndex(
            model_name='Product',
            index=Index(fields=['id']),
        ),
    ]
