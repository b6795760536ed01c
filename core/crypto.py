"""Encryption at rest (card codes, webhook secrets) with Fernet; hashing for API keys.

STELLER_CARD_KEY holds one or more Fernet keys separated by commas: the first encrypts, all of
them decrypt, so a key can be rotated without re-encrypting everything at once.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.config import get_settings


class DecryptionFailed(Exception):
    """A stored secret cannot be read with the configured keys (wrong or rotated-away key)."""


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def _current() -> MultiFernet:
    return _fernet(get_settings().card_key.get_secret_value())


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt with the configured STELLER_CARD_KEY") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()


def secret_hash(secret: str) -> str:
    """Keyed hash for API keys: a stolen table alone cannot be brute-forced offline."""
    key = get_settings().ledger_signing_key.get_secret_value().encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
