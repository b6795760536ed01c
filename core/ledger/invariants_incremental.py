"""The incremental invariant check: only what changed since the checkpoint.

What is "new" comes from each account's entry chain, not from transfer ids. An account's entries
are numbered under its row lock (`posting.apply_legs`), so they commit in `seq` order, and the
`entry_count` an account row shows in our snapshot says exactly which of its entries are visible.
The entries past the account's checkpointed `seq` are therefore every transfer committed since the
last run — including one whose id is lower than ids already checked because its transaction
committed late. No id watermark and no time margin decides what a legitimate transfer is.

Per rule:
- entry chain and cached balance: each account's entries past its checkpoint, chained from the
  checkpointed (seq, balance); the account row must end where the chain ends;
- transfer shape and digests: the transfers of those entries;
- stray rows: a transfer inserted behind the ledger's back, numbered into an already verified part
  of a chain, is in no chain's new part. Transfers with ids above `transfer_floor` are read and each
  must be the only entry at its (account, seq). The floor trails the newest transfers by
  STRAY_MARGIN, so such a row is caught if it commits within that margin of its `created_at`;
  later than that, only the full sweep sees it;
- holds: holds created, captured or released by those transfers' operations, and every open hold;
  the holds-account balance against its open holds; a zero-amount release moves no money and is
  left to the full sweep;
- sum zero, floors, immutability triggers: the account rows and the catalog, every run.

An account's checkpoint moves only when its new entries and their transfers are clean, so a
violation is reported again on every run until someone deals with it, while the rest of the
ledger keeps being checked incrementally.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from core.ledger.invariants import (
    RULE_LIMIT,
    Findings,
    Violation,
    global_rules,
    hold_settlements_sql,
    report_chain_break,
    report_hold_account,
    report_hold_settlement,
    report_hold_shape,
    report_transfer_shape,
    verify_digests,
)

STRAY_MARGIN = timedelta(minutes=30)

_LOAD = "SELECT transfer_floor FROM ledger_check_checkpoint WHERE id = 1"

# Each account's entries past its checkpoint: two index range scans per account.
_NEW_ENTRIES = """
CREATE TEMP TABLE check_entry ON COMMIT DROP AS
SELECT a.id AS account_id, e.seq, e.delta, e.after, e.transfer_id
  FROM ledger_account a
  LEFT JOIN ledger_check_account c ON c.account_id = a.id
 CROSS JOIN LATERAL (
   SELECT t.debit_seq AS seq, -t.amount AS delta, t.debit_balance_after AS after, t.id AS transfer_id
     FROM ledger_transfer t WHERE t.debit_account_id = a.id AND t.debit_seq > COALESCE(c.seq, 0)
   UNION ALL
   SELECT t.credit_seq, t.amount, t.credit_balance_after, t.id
     FROM ledger_transfer t WHERE t.credit_account_id = a.id AND t.credit_seq > COALESCE(c.seq, 0)
 ) e
"""

_CHAIN = f"""
WITH w AS (
  SELECT e.account_id, e.seq, e.delta, e.after, e.transfer_id AS id, COALESCE(c.seq, 0) AS base_seq,
         LAG(e.after, 1, COALESCE(c.balance, 0)) OVER (PARTITION BY e.account_id ORDER BY e.seq, e.transfer_id)
           AS prev_after,
         ROW_NUMBER() OVER (PARTITION BY e.account_id ORDER BY e.seq, e.transfer_id) AS n
    FROM check_entry e LEFT JOIN ledger_check_account c ON c.account_id = e.account_id
)
SELECT account_id, seq, id, after, prev_after, delta, base_seq + n AS rn FROM w
 WHERE seq <> base_seq + n OR after <> prev_after + delta
 ORDER BY account_id, seq LIMIT {RULE_LIMIT}
"""

# The cached row = the checkpointed state plus the new entries (for untouched accounts: unchanged).
_CACHED_BALANCE = """
SELECT a.id, a.code, a.balance, a.entry_count, COALESCE(c.seq, 0) AS base_seq,
       COALESCE(c.balance, 0) AS base_balance, COUNT(e.seq) AS new_entries,
       COALESCE(SUM(e.delta), 0) AS new_delta
  FROM ledger_account a
  LEFT JOIN ledger_check_account c ON c.account_id = a.id
  LEFT JOIN check_entry e ON e.account_id = a.id
 GROUP BY a.id, c.seq, c.balance
HAVING a.entry_count <> COALESCE(c.seq, 0) + COUNT(e.seq)
    OR a.balance <> COALESCE(c.balance, 0) + COALESCE(SUM(e.delta), 0)
