"""Issue item 16: the periodic invariant check at 10 million transfers.

Builds a consistent ledger in a scratch database (default `steller_bench_inv`, dropped at the end):
one top-up per party, then orders — a hold (wallet → holds), and a capture (holds → vendor and
revenue) or, one in ten, a release (holds → wallet); the last few stay open. Balances, entry
numbers and hold rows are exact, and every digest is made by `core.ledger.digest.transfer_digest`
itself (in worker processes), so the full sweep must come out clean. Rows go in with COPY.

Then it times, through `core.ledger.invariants.run_check`:

- the full sweep (`steller check`), which also sets the checkpoint;
- the incremental check (the 10-minute cron) with nothing new;
- the incremental check after ~10,000 new transfers posted through the real services
  (`ledger.hold` + `settlement.capture`, 4 at a time);
- the incremental check once more (nothing new, but those transfers are still inside the
  stray-row margin, so they are read again).

The LAST line is

    invariant check at <N> transfers: full <s> s, incremental <s> s (nothing new), <s> s (+<k> transfers)

Exit status 1 if any check reports a violation or the incremental check after the new transfers
takes longer than the cron's budget (jobs.worker's default job timeout, 120 s).

    .venv/bin/python bench/invariants_scale.py [--transfers 10000000] [--parties 1000] [--new 10000]
                                               [--database-url …/steller_bench_inv] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/steller_bench_inv"
CRON_BUDGET_SECONDS = 120.0  # jobs.worker.WorkerSettings.job_timeout
ORDERS_PER_CHUNK = 50_000
CHUNKS_IN_FLIGHT = 4  # bounds memory: chunks generated but not yet written
OPEN_ORDERS = 200  # the last orders stay held, in flight
TOPUP = 10**12  # per party: no wallet ever runs dry

OPERATION_COLUMNS = ("id", "kind", "idempotency_key", "fingerprint", "reference", "actor", "memo", "created_at")
TRANSFER_COLUMNS = ("id", "operation_id", "kind", "debit_account_id", "credit_account_id", "amount", "currency",
                    "debit_seq", "credit_seq", "debit_balance_after", "credit_balance_after", "reference",
                    "created_at", "digest")
HOLD_COLUMNS = ("id", "party_id", "wallet_account_id", "hold_account_id", "amount", "currency", "captured",
                "released", "captured_at", "released_at", "status", "reference", "operation_id", "created_at")


@dataclass(frozen=True)
class Accounts:
    funding: int
    vendor: int
    revenue: int
    parties: list[int]
    wallets: list[int]
    holds: list[int]


@dataclass
class Chunk:
    operations: list[tuple]
    transfers: list[tuple]  # without the digest until a worker signs them
    holds: list[tuple]


class LedgerGenerator:
    """A deterministic ledger, chunk by chunk, with exact running balances and entry numbers."""

    def __init__(self, accounts: Accounts, *, transfers: int, start: datetime, span: timedelta):
        self.a = accounts
        self.target = transfers
        self.balance: dict[int, int] = defaultdict(int)
        self.seq: dict[int, int] = defaultdict(int)
        self.next_op = self.next_transfer = self.next_hold = 1
        self.start = start
        # Orders needed: ~2.9 transfers each (hold, then 2 capture legs or 1 release leg).
        self.orders = max(OPEN_ORDERS + 1, int((transfers - len(accounts.parties)) / 2.9))
        self.step = span / (self.orders + 1)

    def _operation(self, chunk: Chunk, kind: str, key: str, reference: str, at: datetime) -> int:
        op = self.next_op
        self.next_op += 1
        chunk.operations.append((op, kind, key, f"{op:064x}", reference, "bench", None, at))
        return op

    def _transfer(self, chunk: Chunk, op: int, kind: str, debit: int, credit: int, amount: int,
                  reference: str, at: datetime) -> None:
        self.balance[debit] -= amount
        self.balance[credit] += amount
        self.seq[debit] += 1
        self.seq[credit] += 1
        chunk.transfers.append((self.next_transfer, op, kind, debit, credit, amount, "USD", self.seq[debit],
                                self.seq[credit], self.balance[debit], self.balance[credit], reference, at))
        self.next_transfer += 1

    def chunks(self):
        a = self.a
        chunk = Chunk([], [], [])
        for p, wallet in enumerate(a.wallets):
            ref = f"bench-seed-{p}"
            op = self._operation(chunk, "topup", f"topup:{ref}", ref, self.start)
            self._transfer(chunk, op, "topup", a.funding, wallet, TOPUP, ref, self.start)
        for i in range(self.orders):
            p = (i * 7919) % len(a.parties)
            wallet, holds = a.wallets[p], a.holds[p]
            at = self.start + self.step * (i + 1)
            amount = 500 + (i * 37) % 9500
            order_ref = f"order:bench-{i}"
            op = self._operation(chunk, "order_hold", f"hold:bench-{i}", order_ref, at)
            self._transfer(chunk, op, "order_hold", wallet, holds, amount, order_ref, at)
            hold_id = self.next_hold
            self.next_hold += 1
            hold_ref = f"hold:{hold_id}"
            captured = released = 0
            captured_at = released_at = None
            if i >= self.orders - OPEN_ORDERS:
                status = "open"
            elif i % 10 == 9:
                op_r = self._operation(chunk, "order_release", f"release:bench-{i}", hold_ref, at)
                self._transfer(chunk, op_r, "order_release", holds, wallet, amount, hold_ref, at)
                released, released_at, status = amount, at, "settled"
            else:
                margin = amount // 20
                op_c = self._operation(chunk, "order_capture", f"capture:bench-{i}", hold_ref, at)
                self._transfer(chunk, op_c, "order_capture", holds, a.vendor, amount - margin, hold_ref, at)
                self._transfer(chunk, op_c, "order_capture", holds, a.revenue, margin, hold_ref, at)
                captured, captured_at, status = amount, at, "settled"
            chunk.holds.append((hold_id, a.parties[p], wallet, holds, amount, "USD", captured, released,
                                captured_at, released_at, status, order_ref, op, at))
            if (i + 1) % ORDERS_PER_CHUNK == 0:
                yield chunk
                chunk = Chunk([], [], [])
        if chunk.operations:
            yield chunk


def sign_chunk(chunk: Chunk) -> Chunk:
    """In a worker process: the digest of every transfer, by the code that posts real ones."""
    from core.ledger.digest import transfer_digest

    names = TRANSFER_COLUMNS[1:-1]
    chunk.transfers = [
        (*row, transfer_digest(**dict(zip(names, row[1:], strict=True))))
        for row in chunk.transfers
    ]
    return chunk


def _dsn(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f"{parts.scheme}://", "postgresql://", 1)


async def make_accounts(parties: int) -> Accounts:
    from core.access.actor import Actor
    from core.db import atomic
    from core.ledger.accounts import party_account, system_account
    from core.ledger.models import AccountKind
    from core.parties import service as party_service
    from core.parties.models import PartyKind

    actor = Actor.admin(label="bench")
    party_ids, wallets, holds = [], [], []
    async with atomic():
        for n in range(parties):
            party = await party_service.create_party(actor=actor, kind=PartyKind.AGENT, name=f"bench agent {n}",
                                                     currency="USD")
            party_ids.append(party.id)
            wallets.append((await party_account(party.id, AccountKind.WALLET, "USD")).id)
            holds.append((await party_account(party.id, AccountKind.HOLDS, "USD")).id)
        funding = (await system_account(AccountKind.FUNDING, "USD")).id
        vendor = (await system_account(AccountKind.VENDOR, "USD")).id
        revenue = (await system_account(AccountKind.REVENUE, "USD")).id
    return Accounts(funding, vendor, revenue, party_ids, wallets, holds)


async def load(url: str, accounts: Accounts, transfers: int, pool) -> int:
    """Generate, sign (worker processes) and COPY the ledger; returns the number of transfers."""
    import asyncpg

    start = datetime.now(UTC) - timedelta(days=400)
    gen = LedgerGenerator(accounts, transfers=transfers, start=start, span=timedelta(days=399))
    conn = await asyncpg.connect(_dsn(url))
    written = 0
    began = time.perf_counter()
    try:
        # Replica mode skips the foreign-key triggers: the generator's ids are consistent by construction.
        await conn.execute("SET session_replication_role = replica")

        async def write(chunk: Chunk) -> None:
            nonlocal written
            await conn.copy_records_to_table("ledger_operation", records=chunk.operations, columns=OPERATION_COLUMNS)
            await conn.copy_records_to_table("ledger_transfer", records=chunk.transfers, columns=TRANSFER_COLUMNS)
            await conn.copy_records_to_table("ledger_hold", records=chunk.holds, columns=HOLD_COLUMNS)
            written += len(chunk.transfers)
            rate = written / (time.perf_counter() - began)
            print(f"  loaded {written:>11,} transfers ({rate:,.0f}/s)", file=sys.stderr, flush=True)

        pending: deque = deque()
        for chunk in gen.chunks():
            pending.append(pool.apply_async(sign_chunk, (chunk,)))
            if len(pending) >= CHUNKS_IN_FLIGHT:
                await write(pending.popleft().get())
        while pending:
            await write(pending.popleft().get())

        ids = sorted(gen.balance)
        await conn.execute(
            "UPDATE ledger_account a SET balance = v.balance, entry_count = v.entries "
            "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(id, balance, entries) WHERE a.id = v.id",
            ids, [gen.balance[i] for i in ids], [gen.seq[i] for i in ids])
        for table in ("ledger_operation", "ledger_transfer", "ledger_hold"):
            await conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        await conn.execute("RESET session_replication_role")
        for table in ("ledger_operation", "ledger_transfer", "ledger_hold", "ledger_account"):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    print(f"loaded {written:,} transfers, {gen.next_op - 1:,} operations, {gen.next_hold - 1:,} holds "
          f"in {time.perf_counter() - began:.0f} s; database {size}")
    return written


async def post_orders(accounts: Accounts, transfers: int, *, concurrency: int = 4) -> int:
    """New traffic through the real services: hold + capture (3 transfers per order)."""
    from core.access.actor import Actor
    from core.db import atomic
    from core.ledger import service as ledger
    from core.ledger.settlement import Split, capture

    actor = Actor.admin(label="bench")
    orders = -(-transfers // 3)
    queue = iter(range(orders))

    async def worker() -> None:
        for i in queue:
            party = accounts.parties[(i * 31) % len(accounts.parties)]
            amount = 1_000 + i % 5_000
            key = f"bench-new-{i}"
            async with atomic():
                held = await ledger.hold(party_id=party, amount=amount, reference=f"order:{key}", actor=actor,
                                         idempotency_key=key)
                await capture(hold_id=held.id, actor=actor, idempotency_key=key,
                              splits=[Split(accounts.vendor, amount - amount // 20),
                                      Split(accounts.revenue, amount // 20)])

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return orders * 3


async def timed_check(label: str, *, full: bool = False):
    from core.access.actor import Actor
    from core.ledger.invariants import run_check

    began = time.perf_counter()
    report = await run_check(actor=Actor.system("bench"), full=full)
    seconds = time.perf_counter() - began
    print(f"{label}: {seconds:.2f} s ({'full sweep' if report.full else 'incremental'}, "
          f"{report.transfers_verified:,} digests, {report.accounts_advanced:,} accounts checkpointed, "
          f"{len(report.violations)} violations)", flush=True)
    for v in report.violations[:10]:
        print(f"  {v}")
    return seconds, report


async def run(args, pool) -> int:
    from core.db import apply_migrations, database, drop_database

    url = args.database_url
    await drop_database(url)
    await apply_migrations(url)
    try:
        async with database(url + ("&" if "?" in url else "?") + "minsize=1&maxsize=10"):
            accounts = await make_accounts(args.parties)
            total = await load(url, accounts, args.transfers, pool)
            full_s, full = await timed_check("full sweep (steller check)", full=True)
            idle_s, idle = await timed_check("incremental, nothing new")
            began = time.perf_counter()
            new = await post_orders(accounts, args.new)
            print(f"posted {new:,} new transfers through the services in {time.perf_counter() - began:.0f} s")
            busy_s, busy = await timed_check(f"incremental after {new:,} new transfers")
            _, again = await timed_check("incremental, nothing new (those still inside the stray margin)")
    finally:
        if not args.keep:
            await drop_database(url)
    clean = all(r.ok for r in (full, idle, busy, again))
    print(f"invariant check at {total:,} transfers: full {full_s:.1f} s, incremental {idle_s:.2f} s "
          f"(nothing new), {busy_s:.2f} s (+{new:,} transfers)")
    return 0 if clean and busy_s <= CRON_BUDGET_SECONDS else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=10_000_000)
    parser.add_argument("--parties", type=int, default=1000)
    parser.add_argument("--new", type=int, default=10_000, help="transfers posted before the last timing")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--keep", action="store_true", help="leave the scratch database in place")
    args = parser.parse_args()
    if not urlsplit(args.database_url).path.lstrip("/").startswith("steller_bench"):
        raise SystemExit("refusing: the scratch database's name must start with steller_bench")
    os.environ.update(DATABASE_URL=args.database_url, LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
                      STELLER_ENV=os.environ.get("STELLER_ENV", "development"))
    # Forked before any connection or event loop exists; the workers only compute digests.
    with multiprocessing.get_context("fork").Pool(max(1, (os.cpu_count() or 2))) as pool:
        status = asyncio.run(run(args, pool))
    sys.exit(status)


if __name__ == "__main__":
    main()
