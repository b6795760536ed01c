"""Card encryption and API-key hashing: one keyring each, key ids on what they make, rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core import crypto
from core.config import DEV_SECRET_DEFAULTS, get_settings
from core.keyring import Keyring

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def ring(text: str) -> Keyring:
    return Keyring.parse(text, setting="TEST")


@pytest.fixture
def card_keys(monkeypatch):
    def use(text: str, legacy: str | None = None):
        from pydantic import SecretStr

        monkeypatch.setattr(get_settings(), "card_keys", ring(text))
        monkeypatch.setattr(get_settings(), "card_legacy_keys", SecretStr(legacy) if legacy else None)
    return use


def test_tokens_name_the_key_that_made_them(card_keys):
    card_keys(f"k1:{OLD}")
    token = crypto.encrypt("ABCD-1234")
    assert token.startswith("k1:") and "ABCD-1234" not in token
    assert crypto.key_id_of(token) == "k1" and crypto.decrypt(token) == "ABCD-1234"


def test_rotation_encrypts_with_the_new_key_and_still_reads_the_old(card_keys):
    card_keys(f"k1:{OLD}")
    old_token = crypto.encrypt("old card")
    card_keys(f"k2:{NEW},k1:{OLD}")
    new_token = crypto.encrypt("new card")
    assert crypto.key_id_of(new_token) == "k2"
    assert crypto.decrypt(old_token) == "old card" and crypto.decrypt(new_token) == "new card"
    # The old key retired: what it made can no longer be read, and the error says which key is missing.
    card_keys(f"k2:{NEW}")
    with pytest.raises(crypto.DecryptionFailed, match="'k1'"):
        crypto.decrypt(old_token)


def test_a_key_id_cannot_be_used_to_pick_another_key(card_keys):
    card_keys(f"k1:{OLD},k2:{NEW}")
    forged = "k2:" + crypto.encrypt("x").partition(":")[2]  # made with k1, labelled k2
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(forged)


def test_tokens_from_before_key_ids_still_decrypt(card_keys):
    legacy_token = Fernet(DEV_SECRET_DEFAULTS["card_legacy_keys"].encode()).encrypt(b"from 0007").decode()
    made_with_a_ring_key = Fernet(OLD.encode()).encrypt(b"moved into the ring").decode()
    card_keys(f"k1:{OLD}", legacy=DEV_SECRET_DEFAULTS["card_legacy_keys"])
    assert crypto.key_id_of(legacy_token) is None
    assert crypto.decrypt(legacy_token) == "from 0007"
    assert crypto.decrypt(made_with_a_ring_key) == "moved into the ring"
    card_keys(f"k1:{OLD}")  # no legacy key configured any more
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(legacy_token)


def test_api_key_hashes_use_their_own_key_not_the_ledgers(monkeypatch):
    monkeypatch.setattr(get_settings(), "api_key_hash_keys", ring("a1:" + "a" * 40))
    monkeypatch.setattr(get_settings(), "ledger_keys", ring("l1:" + "l" * 40))
    first = crypto.api_key_hash("sk_live_abcdef123456")
    monkeypatch.setattr(get_settings(), "ledger_keys", ring("l2:" + "m" * 40))
    assert crypto.api_key_hash("sk_live_abcdef123456") == first  # the ledger key plays no part
    assert first.startswith("a1:") and "sk_live_" not in first and len(first) <= 81
    monkeypatch.setattr(get_settings(), "api_key_hash_keys", ring("a2:" + "b" * 40))
    assert crypto.api_key_hash("sk_live_abcdef123456") != first


def test_api_key_hashes_survive_a_rotation(monkeypatch):
    monkeypatch.setattr(get_settings(), "api_key_hash_keys", ring("a1:" + "a" * 40))
    stored = crypto.api_key_hash("sk_live_abcdef123456")
    monkeypatch.setattr(get_settings(), "api_key_hash_keys", ring("a2:" + "b" * 40 + ",a1:" + "a" * 40))
    candidates = crypto.api_key_hash_candidates("sk_live_abcdef123456")
    assert candidates[0].startswith("a2:") and stored in candidates  # found by the old hash
    assert crypto.verify_api_key_hash("sk_live_abcdef123456", stored)
    assert not crypto.verify_api_key_hash("sk_live_other", stored)
    monkeypatch.setattr(get_settings(), "api_key_hash_keys", ring("a2:" + "b" * 40))
    assert not crypto.verify_api_key_hash("sk_live_abcdef123456", stored)  # its key is gone
