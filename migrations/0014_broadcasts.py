from tortoise import migrations
from tortoise.migrations import operations as ops  # noqa: F401
from tortoise import fields  # noqa: F401


class Migration(migrations.Migration):
    dependencies = [('steller', '0013_cardlist_order')]

    initial = False

    operations = []
