from tortoise import migrations
from tortoise.migrations import operations as ops  # noqa: F401
from tortoise import fields  # noqa: F401


class Migration(migrations.Migration):
    dependencies = [('steller', '0012_invariant_checkpoint')]

    initial = False

    operations = []
