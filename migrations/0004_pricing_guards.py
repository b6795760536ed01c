"""One discount per scope, and a scope that makes sense."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("steller", "0003_catalog_pricing")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX pricing_discount_scope ON pricing_discount "
                "(COALESCE(party_kind, ''), COALESCE(party_id, 0), COALESCE(brand_id, 0), COALESCE(product_id, 0))",
                "ALTER TABLE pricing_discount ADD CONSTRAINT discount_scope CHECK "
                "((party_kind IS NULL) <> (party_id IS NULL) AND NOT (brand_id IS NOT NULL AND product_id IS NOT NULL))",
                "ALTER TABLE pricing_discount ADD CONSTRAINT discount_rate CHECK (rate >= 0 AND rate < 1)",
                "CREATE UNIQUE INDEX card_list_one_default ON card_list (is_default_agent_list) "
                "WHERE is_default_agent_list",
                "CREATE INDEX catalog_product_brand ON catalog_product (brand_id)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS catalog_product_brand",
                "DROP INDEX IF EXISTS card_list_one_default",
                "ALTER TABLE pricing_discount DROP CONSTRAINT IF EXISTS discount_rate",
                "ALTER TABLE pricing_discount DROP CONSTRAINT IF EXISTS discount_scope",
                "DROP INDEX IF EXISTS pricing_discount_scope",
            ],
        ),
    ]
