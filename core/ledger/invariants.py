"""The invariant checker: every ledger rule of PRODUCT.md §2.

Two ways to run it (`run_check`):

- the **full sweep** (`steller check`) reads every transfer, hold and account;
- the **incremental check** (the 10-minute cron) verifies only what came after the checkpoint
  (`core.ledger.invariants_incremental`), so its cost follows the traffic since the last run, not
  the size of the ledger.

Both run in one REPEATABLE READ snapshot, so the state they record as verified is exactly the
state they read, and they advance the checkpoint in that same transaction. `check_ledger()` is the
plain full sweep without a checkpoint (tests, benches).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

import asyncpg
from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.db import in_transaction_now
from core.ledger.digest import digest_problem


@dataclass(frozen=True)
class Violation:
    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


@dataclass
class Findings:
    """Violations, and the accounts whose checkpoint must not move past them."""

    violations: list[Violation] = field(default_factory=list)
    held_accounts: set[int] = field(default_factory=set)
    # Lowest stray transfer found: the stray-row pass keeps reading from below it.
    lowest_stray: int | None = None
    digests_verified: int = 0

    def add(self, violation: Violation, *, accounts: Iterable[int | None] = ()) -> None:
        self.violations.append(violation)
        self.held_accounts.update(a for a in accounts if a is not None)


RULE_LIMIT = 200  # rows per rule: enough to act on, bounded when something is badly wrong

# --- Rules over the whole ledger ---------------------------------------------------------------

_SUM_ZERO = """
SELECT currency, livemode, SUM(balance) AS total FROM ledger_account
 GROUP BY currency, livemode HAVING SUM(balance) <> 0
"""

_FLOORS = """
SELECT id, code, kind, balance, credit_limit FROM ledger_account
 WHERE (kind = 'wallet' AND balance < -credit_limit)
    OR (kind IN ('commission', 'holds') AND balance < 0)
    OR credit_limit < 0
"""

_IMMUTABILITY_TRIGGERS = """
SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE t.tgname = 'steller_immutable' AND t.tgenabled <> 'D'
"""

IMMUTABLE_TABLES = ("ledger_transfer", "ledger_operation")

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

_ENTRY_CHAIN = f"""
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
 ORDER BY account_id, seq LIMIT {RULE_LIMIT}
"""

_TRANSFER_SHAPE = f"""
SELECT t.id, t.debit_account_id, t.credit_account_id
  FROM ledger_transfer t
  JOIN ledger_account d ON d.id = t.debit_account_id
  JOIN ledger_account c ON c.id = t.credit_account_id
 WHERE t.amount <= 0 OR t.debit_account_id = t.credit_account_id
    OR t.currency <> d.currency OR t.currency <> c.currency
    OR d.livemode <> c.livemode
 LIMIT {RULE_LIMIT}
"""

_HOLD_SHAPE = f"""
SELECT id, hold_account_id, amount, captured, released, status FROM ledger_hold
 WHERE amount <= 0 OR captured < 0 OR released < 0 OR captured + released > amount
    OR (status = 'settled') <> (captured + released = amount)
    OR (captured > 0 AND captured_at IS NULL) OR (released > 0 AND released_at IS NULL)
 LIMIT {RULE_LIMIT}
"""

_HOLD_ACCOUNTS = """
SELECT a.id, a.code, a.balance, COALESCE(SUM(h.amount - h.captured - h.released), 0) AS open_total
  FROM ledger_account a LEFT JOIN ledger_hold h ON h.hold_account_id = a.id
 WHERE a.kind = 'holds'
 GROUP BY a.id
HAVING a.balance <> COALESCE(SUM(h.amount - h.captured - h.released), 0)
"""

def hold_settlements_sql(holds: str) -> str:
    """Every capture/release operation of a hold moved exactly what the hold row says, at most once.

    `holds` is the FROM item giving the holds to check, as `h`. Grouped per operation, then per
    hold: linear in the operations, where a CTE joined twice per hold is quadratic.
    """
    return f"""
