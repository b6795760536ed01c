from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Order settlement hardening: cards Bamboo had not delivered yet when it called the order final,
# orders an admin must look at (halted settlements, orders open too long), and what the vendor
# really charged (the vendor leg of the capture) next to the quote's cost.
class Migration(migrations.Migration):
    dependencies = [('steller', '0008_access')]

    initial = False

    operations = [
        ops.AddField(model_name='Order', name='cards_pending_since',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='Order', name='attention_reason',
                     field=fields.CharField(null=True, max_length=500)),
        ops.AddField(model_name='Order', name='attention_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='Order', name='halted_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='Order', name='vendor_cost', field=fields.BigIntField(null=True)),
        ops.AddField(model_name='Order', name='vendor_cost_difference', field=fields.BigIntField(null=True)),
        ops.AddField(model_name='Order', name='vendor_cost_source',
                     field=fields.CharField(null=True, max_length=16)),
        ops.AddField(model_name='Order', name='vendor_charged',
                     field=fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
        ops.AddField(model_name='Order', name='vendor_charge_currency',
                     field=fields.CharField(null=True, max_length=3)),
        ops.AddField(model_name='Order', name='vendor_charge_rate',
                     field=fields.DecimalField(null=True, max_digits=24, decimal_places=10)),
        # The admins' list: open orders that are flagged or halted.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS order_attention_idx ON "order" (attention_at) '
            "WHERE status IN ('pending', 'placing', 'processing')",
            reverse_sql='DROP INDEX IF EXISTS order_attention_idx',
        ),
    ]
