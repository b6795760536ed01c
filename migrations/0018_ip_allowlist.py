from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# A partner's IP allowlist (CIDRs); NULL or empty: any address may use its keys.
class Migration(migrations.Migration):
    dependencies = [('steller', '0017_idempotency')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Party',
            name='ip_allowlist',
            field=fields.JSONField(null=True),
        ),
    ]