"""

_NEW_TRANSFERS = """
CREATE TEMP TABLE check_transfer ON COMMIT DROP AS SELECT DISTINCT transfer_id AS id FROM check_entry
"""

# Above the floor but in no chain's new part: it must be the one entry at its (account, seq).
_STRAYS = f"""
SELECT t.id, t.debit_account_id, t.debit_seq, t.credit_account_id, t.credit_seq
  FROM ledger_transfer t
 WHERE t.id > $1
   AND NOT EXISTS (SELECT 1 FROM check_transfer n WHERE n.id = t.id)
   AND EXISTS (
     SELECT 1 FROM (VALUES (t.debit_account_id, t.debit_seq), (t.credit_account_id, t.credit_seq)) AS s(acc, seq)
      WHERE (SELECT COUNT(*) FROM ledger_transfer x WHERE x.debit_account_id = s.acc AND x.debit_seq = s.seq)
          + (SELECT COUNT(*) FROM ledger_transfer x WHERE x.credit_account_id = s.acc AND x.credit_seq = s.seq) <> 1)
 ORDER BY t.id LIMIT {RULE_LIMIT}
"""

_TRANSFER_SHAPE = f"""
SELECT t.id, t.debit_account_id, t.credit_account_id
  FROM check_transfer n
  JOIN ledger_transfer t ON t.id = n.id
  JOIN ledger_account d ON d.id = t.debit_account_id
  JOIN ledger_account c ON c.id = t.credit_account_id
 WHERE t.amount <= 0 OR t.debit_account_id = t.credit_account_id
    OR t.currency <> d.currency OR t.currency <> c.currency
    OR d.livemode <> c.livemode
 LIMIT {RULE_LIMIT}
"""

_DIGEST_BATCH = """
SELECT t.id, t.operation_id, t.kind, t.debit_account_id, t.credit_account_id, t.amount, t.currency,
       t.debit_seq, t.credit_seq, t.debit_balance_after, t.credit_balance_after, t.reference,
       t.created_at, t.digest
  FROM check_transfer n JOIN ledger_transfer t ON t.id = n.id
 WHERE n.id > $1 ORDER BY n.id LIMIT $2
"""

# Holds with money moved by the new transfers' operations (created: the hold's own operation;
# captured or released: operations referencing "hold:<id>"), and every open hold.
_TOUCHED_HOLDS = """
CREATE TEMP TABLE check_hold ON COMMIT DROP AS
WITH ops AS (
  SELECT DISTINCT o.id, o.kind, o.reference
    FROM check_transfer n
    JOIN ledger_transfer t ON t.id = n.id
    JOIN ledger_operation o ON o.id = t.operation_id
)
SELECT h.id FROM ops JOIN ledger_hold h ON h.operation_id = ops.id WHERE ops.kind = 'order_hold'
 UNION
SELECT substr(reference, 6)::bigint FROM ops
 WHERE kind IN ('order_capture', 'order_release') AND reference ~ '^hold:[0-9]{1,18}$'
 UNION
SELECT id FROM ledger_hold WHERE status = 'open'
"""

_HOLD_SHAPE = f"""
SELECT h.id, h.hold_account_id, h.amount, h.captured, h.released, h.status
  FROM check_hold ch JOIN ledger_hold h ON h.id = ch.id
 WHERE h.amount <= 0 OR h.captured < 0 OR h.released < 0 OR h.captured + h.released > h.amount
    OR (h.status = 'settled') <> (h.captured + h.released = h.amount)
    OR (h.captured > 0 AND h.captured_at IS NULL) OR (h.released > 0 AND h.released_at IS NULL)
 LIMIT {RULE_LIMIT}
"""

# Settled holds were verified to hold nothing (hold shape) when last touched: open ones suffice.
_HOLD_ACCOUNTS = """
SELECT a.id, a.code, a.balance, COALESCE(SUM(h.amount - h.captured - h.released), 0) AS open_total
  FROM ledger_account a LEFT JOIN ledger_hold h ON h.hold_account_id = a.id AND h.status = 'open'
 WHERE a.kind = 'holds'
 GROUP BY a.id
HAVING a.balance <> COALESCE(SUM(h.amount - h.captured - h.released), 0)
"""

_HOLD_SETTLEMENTS = hold_settlements_sql("check_hold ch JOIN ledger_hold h ON h.id = ch.id")

# The floor trails the transfers younger than STRAY_MARGIN (all of them are read again next run).
_NEXT_FLOOR = """
SELECT COALESCE(MIN(id) FILTER (WHERE created_at >= now() - $2::interval) - 1, MAX(id), $1)
  FROM ledger_transfer WHERE id > $1