WITH op AS (
  SELECT o.id, o.kind, h.id AS hold_id,
         -- Only what left the holds account counts: a capture may carry extra legs (revenue → vendor).
         COALESCE(SUM(t.amount) FILTER (WHERE t.debit_account_id = h.hold_account_id), 0) AS moved
    FROM {holds}
    JOIN ledger_operation o ON o.reference = 'hold:' || h.id::text
    LEFT JOIN ledger_transfer t ON t.operation_id = o.id
   WHERE o.kind IN ('order_capture', 'order_release')
   GROUP BY o.id, o.kind, h.id
), settled AS (
  SELECT hold_id,
         COUNT(*) FILTER (WHERE kind = 'order_capture') AS capture_ops,
         COALESCE(SUM(moved) FILTER (WHERE kind = 'order_capture'), 0) AS captured_moved,
         COUNT(*) FILTER (WHERE kind = 'order_release') AS release_ops,
         COALESCE(SUM(moved) FILTER (WHERE kind = 'order_release'), 0) AS released_moved
    FROM op GROUP BY hold_id
)
SELECT h.id, h.hold_account_id, h.captured, h.released,
       COALESCE(s.capture_ops, 0) AS capture_ops, COALESCE(s.captured_moved, 0) AS captured_moved,
       COALESCE(s.release_ops, 0) AS release_ops, COALESCE(s.released_moved, 0) AS released_moved
  FROM {holds}
  LEFT JOIN settled s ON s.hold_id = h.id
 WHERE COALESCE(s.capture_ops, 0) > 1 OR COALESCE(s.release_ops, 0) > 1
    OR COALESCE(s.captured_moved, 0) <> h.captured OR COALESCE(s.released_moved, 0) <> h.released
 LIMIT {RULE_LIMIT}
"""


_HOLD_SETTLEMENTS = hold_settlements_sql("ledger_hold h")

_DIGEST_BATCH = """
SELECT id, operation_id, kind, debit_account_id, credit_account_id, amount, currency, debit_seq,
       credit_seq, debit_balance_after, credit_balance_after, reference, created_at, digest
  FROM ledger_transfer WHERE id > $1 ORDER BY id LIMIT $2
