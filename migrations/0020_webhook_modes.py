from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.fields.base import OnDelete
from tortoise import fields


# Live and test webhook endpoints kept apart: a party has up to two, one per mode (unique
# (party_id, livemode) instead of unique party_id). Existing endpoints were live ones.
class Migration(migrations.Migration):
    dependencies = [('steller', '0019_request_log')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='WebhookEndpoint',
            name='party',
            field=fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='WebhookEndpoint',
            name='livemode',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddConstraint(
            model_name='WebhookEndpoint',
            constraint=UniqueConstraint(fields=('party', 'livemode')),
        ),
    ]