"""

_SAVE_CHECKPOINT = """
INSERT INTO ledger_check_checkpoint (id, transfer_floor, checked_at, full_checked_at)
VALUES (1, $1, now(), CASE WHEN $2 THEN now() END)
ON CONFLICT (id) DO UPDATE SET transfer_floor = EXCLUDED.transfer_floor, checked_at = EXCLUDED.checked_at,
       full_checked_at = COALESCE(EXCLUDED.full_checked_at, ledger_check_checkpoint.full_checked_at)
"""

# The account row is what was just verified: the chain's end (incremental) or the sum (full sweep).
_ADVANCE_ACCOUNTS = """
INSERT INTO ledger_check_account (account_id, seq, balance)
SELECT a.id, a.entry_count, a.balance FROM ledger_account a
 WHERE a.id <> ALL($1::bigint[]) AND ({which})
ON CONFLICT (account_id) DO UPDATE SET seq = EXCLUDED.seq, balance = EXCLUDED.balance
"""


async def load_checkpoint(conn: asyncpg.Connection) -> int | None:
    """The stray-row floor of the last checkpoint, or None when no check has set one yet."""
    return await conn.fetchval(_LOAD)


async def incremental_check(conn: asyncpg.Connection, transfer_floor: int, *,
                            digest_batch: int = 5000) -> Findings:
    found = Findings()
    await global_rules(conn, found)

    await conn.execute(_NEW_ENTRIES)
    await conn.execute("ANALYZE check_entry")  # a temp table has no statistics: plans would guess
    for r in await conn.fetch(_CHAIN):
        report_chain_break(found, r)
    for r in await conn.fetch(_CACHED_BALANCE):
        found.add(Violation(
            "cached_balance", f"account {r['id']} ({r['code']})",
            f"cached balance {r['balance']} / {r['entry_count']} entries, but the verified "
            f"{r['base_balance']} / {r['base_seq']} plus {r['new_entries']} new entries say "
            f"{r['base_balance'] + r['new_delta']} / {r['base_seq'] + r['new_entries']}"), accounts=[r["id"]])

    await conn.execute(_NEW_TRANSFERS)
    await conn.execute("ALTER TABLE check_transfer ADD PRIMARY KEY (id)")
    await conn.execute("ANALYZE check_transfer")
    for r in await conn.fetch(_STRAYS, transfer_floor):
        found.add(Violation(
            "entry_chain", f"transfer {r['id']}",
            f"numbered as entry {r['debit_seq']} of account {r['debit_account_id']} and entry "
            f"{r['credit_seq']} of account {r['credit_account_id']}, and another transfer claims the same "
            "entry: a row was inserted behind the ledger's back"),
            accounts=[r["debit_account_id"], r["credit_account_id"]])
        found.lowest_stray = min(r["id"], found.lowest_stray or r["id"])
    for r in await conn.fetch(_TRANSFER_SHAPE):
        report_transfer_shape(found, r)
    last_id = 0
    while rows := await conn.fetch(_DIGEST_BATCH, last_id, digest_batch):
        verify_digests(found, rows)
        last_id = rows[-1]["id"]

    await conn.execute(_TOUCHED_HOLDS)
    await conn.execute("ANALYZE check_hold")
    for r in await conn.fetch(_HOLD_SHAPE):
        report_hold_shape(found, r)
    for r in await conn.fetch(_HOLD_ACCOUNTS):
        report_hold_account(found, r)
    for r in await conn.fetch(_HOLD_SETTLEMENTS):
        report_hold_settlement(found, r)
    return found


_FORGET_ACCOUNTS = "DELETE FROM ledger_check_account WHERE account_id = ANY($1::bigint[])"


async def _save(conn: asyncpg.Connection, found: Findings, *, floor_from: int, full: bool, which: str) -> int:
    floor = await conn.fetchval(_NEXT_FLOOR, floor_from, STRAY_MARGIN)
    if found.lowest_stray is not None:
        floor = min(floor, found.lowest_stray - 1)
    await conn.execute(_SAVE_CHECKPOINT, floor, full)
    status = await conn.execute(_ADVANCE_ACCOUNTS.format(which=which), sorted(found.held_accounts))
    return int(status.rsplit(" ", 1)[-1])


async def save_after_incremental(conn: asyncpg.Connection, transfer_floor: int, found: Findings) -> int:
    """Advance every account whose new entries were clean; returns how many moved."""
    return await _save(conn, found, floor_from=transfer_floor, full=False,
                       which="a.id IN (SELECT account_id FROM check_entry)")


async def save_after_full_sweep(conn: asyncpg.Connection, found: Findings) -> int:
    """A full sweep verified every account: record them all, except those it found broken."""
    # Their whole chain is read again by every incremental check until the problem is dealt with.
    await conn.execute(_FORGET_ACCOUNTS, sorted(found.held_accounts))
    return await _save(conn, found, floor_from=0, full=True, which="TRUE")
