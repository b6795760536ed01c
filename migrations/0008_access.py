from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from core.parties.models import InvitePurpose, MemberRole, PartyKind


# Who froze a party (a parent may lift only its own freeze); member invites (a user joins an existing
# party only by accepting one); invite hints taken from the hash, never from the code.
class Migration(migrations.Migration):
    dependencies = [('steller', '0007_card_secrets')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Party',
            name='frozen_by',
            field=fields.CharField(max_length=16, null=True),
        ),
        # Parties frozen before this migration were frozen by an admin or a parent: nobody recorded
        # which, so only an admin may lift those.
        ops.RunSQL(["UPDATE party SET frozen_by = 'admin' WHERE status = 'frozen'"], reverse_sql=[]),
        ops.AddField(
            model_name='Invite',
            name='purpose',
            field=fields.CharEnumField(InvitePurpose, max_length=16, default=InvitePurpose.PARTY),
        ),
        ops.AddField(
            model_name='Invite',
            name='member_role',
            field=fields.CharEnumField(MemberRole, max_length=16, null=True),
        ),
        ops.AlterField(
            model_name='Invite',
            name='child_kind',
            field=fields.CharEnumField(PartyKind, max_length=16, null=True),
        ),
        ops.RunSQL(["UPDATE invite SET code_hint = left(code_hash, 8)"], reverse_sql=[]),
    ]
