from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.notifications.models import NotificationChannel, NotificationStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('steller', '0005_orders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='WEBHOOK: webhook\nTELEGRAM: telegram', enum_type=NotificationChannel, max_length=16)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.RESTRICT)),
                ('telegram_user_id', fields.BigIntField(null=True)),
                ('event_id', fields.CharField(db_index=True, max_length=40)),
                ('event_type', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('livemode', fields.BooleanField(default=True)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: pending\nDELIVERED: delivered\nFAILED: failed', enum_type=NotificationStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('claim_token', fields.UUIDField(null=True)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('replay_of', fields.ForeignKeyField('steller.Notification', source_field='replay_of_id', null=True, db_constraint=True, to_field='id', related_name='replays', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'steller', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['party_id', 'channel', 'id'])], 'pk_attr': 'id', 'table_description': "One delivery of one event to one recipient; written in the emitter's transaction (outbox)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.OneToOneField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='webhook_endpoint', on_delete=OnDelete.RESTRICT)),
                ('url', fields.CharField(max_length=2048)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret_encrypted', fields.TextField(unique=False)),
                ('previous_secret_encrypted', fields.TextField(null=True, unique=False)),
                ('previous_secret_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
