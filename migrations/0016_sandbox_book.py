from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# The sandbox book: every ledger account and hold is live or test. Test keys act on test accounts
# only; the database itself refuses a transfer between the books, a hold whose accounts are of the
# other book, and an order whose hold is of the other mode — so no code path, present or future,
# can hold live money for a test order.
_BOOK_GUARDS = r"""
CREATE OR REPLACE FUNCTION steller_transfer_one_book() RETURNS trigger AS $$
BEGIN
  IF (SELECT livemode FROM ledger_account WHERE id = NEW.debit_account_id)
     IS DISTINCT FROM (SELECT livemode FROM ledger_account WHERE id = NEW.credit_account_id) THEN
    RAISE EXCEPTION 'a transfer cannot cross the live and sandbox books' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION steller_hold_one_book() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM ledger_account
              WHERE id IN (NEW.wallet_account_id, NEW.hold_account_id) AND livemode IS DISTINCT FROM NEW.livemode) THEN
    RAISE EXCEPTION 'a hold and its accounts must be of one book' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION steller_order_hold_same_mode() RETURNS trigger AS $$
BEGIN
  IF NEW.hold_id IS NOT NULL
     AND (SELECT livemode FROM ledger_hold WHERE id = NEW.hold_id) IS DISTINCT FROM NEW.livemode THEN
    RAISE EXCEPTION 'an order and its hold must be of one mode' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER transfer_one_book BEFORE INSERT ON ledger_transfer
  FOR EACH ROW EXECUTE FUNCTION steller_transfer_one_book();
CREATE TRIGGER hold_one_book BEFORE INSERT OR UPDATE OF wallet_account_id, hold_account_id, livemode ON ledger_hold
  FOR EACH ROW EXECUTE FUNCTION steller_hold_one_book();
CREATE TRIGGER order_hold_same_mode BEFORE INSERT OR UPDATE OF hold_id, livemode ON "order"
  FOR EACH ROW EXECUTE FUNCTION steller_order_hold_same_mode();
"""


class Migration(migrations.Migration):
    dependencies = [('steller', '0015_api_keys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='livemode',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='Hold',
            name='livemode',
            field=fields.BooleanField(default=True),
        ),
        ops.RunSQL([_BOOK_GUARDS], reverse_sql=[
            'DROP TRIGGER IF EXISTS order_hold_same_mode ON "order"',
            "DROP TRIGGER IF EXISTS hold_one_book ON ledger_hold",
            "DROP TRIGGER IF EXISTS transfer_one_book ON ledger_transfer",
        ]),
    ]
