from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# Transfer digests name the key that made them: "<key id>:<hex HMAC-SHA256>" (core.ledger.digest),
# up to 16 + 1 + 64 characters. Widening a varchar rewrites no row, so the immutability trigger
# is not involved; rows written before keep their bare digest and are verified with the legacy key.
class Migration(migrations.Migration):
    dependencies = [('steller', '0010_ledger_ops')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Transfer',
            name='digest',
            field=fields.CharField(max_length=96),
        ),
    ]
