"""The invariant checker: every ledger rule of PRODUCT.md §2, over the whole database."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from tortoise.connection import get_connection

from core.ledger.digest import transfer_digest


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


_SUM_ZERO = """
SELECT currency, SUM(balance) AS total FROM ledger_account GROUP BY currency HAVING SUM(balance) <> 0
"""

_CACHED_BALANCE = """
WITH moves AS (
  SELECT credit_account_id AS account_id, amount FROM ledger_transfer
  UNION ALL
  SELECT debit_account_id, -amount FROM ledger_transfer
)
SELECT a.id, a.code, a.balance, a.entry_count,
       COALESCE(SUM(m.amount), 0) AS computed, COUNT(m.account_id) AS entries
  FROM ledger_account a LEFT JOIN moves m ON m.account_id = a.id
 GROUP BY a.id
HAVING a.balance <> COALESCE(SUM(m.amount), 0) OR a.entry_count <> COUNT(m.account_id)
"""

_FLOORS = """
SELECT id, code, kind, balance, credit_limit FROM ledger_account
 WHERE (kind = 'wallet' AND balance < -credit_limit)
    OR (kind IN ('commission', 'holds') AND balance < 0)
    OR credit_limit < 0
"""

_ENTRY_CHAIN = """
WITH e AS (
  SELECT debit_account_id AS account_id, debit_seq AS seq, -amount AS delta,
         debit_balance_after AS after, id FROM ledger_transfer
  UNION ALL
  SELECT credit_account_id, credit_seq, amount, credit_balance_after, id FROM ledger_transfer
), w AS (
  SELECT account_id, seq, delta, after, id,
         LAG(after, 1, 0::bigint) OVER (PARTITION BY account_id ORDER BY seq, id) AS prev_after,
         ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY seq, id) AS rn
    FROM e
)
SELECT account_id, seq, id, after, prev_after, delta, rn FROM w
 WHERE seq <> rn OR after <> prev_after + delta
 ORDER BY account_id, seq LIMIT 200
"""

_TRANSFER_SHAPE = """
SELECT t.id, t.amount, t.currency, d.currency AS debit_currency, c.currency AS credit_currency,
       t.debit_account_id, t.credit_account_id
  FROM ledger_transfer t
  JOIN ledger_account d ON d.id = t.debit_account_id
  JOIN ledger_account c ON c.id = t.credit_account_id
 WHERE t.amount <= 0 OR t.debit_account_id = t.credit_account_id
    OR t.currency <> d.currency OR t.currency <> c.currency
 LIMIT 200
"""

_HOLD_SHAPE = """
SELECT id, amount, captured, released, status, captured_at, released_at FROM ledger_hold
 WHERE amount <= 0 OR captured < 0 OR released < 0 OR captured + released > amount
    OR (status = 'settled') <> (captured + released = amount)
    OR (captured > 0 AND captured_at IS NULL) OR (released > 0 AND released_at IS NULL)
 LIMIT 200
"""

_HOLD_ACCOUNTS = """
SELECT a.id, a.code, a.balance, COALESCE(SUM(h.amount - h.captured - h.released), 0) AS open_total
  FROM ledger_account a LEFT JOIN ledger_hold h ON h.hold_account_id = a.id
 WHERE a.kind = 'holds'
 GROUP BY a.id
HAVING a.balance <> COALESCE(SUM(h.amount - h.captured - h.released), 0)
"""

# Every capture/release operation of a hold moved exactly what the hold row says, at most once.
_HOLD_SETTLEMENTS = """
WITH settle AS (
  SELECT h.id AS hold_id, o.kind, COUNT(DISTINCT o.id) AS ops,
         -- Only what left the holds account counts: a capture may carry extra legs (revenue → vendor).
         COALESCE(SUM(t.amount) FILTER (WHERE t.debit_account_id = h.hold_account_id), 0) AS moved
    FROM ledger_operation o
    JOIN ledger_hold h ON o.reference = 'hold:' || h.id::text
    LEFT JOIN ledger_transfer t ON t.operation_id = o.id
   WHERE o.kind IN ('order_capture', 'order_release')
   GROUP BY 1, 2
)
SELECT h.id, h.captured, h.released,
       COALESCE(c.ops, 0) AS capture_ops, COALESCE(c.moved, 0) AS captured_moved,
       COALESCE(r.ops, 0) AS release_ops, COALESCE(r.moved, 0) AS released_moved
  FROM ledger_hold h
  LEFT JOIN settle c ON c.hold_id = h.id AND c.kind = 'order_capture'
  LEFT JOIN settle r ON r.hold_id = h.id AND r.kind = 'order_release'
 WHERE COALESCE(c.ops, 0) > 1 OR COALESCE(r.ops, 0) > 1
    OR COALESCE(c.moved, 0) <> h.captured OR COALESCE(r.moved, 0) <> h.released
 LIMIT 200
