"""Finding and opening accounts by their natural key."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.connection import get_connection

from core.ledger.errors import AccountNotFound
from core.ledger.models import SYSTEM_ACCOUNT_KINDS, Account, AccountKind

PARTY_ACCOUNT_KINDS = (AccountKind.WALLET, AccountKind.HOLDS, AccountKind.COMMISSION)

_OPEN_SQL = (
    "INSERT INTO ledger_account (code, party_id, kind, currency, livemode, balance, credit_limit, entry_count, "
    "created_at) VALUES ($1, $2, $3, $4, $5, 0, 0, 0, $6) ON CONFLICT (code) DO NOTHING"
)
# The sandbox book: a party's test wallet and holds, and the test system accounts they trade with.
SANDBOX_PARTY_ACCOUNT_KINDS = (AccountKind.WALLET, AccountKind.HOLDS)


def _book(livemode: bool) -> str:
    return "" if livemode else "test:"


def party_account_code(party_id: int, kind: AccountKind, currency: str, *, livemode: bool = True) -> str:
    return f"{_book(livemode)}party:{party_id}:{kind.value}:{currency.upper()}"


def system_account_code(kind: AccountKind, currency: str, *, livemode: bool = True) -> str:
    return f"{_book(livemode)}system:{kind.value}:{currency.upper()}"


async def _open(code: str, party_id: int | None, kind: AccountKind, currency: str, livemode: bool) -> Account:
    await get_connection("default").execute_query(
        _OPEN_SQL, [code, party_id, kind.value, currency.upper(), livemode, datetime.now(UTC)]
    )
    return await Account.get(code=code)


async def open_party_accounts(party_id: int, currency: str, *, livemode: bool = True) -> dict[AccountKind, Account]:
    kinds = PARTY_ACCOUNT_KINDS if livemode else SANDBOX_PARTY_ACCOUNT_KINDS
    return {
        kind: await _open(party_account_code(party_id, kind, currency, livemode=livemode), party_id, kind,
                          currency, livemode)
        for kind in kinds
    }


async def party_account(party_id: int, kind: AccountKind, currency: str, *, livemode: bool = True) -> Account:
    account = await Account.get_or_none(code=party_account_code(party_id, kind, currency, livemode=livemode))
    if account is None:
        book = "" if livemode else "sandbox "
        raise AccountNotFound(f"party {party_id} has no {book}{kind.value} account in {currency}")
    return account


async def system_account(kind: AccountKind, currency: str, *, livemode: bool = True) -> Account:
    if kind not in SYSTEM_ACCOUNT_KINDS:
        raise ValueError(f"{kind} is not a system account kind")
    code = system_account_code(kind, currency, livemode=livemode)
    account = await Account.get_or_none(code=code)
    return account or await _open(code, None, kind, currency, livemode)
