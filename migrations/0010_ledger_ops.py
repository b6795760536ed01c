from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# admin_alert: the "admins were told" mark, committed with the alert's outbox rows
# (core.notifications.alerts), replacing a Redis flag set before the rows were written.
class Migration(migrations.Migration):
    dependencies = [('steller', '0009_order_settlement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AdminAlert',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=200)),
                ('last_sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'admin_alert', 'app': 'steller', 'pk_attr': 'id', 'table_description': 'When admins were last told about one problem (core.notifications.alerts).'},
            bases=['Model'],
        ),
    ]
