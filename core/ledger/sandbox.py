"""The sandbox book: a partner's test wallet and holds, funded from a test funding account.

Test keys act here and nowhere else. The book has its own system accounts (`test:system:…`), so
money can never pass between it and the live book — the database refuses such a transfer — and the
sandbox's figures never reach revenue, vendor reconciliation or reports.
"""

from __future__ import annotations

from core.access.actor import Actor
from core.config import get_settings
from core.db import require_transaction
from core.ledger.accounts import open_party_accounts, system_account
from core.ledger.digest import fingerprint
from core.ledger.models import Account, AccountKind, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation
from core.money import to_minor

SANDBOX_ACTOR = Actor.system("sandbox")


def sandbox_start_key(party_id: int) -> str:
    return f"sandbox_start:{party_id}"


async def open_sandbox(*, party_id: int, currency: str) -> Account:
    """The party's sandbox wallet, opened and funded with SANDBOX_START_BALANCE the first time.

    Idempotent: the funding is keyed by the party, so a second call (a second test key, a retried
    signup) funds nothing. Internal: the callers (signup, creating a test key) authorized already.
    """
    require_transaction()
    accounts = await open_party_accounts(party_id, currency, livemode=False)
    wallet = accounts[AccountKind.WALLET]
    amount = to_minor(get_settings().sandbox_start_balance, currency)
    if amount > 0:
        await _fund(wallet, amount, idempotency_key=sandbox_start_key(party_id), memo="Sandbox starting balance")
    return await Account.get(id=wallet.id)


async def _fund(wallet: Account, amount: int, *, idempotency_key: str, memo: str) -> Posted:
    posted = await claim_operation(
        kind=TransferKind.TOPUP, idempotency_key=idempotency_key,
        fingerprint=fingerprint("sandbox_start", wallet.party_id), actor=SANDBOX_ACTOR,
        reference=idempotency_key, memo=memo,
    )
    if not posted.replayed:
        funding = await system_account(AccountKind.FUNDING, wallet.currency, livemode=False)
        await apply_legs(posted, [Leg(funding.id, wallet.id, amount)])
    return posted
