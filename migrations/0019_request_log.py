from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


# The partner API's request log: one row per authenticated /v1 request (route template, status,
# latency, key prefix; never a path with ids, a query, a body or a key), written in batches by the
# API and purged after REQUEST_LOG_RETENTION_DAYS. No foreign keys: a batch insert never waits on a
# party's row lock.
class Migration(migrations.Migration):
    dependencies = [('steller', '0018_ip_allowlist')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RequestLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party_id', fields.BigIntField()),
                ('api_key_id', fields.BigIntField()),
                ('key_prefix', fields.CharField(max_length=16)),
                ('livemode', fields.BooleanField()),
                ('method', fields.CharField(max_length=8)),
                ('path', fields.CharField(max_length=200)),
                ('status', fields.SmallIntField()),
                ('latency_ms', fields.IntField()),
                ('request_id', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_request_log', 'app': 'steller',
                     'indexes': [Index(fields=['party_id', 'livemode', 'created_at', 'id']),
                                 Index(fields=['created_at'])],
                     'pk_attr': 'id',
                     'table_description': "The partner API's request log (written in batches; purged after the retention)."},
            bases=['Model'],
        ),
    ]
