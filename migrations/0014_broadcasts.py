from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.broadcast.models import BroadcastStatus, DeliveryStatus


# Broadcasts (an admin's message to every agent and sub-agent) and one delivery row per recipient: what
# lets a broadcast resume after a worker restart and count delivered / blocked at the end.
class Migration(migrations.Migration):
    dependencies = [('steller', '0013_cardlist_order')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Broadcast',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('text', fields.TextField(unique=False)),
                ('created_by', fields.CharField(max_length=64)),
                ('notify_chat_id', fields.BigIntField()),
                ('idempotency_key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=BroadcastStatus.SENDING, description='SENDING: sending\nDONE: done', enum_type=BroadcastStatus, max_length=16)),
                ('recipients', fields.IntField(default=0)),
                ('delivered', fields.IntField(default=0)),
                ('blocked', fields.IntField(default=0)),
                ('failed', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'broadcast', 'app': 'steller', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BroadcastDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('broadcast', fields.ForeignKeyField('steller.Broadcast', source_field='broadcast_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.RESTRICT)),
                ('telegram_user_id', fields.BigIntField()),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='broadcast_deliveries', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nDELIVERED: delivered\nBLOCKED: blocked\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claim_token', fields.UUIDField(null=True)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'broadcast_delivery', 'app': 'steller', 'unique_together': (('broadcast', 'telegram_user_id'),), 'indexes': [Index(fields=['broadcast_id', 'status', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
