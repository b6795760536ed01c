from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.access.models import ApiKeyMode


# Partner API keys: a keyed hash (never the key) and an 8-character display prefix per key.
class Migration(migrations.Migration):
    dependencies = [('steller', '0014_broadcasts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.RESTRICT)),
                ('mode', fields.CharEnumField(description='LIVE: live\nTEST: test', enum_type=ApiKeyMode, max_length=8)),
                ('name', fields.CharField(null=True, max_length=100)),
                ('prefix', fields.CharField(max_length=8)),
                ('key_hash', fields.CharField(unique=True, max_length=96)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('created_by', fields.CharField(max_length=64)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'api_key', 'app': 'steller', 'indexes': [Index(fields=['party_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
