from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Serial numbers and expiry dates join codes and PINs as Fernet tokens (PRODUCT.md §4). No card
# had been stored in production before this migration, so nothing is re-encrypted here.
class Migration(migrations.Migration):
    dependencies = [('steller', '0006_notifications')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Card',
            name='expires_encrypted',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Card',
            name='serial_encrypted',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.RemoveField(model_name='Card', name='expires_at'),
        ops.RemoveField(model_name='Card', name='serial_number'),
    ]