"""


# --- Reporting, shared by both modes -----------------------------------------------------------


async def global_rules(conn: asyncpg.Connection, found: Findings) -> None:
    """Rules over the account rows and the catalog: cheap at any ledger size, run every time."""
    for r in await conn.fetch(_SUM_ZERO):
        book = "live" if r["livemode"] else "sandbox"
        found.add(Violation("sum_zero", f"currency {r['currency']} ({book} book)",
                            f"all accounts sum to {r['total']}, not 0"))
    for r in await conn.fetch(_FLOORS):
        found.add(Violation("floor", f"account {r['id']} ({r['code']})",
                            f"balance {r['balance']} below its floor (credit limit {r['credit_limit']})"))
    enabled = {r["relname"] for r in await conn.fetch(_IMMUTABILITY_TRIGGERS)}
    for table in IMMUTABLE_TABLES:
        if table not in enabled:
            found.add(Violation("immutability", table, "the trigger refusing UPDATE/DELETE is missing or disabled"))


def report_chain_break(found: Findings, r) -> None:
    found.add(Violation(
        "entry_chain", f"account {r['account_id']} entry {r['seq']} (transfer {r['id']})",
        f"expected entry #{r['rn']} with balance {r['prev_after'] + r['delta']}, found "
        f"#{r['seq']} with {r['after']}: a transfer was changed or removed"),
        accounts=[r["account_id"]])


def report_transfer_shape(found: Findings, r) -> None:
    found.add(Violation("transfer_shape", f"transfer {r['id']}",
                        "non-positive amount, same account on both sides, or currency mismatch"),
              accounts=[r["debit_account_id"], r["credit_account_id"]])


def report_hold_shape(found: Findings, r) -> None:
    found.add(Violation("hold_shape", f"hold {r['id']}",
                        f"amount {r['amount']} captured {r['captured']} released {r['released']} "
                        f"status {r['status']} do not add up"), accounts=[r["hold_account_id"]])


def report_hold_account(found: Findings, r) -> None:
    found.add(Violation("holds_account", f"account {r['id']} ({r['code']})",
                        f"balance {r['balance']} but open holds total {r['open_total']}"))


def report_hold_settlement(found: Findings, r) -> None:
    found.add(Violation(
        "hold_settlement", f"hold {r['id']}",
        f"{r['capture_ops']} capture(s) moving {r['captured_moved']} (hold says {r['captured']}), "
        f"{r['release_ops']} release(s) moving {r['released_moved']} (hold says {r['released']})"),
        accounts=[r["hold_account_id"]])


def verify_digests(found: Findings, rows) -> None:
    for r in rows:
        problem = digest_problem(r)  # with the key the row names (core.ledger.digest)
        if problem is not None:
            found.add(Violation("digest", f"transfer {r['id']}", problem),
                      accounts=[r["debit_account_id"], r["credit_account_id"]])
    found.digests_verified += len(rows)


# --- The full sweep ------------------------------------------------------------------------------


async def full_sweep(conn: asyncpg.Connection, *, digest_batch: int = 5000) -> Findings:
    found = Findings()
    await global_rules(conn, found)
    for r in await conn.fetch(_CACHED_BALANCE):
        found.add(Violation(
            "cached_balance", f"account {r['id']} ({r['code']})",
            f"cached balance {r['balance']} / {r['entry_count']} entries, transfers say "
            f"{r['computed']} / {r['entries']}"), accounts=[r["id"]])
    for r in await conn.fetch(_ENTRY_CHAIN):
        report_chain_break(found, r)
    for r in await conn.fetch(_TRANSFER_SHAPE):
        report_transfer_shape(found, r)
    for r in await conn.fetch(_HOLD_SHAPE):
        report_hold_shape(found, r)
    for r in await conn.fetch(_HOLD_ACCOUNTS):
        report_hold_account(found, r)
    for r in await conn.fetch(_HOLD_SETTLEMENTS):
        report_hold_settlement(found, r)
    last_id = 0
    while rows := await conn.fetch(_DIGEST_BATCH, last_id, digest_batch):
        verify_digests(found, rows)
        last_id = rows[-1]["id"]
    return found


@contextlib.asynccontextmanager
async def _connection() -> AsyncIterator[asyncpg.Connection]:
    # The raw asyncpg connection behind Tortoise (the caller's transaction, if one is open).
    async with get_connection("default").acquire_connection() as conn:
        yield conn


async def check_ledger(*, digest_batch: int = 5000) -> list[Violation]:
    """The full sweep, reading only: no lock, no checkpoint."""
    async with _connection() as conn:
        return (await full_sweep(conn, digest_batch=digest_batch)).violations


# --- The checker as a use case -----------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    full: bool
    violations: list[Violation]
    transfers_verified: int = 0  # digests checked this run
    accounts_advanced: int = 0  # accounts whose checkpoint moved forward
    skipped: bool = False  # another check was running: this one did nothing

    @property
    def ok(self) -> bool:
        return not self.violations


# One check at a time: two would only repeat each other's work, and their checkpoint writes would
# collide. A session-level advisory lock, taken before the snapshot (see run_check).
CHECK_LOCK_KEY = 0x5354_4C52_4348_4B01  # "STLRCHK" 1


async def run_check(*, actor: Actor, full: bool = False, wait: bool | None = None,
                    digest_batch: int = 5000) -> CheckReport:
    """Run the checker and move the checkpoint past what it verified clean.

    Incremental unless `full` (or no checkpoint exists yet: the first run sets the baseline).
    The check owns its transaction, like `core.db.run_atomic`: it needs a REPEATABLE READ snapshot,
    and the lock that keeps other checks out must be taken *before* that snapshot, or a check that
    waited would verify an older state than the one the previous check already recorded. When
    another check holds the lock, an incremental run returns `skipped` (unless `wait`); a full one waits.
    """
    from core.ledger import invariants_incremental as incremental

    require_admin(actor)
    if in_transaction_now():
        raise RuntimeError("run_check opens its own snapshot: call it outside a transaction")
    wait = full if wait is None else wait
    async with _connection() as conn:
        if wait:
            await conn.execute("SELECT pg_advisory_lock($1)", CHECK_LOCK_KEY)
        elif not await conn.fetchval("SELECT pg_try_advisory_lock($1)", CHECK_LOCK_KEY):
            return CheckReport(full=full, violations=[], skipped=True)
        try:
            async with conn.transaction(isolation="repeatable_read"):
                checkpoint = await incremental.load_checkpoint(conn)
                if full or checkpoint is None:
                    found = await full_sweep(conn, digest_batch=digest_batch)
                    advanced = await incremental.save_after_full_sweep(conn, found)
                    full = True
                else:
                    # Its plans look costly to the planner (it cannot know how little lies past the
                    # checkpoint), and compiling them (JIT) would take longer than running them.
                    await conn.execute("SET LOCAL jit = off")
                    found = await incremental.incremental_check(conn, checkpoint, digest_batch=digest_batch)
                    advanced = await incremental.save_after_incremental(conn, checkpoint, found)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", CHECK_LOCK_KEY)
    return CheckReport(full=full, violations=found.violations, transfers_verified=found.digests_verified,
                       accounts_advanced=advanced)
