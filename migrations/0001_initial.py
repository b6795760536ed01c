from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.ledger.models import AccountKind, HoldStatus, TransferKind
from core.parties.models import MemberRole, MemberStatus, PartyKind, PartyStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AdminUser',
            fields=[
                ('telegram_user_id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('granted_by', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'admin_user', 'app': 'steller', 'pk_attr': 'telegram_user_id', 'table_description': 'Admins granted in the database (ADMIN_TELEGRAM_IDS from the environment also count).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(max_length=64)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.CharField(null=True, max_length=64)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'steller', 'indexes': [Index(fields=['object_type', 'object_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Operation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='TOPUP: topup\nALLOCATION: allocation\nRECLAIM: reclaim\nADJUSTMENT: adjustment\nORDER_HOLD: order_hold\nORDER_CAPTURE: order_capture\nORDER_RELEASE: order_release\nCOMMISSION_ACCRUAL: commission_accrual\nCOMMISSION_PAYOUT: commission_payout', enum_type=TransferKind, max_length=24)),
                ('idempotency_key', fields.CharField(unique=True, max_length=200)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('actor', fields.CharField(max_length=64)),
                ('memo', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_operation', 'app': 'steller', 'pk_attr': 'id', 'table_description': "One use case's money movement: every transfer it wrote shares its idempotency key."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Party',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='PARTNER: partner\nAGENT: agent\nSUBAGENT: subagent', enum_type=PartyKind, max_length=16)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(null=True, unique=True, max_length=320)),
                ('parent', fields.ForeignKeyField('steller.Party', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('depth', fields.SmallIntField(default=1)),
                ('status', fields.CharEnumField(default=PartyStatus.PENDING, description='PENDING: pending\nACTIVE: active\nFROZEN: frozen\nCLOSED: closed', enum_type=PartyStatus, max_length=16)),
                ('currency', fields.CharField(default='USD', max_length=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'party', 'app': 'steller', 'indexes': [Index(fields=['parent_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=80)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', null=True, db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='WALLET: wallet\nCOMMISSION: commission\nHOLDS: holds\nFUNDING: funding\nVENDOR: vendor\nREVENUE: revenue', enum_type=AccountKind, max_length=16)),
                ('currency', fields.CharField(max_length=3)),
                ('balance', fields.BigIntField(default=0)),
                ('credit_limit', fields.BigIntField(default=0)),
                ('entry_count', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_account', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Hold',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='holds', on_delete=OnDelete.RESTRICT)),
                ('wallet_account', fields.ForeignKeyField('steller.Account', source_field='wallet_account_id', db_constraint=True, to_field='id', related_name='wallet_holds', on_delete=OnDelete.RESTRICT)),
                ('hold_account', fields.ForeignKeyField('steller.Account', source_field='hold_account_id', db_constraint=True, to_field='id', related_name='held_holds', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('captured', fields.BigIntField(default=0)),
                ('released', fields.BigIntField(default=0)),
                ('captured_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=HoldStatus.OPEN, description='OPEN: open\nSETTLED: settled', enum_type=HoldStatus, max_length=16)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('operation', fields.ForeignKeyField('steller.Operation', source_field='operation_id', db_constraint=True, to_field='id', related_name='holds', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ledger_hold', 'app': 'steller', 'pk_attr': 'id', 'table_description': 'Money reserved for an order: captured and/or released exactly once each.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invite',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('code_hint', fields.CharField(max_length=8)),
                ('inviter', fields.ForeignKeyField('steller.Party', source_field='inviter_id', null=True, db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.RESTRICT)),
                ('child_kind', fields.CharEnumField(description='PARTNER: partner\nAGENT: agent\nSUBAGENT: subagent', enum_type=PartyKind, max_length=16)),
                ('created_by', fields.CharField(max_length=64)),
                ('max_uses', fields.IntField(default=1)),
                ('uses', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invite', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InviteRedemption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invite', fields.ForeignKeyField('steller.Invite', source_field='invite_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='redemptions', on_delete=OnDelete.RESTRICT)),
                ('telegram_user_id', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'invite_redemption', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('party', fields.ForeignKeyField('steller.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('telegram_user_id', fields.BigIntField(unique=True)),
                ('role', fields.CharEnumField(default=MemberRole.OWNER, description='OWNER: owner\nMANAGER: manager\nVIEWER: viewer', enum_type=MemberRole, max_length=16)),
                ('status', fields.CharEnumField(default=MemberStatus.ACTIVE, description='ACTIVE: active\nREMOVED: removed', enum_type=MemberStatus, max_length=16)),
                ('display_name', fields.CharField(default='', max_length=200)),
                ('language', fields.CharField(null=True, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'member', 'app': 'steller', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Transfer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('steller.Operation', source_field='operation_id', db_constraint=True, to_field='id', related_name='transfers', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='TOPUP: topup\nALLOCATION: allocation\nRECLAIM: reclaim\nADJUSTMENT: adjustment\nORDER_HOLD: order_hold\nORDER_CAPTURE: order_capture\nORDER_RELEASE: order_release\nCOMMISSION_ACCRUAL: commission_accrual\nCOMMISSION_PAYOUT: commission_payout', enum_type=TransferKind, max_length=24)),
                ('debit_account', fields.ForeignKeyField('steller.Account', source_field='debit_account_id', db_constraint=True, to_field='id', related_name='debits', on_delete=OnDelete.RESTRICT)),
                ('credit_account', fields.ForeignKeyField('steller.Account', source_field='credit_account_id', db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('debit_seq', fields.BigIntField()),
                ('credit_seq', fields.BigIntField()),
                ('debit_balance_after', fields.BigIntField()),
                ('credit_balance_after', fields.BigIntField()),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('digest', fields.CharField(max_length=64)),
            ],
            options={'table': 'ledger_transfer', 'app': 'steller', 'indexes': [Index(fields=['debit_account_id', 'debit_seq']), Index(fields=['credit_account_id', 'credit_seq'])], 'pk_attr': 'id', 'table_description': 'Immutable: a database trigger refuses UPDATE and DELETE; a digest detects tampering.'},
            bases=['Model'],
        ),
    ]
