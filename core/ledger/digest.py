"""Tamper evidence: an HMAC over every field of a transfer that carries meaning."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from core.config import get_settings


def transfer_digest(
    *,
    operation_id: int,
    kind: str,
    debit_account_id: int,
    credit_account_id: int,
    amount: int,
    currency: str,
    debit_seq: int,
    credit_seq: int,
    debit_balance_after: int,
    credit_balance_after: int,
    reference: str | None,
    created_at: datetime,
) -> str:
    canonical = "|".join(
        str(part)
        for part in (
            operation_id, kind, debit_account_id, credit_account_id, amount, currency,
            debit_seq, credit_seq, debit_balance_after, credit_balance_after,
            reference or "", created_at.isoformat(timespec="microseconds"),
        )
    )
    key = get_settings().ledger_signing_key.get_secret_value().encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def fingerprint(*parts: object) -> str:
    """Stable hash of an operation's inputs, to tell a replay from a key reused for other inputs."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
