"""Guards the ORM cannot express: immutable ledger rows and value checks in the database itself."""

from tortoise import migrations
from tortoise.migrations import operations as ops

FORBID_MUTATION = """
CREATE OR REPLACE FUNCTION steller_forbid_mutation() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def _immutable(table: str) -> str:
    return (
        f"CREATE TRIGGER steller_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION steller_forbid_mutation()"
    )


class Migration(migrations.Migration):
    dependencies = [("steller", "0001_initial")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                FORBID_MUTATION,
                _immutable("ledger_transfer"),
                _immutable("ledger_operation"),
                "ALTER TABLE ledger_transfer ADD CONSTRAINT transfer_amount_positive CHECK (amount > 0)",
                "ALTER TABLE ledger_transfer ADD CONSTRAINT transfer_two_accounts "
                "CHECK (debit_account_id <> credit_account_id)",
                "ALTER TABLE ledger_hold ADD CONSTRAINT hold_amounts CHECK "
                "(amount > 0 AND captured >= 0 AND released >= 0 AND captured + released <= amount)",
                "ALTER TABLE ledger_account ADD CONSTRAINT account_credit_limit CHECK (credit_limit >= 0)",
                "ALTER TABLE invite ADD CONSTRAINT invite_uses CHECK (uses >= 0 AND uses <= max_uses)",
                "CREATE INDEX ledger_operation_reference ON ledger_operation (reference)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS ledger_operation_reference",
                "ALTER TABLE invite DROP CONSTRAINT IF EXISTS invite_uses",
                "ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS account_credit_limit",
                "ALTER TABLE ledger_hold DROP CONSTRAINT IF EXISTS hold_amounts",
                "ALTER TABLE ledger_transfer DROP CONSTRAINT IF EXISTS transfer_two_accounts",
                "ALTER TABLE ledger_transfer DROP CONSTRAINT IF EXISTS transfer_amount_positive",
                "DROP TRIGGER IF EXISTS steller_immutable ON ledger_operation",
                "DROP TRIGGER IF EXISTS steller_immutable ON ledger_transfer",
                "DROP FUNCTION IF EXISTS steller_forbid_mutation()",
            ],
        ),
    ]
