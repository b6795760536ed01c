"""The double-entry ledger: accounts, operations (one per use case), immutable transfers, holds."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class AccountKind(StrEnum):
    WALLET = "wallet"
    COMMISSION = "commission"
    HOLDS = "holds"  # one per party, so order holds of different parties never contend
    FUNDING = "funding"
    VENDOR = "vendor"
    REVENUE = "revenue"


SYSTEM_ACCOUNT_KINDS = frozenset({AccountKind.FUNDING, AccountKind.VENDOR, AccountKind.REVENUE})


class TransferKind(StrEnum):
    TOPUP = "topup"
    ALLOCATION = "allocation"
    RECLAIM = "reclaim"
    ADJUSTMENT = "adjustment"
    ORDER_HOLD = "order_hold"
    ORDER_CAPTURE = "order_capture"
    ORDER_RELEASE = "order_release"
    COMMISSION_ACCRUAL = "commission_accrual"
    COMMISSION_PAYOUT = "commission_payout"


class HoldStatus(StrEnum):
    OPEN = "open"
    SETTLED = "settled"


class Account(Model):
    id = fields.BigIntField(primary_key=True)
    # Stable natural key: "party:<id>:<kind>:<CUR>" or "system:<kind>:<CUR>"; "test:" before either
    # for the sandbox book.
    code = fields.CharField(max_length=80, unique=True)
    party = fields.ForeignKeyField(
        "steller.Party", related_name="accounts", null=True, on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(AccountKind, max_length=16)
    currency = fields.CharField(max_length=3)
    # False: the sandbox book (test keys, test orders). The database refuses a transfer between books.
    livemode = fields.BooleanField(default=True)
    # Cached: credits minus debits, in minor units, updated with every transfer under a row lock.
    balance = fields.BigIntField(default=0)
    credit_limit = fields.BigIntField(default=0)
    entry_count = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_account"

    @property
    def is_system(self) -> bool:
        return self.kind in SYSTEM_ACCOUNT_KINDS


class Operation(Model):
    """One use case's money movement: every transfer it wrote shares its idempotency key."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(TransferKind, max_length=24)
    idempotency_key = fields.CharField(max_length=200, unique=True)
    # Hash of the operation's inputs: the same key with other inputs is a conflict, not a replay.
    fingerprint = fields.CharField(max_length=64)
    reference = fields.CharField(max_length=200, null=True)
    actor = fields.CharField(max_length=64)
    memo = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "ledger_operation"


class Transfer(Model):
    """Immutable: a database trigger refuses UPDATE and DELETE; a digest detects tampering."""

    id = fields.BigIntField(primary_key=True)
    operation = fields.ForeignKeyField(
        "steller.Operation", related_name="transfers", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(TransferKind, max_length=24)
    debit_account = fields.ForeignKeyField(
        "steller.Account", related_name="debits", on_delete=fields.RESTRICT
    )
    credit_account = fields.ForeignKeyField(
        "steller.Account", related_name="credits", on_delete=fields.RESTRICT
    )
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    # Each account's entries are numbered 1..n with the running balance after each.
    debit_seq = fields.BigIntField()
    credit_seq = fields.BigIntField()
    debit_balance_after = fields.BigIntField()
    credit_balance_after = fields.BigIntField()
    reference = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()
    # "<key id>:<hex HMAC>" (core.ledger.digest); a bare hex digest from before key ids.
    digest = fields.CharField(max_length=96)

    class Meta:
        table = "ledger_transfer"
        indexes = (("debit_account_id", "debit_seq"), ("credit_account_id", "credit_seq"))


class Hold(Model):
    """Money reserved for an order: captured and/or released exactly once each."""

    id = fields.BigIntField(primary_key=True)
    party = fields.ForeignKeyField("steller.Party", related_name="holds", on_delete=fields.RESTRICT)
    wallet_account = fields.ForeignKeyField(
        "steller.Account", related_name="wallet_holds", on_delete=fields.RESTRICT
    )
    hold_account = fields.ForeignKeyField(
        "steller.Account", related_name="held_holds", on_delete=fields.RESTRICT
    )
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    livemode = fields.BooleanField(default=True)  # the book of its accounts (a database trigger checks)
    captured = fields.BigIntField(default=0)
    released = fields.BigIntField(default=0)
    captured_at = fields.DatetimeField(null=True)
    released_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(HoldStatus, max_length=16, default=HoldStatus.OPEN)
    reference = fields.CharField(max_length=200, null=True)
    operation = fields.ForeignKeyField(
        "steller.Operation", related_name="holds", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_hold"

    @property
    def remaining(self) -> int:
        return self.amount - self.captured - self.released


class LedgerCheckpoint(Model):
    """Where the periodic invariant check stands (one row). The incremental check verifies only
    what came after it; `steller check` re-verifies everything."""

    id = fields.IntField(primary_key=True)
    # The stray-row pass (transfers outside every account's entry chain) reads ids above this.
    transfer_floor = fields.BigIntField(default=0)
    checked_at = fields.DatetimeField()
    full_checked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ledger_check_checkpoint"


class LedgerCheckpointAccount(Model):
    """An account's last verified entry: the next check continues its chain from here."""

    # Not a foreign key: only the checker reads it, next to the account row, and it must never
    # stand in the way of anything done to accounts.
    account_id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField()
    balance = fields.BigIntField()

    class Meta:
        table = "ledger_check_account"
