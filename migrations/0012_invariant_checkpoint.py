from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# The incremental invariant check (core.ledger.invariants_incremental): where it stands, and the
# indexes that let it read only what changed. Without them, finding a hold's capture transfers or a
# hold by its operation reads every row (also what a replayed hold or operation does today).
# Building them locks writes to the tables for a moment (seconds at 10 million transfers).
class Migration(migrations.Migration):
    dependencies = [('steller', '0011_secrets')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LedgerCheckpoint',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('transfer_floor', fields.BigIntField(default=0)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('full_checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_check_checkpoint', 'app': 'steller', 'pk_attr': 'id',
                     'table_description': 'Where the periodic invariant check stands (one row). The incremental check verifies only\n    what came after it; `steller check` re-verifies everything.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerCheckpointAccount',
            fields=[
                ('account_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('seq', fields.BigIntField()),
                ('balance', fields.BigIntField()),
            ],
            options={'table': 'ledger_check_account', 'app': 'steller', 'pk_attr': 'account_id',
                     'table_description': "An account's last verified entry: the next check continues its chain from here."},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                "CREATE INDEX IF NOT EXISTS ledger_transfer_operation ON ledger_transfer (operation_id)",
                "CREATE INDEX IF NOT EXISTS ledger_hold_operation ON ledger_hold (operation_id)",
                # The holds-account rule sums open holds only: a partial index keeps that small.
                "CREATE INDEX IF NOT EXISTS ledger_hold_open ON ledger_hold (hold_account_id) WHERE status = 'open'",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS ledger_hold_open",
                "DROP INDEX IF EXISTS ledger_hold_operation",
                "DROP INDEX IF EXISTS ledger_transfer_operation",
            ],
        ),
    ]
