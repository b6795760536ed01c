"""Encryption at rest (card codes, webhook secrets) with Fernet; keyed hashing for API keys.

Each purpose has its own keyring (core.keyring), so a key can be rotated without touching the rest:
- STELLER_CARD_KEYS: tokens are "<key id>:<Fernet token>", made with the current key and decrypted
  with the key they name. Bare Fernet tokens (from before key ids) are tried with every configured
  key, the legacy STELLER_CARD_KEY list included.
- STELLER_API_KEY_HASH_KEYS: API key hashes are "<key id>:<hex HMAC-SHA256>"; a lookup tries the
  hash under every key (`api_key_hash_candidates`), so keys hashed before a rotation still match.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.config import get_settings
from core.keyring import KEY_ID_PATTERN

KEY_ID_SEPARATOR = ":"  # never part of a Fernet token (url-safe base64) or a hex digest


class DecryptionFailed(Exception):
    """A stored secret cannot be read with the configured keys (wrong or rotated-away key)."""


@lru_cache(maxsize=16)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def _legacy_keys() -> list[str]:
    settings = get_settings()
    keys = [secret for _, secret in settings.card_keys.items()]
    if settings.card_legacy_keys is not None:
        keys += [k.strip() for k in settings.card_legacy_keys.get_secret_value().split(",") if k.strip()]
    return list(dict.fromkeys(keys))


def encrypt(plaintext: str) -> str:
    keys = get_settings().card_keys
    token = _fernet(keys.current).encrypt(plaintext.encode()).decode()
    return f"{keys.current_id}{KEY_ID_SEPARATOR}{token}"


def key_id_of(token: str) -> str | None:
    """The id of the key that encrypted `token`; None for a token from before key ids."""
    key_id, sep, _ = token.partition(KEY_ID_SEPARATOR)
    return key_id if sep and KEY_ID_PATTERN.match(key_id) else None


def decrypt(token: str) -> str:
    key_id = key_id_of(token)
    try:
        if key_id is not None:
            key = get_settings().card_keys.get(key_id)
            if key is None:
                raise DecryptionFailed(f"encrypted with key {key_id!r}, which is not in STELLER_CARD_KEYS")
            return _fernet(key).decrypt(token.partition(KEY_ID_SEPARATOR)[2].encode()).decode()
        return MultiFernet([_fernet(k) for k in _legacy_keys()]).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt with the configured STELLER_CARD_KEYS") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()


def _api_key_hmac(key: str, secret: str) -> str:
    return hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()


def api_key_hash(secret: str) -> str:
    """What to store for an API key: "<key id>:<hex>" under the current key (never the key itself).

    Keyed, so a stolen table alone cannot be brute-forced offline; up to 81 characters.
    """
    keys = get_settings().api_key_hash_keys
    return f"{keys.current_id}{KEY_ID_SEPARATOR}{_api_key_hmac(keys.current, secret)}"


def api_key_hash_candidates(secret: str) -> list[str]:
    """The stored form of `secret` under every configured key, current first (look up with `IN`)."""
    return [f"{key_id}{KEY_ID_SEPARATOR}{_api_key_hmac(key, secret)}"
            for key_id, key in get_settings().api_key_hash_keys.items()]


def verify_api_key_hash(secret: str, stored: str) -> bool:
    key_id, sep, hexdigest = stored.partition(KEY_ID_SEPARATOR)
    key = get_settings().api_key_hash_keys.get(key_id) if sep else None
    return key is not None and hmac.compare_digest(_api_key_hmac(key, secret), hexdigest)


# The name the rest of the code used before keyrings: hashing is for API keys only.
secret_hash = api_key_hash