"""

_IMMUTABILITY_TRIGGERS = """
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = 'steller_immutable' AND t.tgenabled <> 'D'
"""

IMMUTABLE_TABLES = ("ledger_transfer", "ledger_operation")

_DIGEST_BATCH = """
SELECT id, operation_id, kind, debit_account_id, credit_account_id, amount, currency, debit_seq,
       credit_seq, debit_balance_after, credit_balance_after, reference, created_at, digest
  FROM ledger_transfer WHERE id > $1 ORDER BY id LIMIT $2
"""


async def _rows(sql: str, values: list | None = None) -> list[dict]:
    return await get_connection("default").execute_query_dict(sql, values or [])


async def check_ledger(*, digest_batch: int = 5000) -> list[Violation]:
    found: list[Violation] = []
    for r in await _rows(_SUM_ZERO):
        found.append(Violation("sum_zero", f"currency {r['currency']}",
                               f"all accounts sum to {r['total']}, not 0"))
    for r in await _rows(_CACHED_BALANCE):
        found.append(Violation(
            "cached_balance", f"account {r['id']} ({r['code']})",
            f"cached balance {r['balance']} / {r['entry_count']} entries, transfers say "
            f"{r['computed']} / {r['entries']}"))
    for r in await _rows(_FLOORS):
        found.append(Violation("floor", f"account {r['id']} ({r['code']})",
                               f"balance {r['balance']} below its floor (credit limit {r['credit_limit']})"))
    for r in await _rows(_ENTRY_CHAIN):
        found.append(Violation(
            "entry_chain", f"account {r['account_id']} entry {r['seq']} (transfer {r['id']})",
            f"expected entry #{r['rn']} with balance {r['prev_after'] + r['delta']}, found "
            f"#{r['seq']} with {r['after']}: a transfer was changed or removed"))
    for r in await _rows(_TRANSFER_SHAPE):
        found.append(Violation("transfer_shape", f"transfer {r['id']}",
                               "non-positive amount, same account on both sides, or currency mismatch"))
    for r in await _rows(_HOLD_SHAPE):
        found.append(Violation("hold_shape", f"hold {r['id']}",
                               f"amount {r['amount']} captured {r['captured']} released {r['released']} "
                               f"status {r['status']} do not add up"))
    for r in await _rows(_HOLD_ACCOUNTS):
        found.append(Violation("holds_account", f"account {r['id']} ({r['code']})",
                               f"balance {r['balance']} but open holds total {r['open_total']}"))
    for r in await _rows(_HOLD_SETTLEMENTS):
        found.append(Violation(
            "hold_settlement", f"hold {r['id']}",
            f"{r['capture_ops']} capture(s) moving {r['captured_moved']} (hold says {r['captured']}), "
            f"{r['release_ops']} release(s) moving {r['released_moved']} (hold says {r['released']})"))
    enabled = {r["relname"] for r in await _rows(_IMMUTABILITY_TRIGGERS)}
    for table in IMMUTABLE_TABLES:
        if table not in enabled:
            found.append(Violation("immutability", table, "the trigger refusing UPDATE/DELETE is missing or disabled"))
    found.extend(await _check_digests(batch=digest_batch))
    return found


async def _check_digests(*, batch: int) -> list[Violation]:
    found: list[Violation] = []
    last_id = 0
    while True:
        rows = await _rows(_DIGEST_BATCH, [last_id, batch])
        if not rows:
            return found
        for r in rows:
            expected = transfer_digest(
                operation_id=r["operation_id"], kind=r["kind"], debit_account_id=r["debit_account_id"],
                credit_account_id=r["credit_account_id"], amount=r["amount"], currency=r["currency"],
                debit_seq=r["debit_seq"], credit_seq=r["credit_seq"],
                debit_balance_after=r["debit_balance_after"],
                credit_balance_after=r["credit_balance_after"], reference=r["reference"],
                created_at=r["created_at"],
            )
            if not hmac.compare_digest(expected, r["digest"]):
                found.append(Violation("digest", f"transfer {r['id']}",
                                       "its fields do not match its digest: the row was edited"))
        last_id = rows[-1]["id"]
