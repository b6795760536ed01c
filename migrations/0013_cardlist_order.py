from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


# Card lists get an order of their own (admins move cards up and down in /cardlist); the cards a
# party sees in /order follow it. Existing lists keep the order they were shown in so far: by
# product id.
class Migration(migrations.Migration):
    dependencies = [('steller', '0012_invariant_checkpoint')]

    initial = False

    operations = [
        ops.AddField(model_name='CardListItem', name='position', field=fields.IntField(default=0, db_default=0)),
        ops.RunSQL(
            [
                """
                UPDATE card_list_item AS i SET position = r.rn
                  FROM (SELECT id, row_number() OVER (PARTITION BY card_list_id ORDER BY product_id) - 1 AS rn
                          FROM card_list_item) AS r
                 WHERE r.id = i.id
                """,
            ],
            reverse_sql=[],
        ),
    ]
