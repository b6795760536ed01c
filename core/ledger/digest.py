"""Tamper evidence: an HMAC over every field of a transfer that carries meaning.

A digest is stored as "<key id>:<hex>", made with the current STELLER_LEDGER_KEYS key, so the
checker verifies each row with the key that signed it and old keys can be rotated out. Rows from
before key ids hold a bare hex digest, verified with the legacy STELLER_LEDGER_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from core.config import get_settings

KEY_ID_SEPARATOR = ":"


def _canonical(
    *, operation_id: int, kind: str, debit_account_id: int, credit_account_id: int, amount: int, currency: str,
    debit_seq: int, credit_seq: int, debit_balance_after: int, credit_balance_after: int, reference: str | None,
    created_at: datetime,
) -> bytes:
    return "|".join(
        str(part)
        for part in (
            operation_id, kind, debit_account_id, credit_account_id, amount, currency,
            debit_seq, credit_seq, debit_balance_after, credit_balance_after,
            reference or "", created_at.isoformat(timespec="microseconds"),
        )
    ).encode()


def _hmac(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


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
    """The digest to store: "<current key id>:<hex>"."""
    keys = get_settings().ledger_keys
    canonical = _canonical(
        operation_id=operation_id, kind=kind, debit_account_id=debit_account_id,
        credit_account_id=credit_account_id, amount=amount, currency=currency, debit_seq=debit_seq,
        credit_seq=credit_seq, debit_balance_after=debit_balance_after,
        credit_balance_after=credit_balance_after, reference=reference, created_at=created_at,
    )
    return f"{keys.current_id}{KEY_ID_SEPARATOR}{_hmac(keys.current, canonical)}"


_ROW_FIELDS = (
    "operation_id", "kind", "debit_account_id", "credit_account_id", "amount", "currency", "debit_seq",
    "credit_seq", "debit_balance_after", "credit_balance_after", "reference", "created_at",
)


def digest_problem(row: Mapping) -> str | None:
    """None when the row's stored `digest` matches its fields; else why not (for the checker).

    `row` holds the transfer's columns by name (a raw query row or a dict of a Transfer).
    """
    settings = get_settings()
    stored = str(row["digest"] or "")
    key_id, sep, hexdigest = stored.rpartition(KEY_ID_SEPARATOR)
    if sep:
        key = settings.ledger_keys.get(key_id)
        if key is None:
            return f"signed with key {key_id!r}, which is not in STELLER_LEDGER_KEYS: cannot verify it"
    else:
        hexdigest = stored
        if settings.ledger_legacy_key is None:
            return "its digest has no key id and STELLER_LEDGER_KEY (the legacy key) is not set: cannot verify it"
        key = settings.ledger_legacy_key.get_secret_value()
    canonical = _canonical(**{name: row[name] for name in _ROW_FIELDS})
    if not hmac.compare_digest(_hmac(key, canonical), hexdigest):
        return "its fields do not match its digest: the row was edited"
    return None


def verify_digest(row: Mapping) -> bool:
    return digest_problem(row) is None


def fingerprint(*parts: object) -> str:
    """Stable hash of an operation's inputs, to tell a replay from a key reused for other inputs."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
