"""Transfer digests name the key that signed them: rotation keeps old rows verifiable, a retired or
unknown key is reported, and rows from before key ids verify with the legacy key."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from core.access.actor import Actor
from core.config import get_settings
from core.db import atomic
from core.keyring import Keyring
from core.ledger import posting
from core.ledger import service as ledger
from core.ledger.invariants import check_ledger
from core.ledger.models import Transfer
from core.parties.models import PartyKind
from tests.factories import make_party, next_ref

ADMIN = Actor.admin(label="test")
OLD_RING = "k1:" + "1" * 40
NEW_RING = "k2:" + "2" * 40
LEGACY_KEY = "a-ledger-key-from-before-key-ids"


def use_ledger_keys(monkeypatch, text: str) -> None:
    monkeypatch.setattr(get_settings(), "ledger_keys", Keyring.parse(text, setting="STELLER_LEDGER_KEYS"))


async def topup(party_id: int) -> list[Transfer]:
    """The transfers of one top-up, as stored."""
    async with atomic():
        posted = await ledger.topup(actor=ADMIN, party_id=party_id, amount=1_00, reference=next_ref("digest"))
    return await Transfer.filter(operation_id=posted.operation.id).order_by("id")


async def digest_violations() -> list[str]:
    return [f"{v.subject}: {v.detail}" for v in await check_ledger() if v.rule == "digest"]


async def test_the_column_holds_a_key_id_and_a_full_digest(db):
    [row] = await db.execute_query_dict(
        "SELECT character_maximum_length FROM information_schema.columns "
        "WHERE table_name = 'ledger_transfer' AND column_name = 'digest'")
    assert row["character_maximum_length"] >= 16 + 1 + 64


async def test_each_transfer_records_the_key_that_signed_it_and_rotation_keeps_old_rows_valid(db, monkeypatch):
    party = await make_party(PartyKind.PARTNER)
    use_ledger_keys(monkeypatch, OLD_RING)
    [before] = await topup(party.id)
    use_ledger_keys(monkeypatch, f"{NEW_RING},{OLD_RING}")
    [after] = await topup(party.id)
    assert before.digest.startswith("k1:") and after.digest.startswith("k2:")
    assert len(after.digest) == len("k2:") + 64
    assert await digest_violations() == []


async def test_a_row_signed_with_a_key_no_longer_configured_is_reported_by_name(db, monkeypatch):
    party = await make_party(PartyKind.PARTNER)
    use_ledger_keys(monkeypatch, OLD_RING)
    [signed] = await topup(party.id)
    use_ledger_keys(monkeypatch, NEW_RING)  # k1 dropped too early
    assert await digest_violations() == [
        f"transfer {signed.id}: signed with key 'k1', which is not in STELLER_LEDGER_KEYS: cannot verify it"]


def _digest_as_before_key_ids(**fields) -> str:
    """What transfer_digest stored before key ids: a bare hex HMAC with STELLER_LEDGER_KEY."""
    canonical = "|".join(str(fields[name]) if name != "created_at" else
                         fields[name].isoformat(timespec="microseconds")
                         for name in ("operation_id", "kind", "debit_account_id", "credit_account_id", "amount",
                                      "currency", "debit_seq", "credit_seq", "debit_balance_after",
                                      "credit_balance_after", "reference", "created_at"))
    return hmac.new(LEGACY_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
async def legacy_rows(db, monkeypatch):
    """Transfers written by the release before key ids, then the current keys configured."""
    party = await make_party(PartyKind.PARTNER)
    with monkeypatch.context() as old_release:
        old_release.setattr(posting, "transfer_digest", _digest_as_before_key_ids)
        rows = await topup(party.id)
    use_ledger_keys(monkeypatch, NEW_RING)
    return rows


async def test_rows_from_before_key_ids_verify_with_the_legacy_key(legacy_rows, monkeypatch):
    assert legacy_rows and all(":" not in t.digest and len(t.digest) == 64 for t in legacy_rows)
    monkeypatch.setattr(get_settings(), "ledger_legacy_key", SecretStr(LEGACY_KEY))
    assert await digest_violations() == []


async def test_rows_from_before_key_ids_fail_with_another_legacy_key_or_none(legacy_rows, monkeypatch):
    [row] = legacy_rows
    monkeypatch.setattr(get_settings(), "ledger_legacy_key", SecretStr("not-the-key-that-signed-them"))
    assert await digest_violations() == [
        f"transfer {row.id}: its fields do not match its digest: the row was edited"]
    monkeypatch.setattr(get_settings(), "ledger_legacy_key", None)
    assert await digest_violations() == [
        (f"transfer {row.id}: its digest has no key id and STELLER_LEDGER_KEY (the legacy key) is not set: "
         "cannot verify it")]
