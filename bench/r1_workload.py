"""TARGETS R1: a randomized concurrent workload against real workers, then every invariant.

    .venv/bin/python bench/r1_workload.py [--ops 10000] [--concurrency 32] [--seed 1] [--json PATH]

10,000 operations over 50 funded parties (10 agents with 4 sub-agents each), 32 in flight at a
time, in one process through the core services (what the API and the bot call):

- orders with every simulator outcome (ok / failed / partial / slow / HTTP 500 / timeout face
  values, quantities 1–3): `create_order` in one transaction, `enqueue_place` after commit;
- duplicate references: an earlier reference sent again, and new references sent three times at
  once; the same reference for another purchase (must be refused);
- allocations (agent → its sub-agent), reclaims (sub-agent → agent, refused beyond the balance),
  top-ups (some repeated, also concurrently, with the same external reference), allocations
  repeated with the same idempotency key, commission payouts (agent, a random month: one per month).

Two worker processes (`python bench/_harness.py fast-worker`: `steller worker` without the
client's own Bamboo budget, see _harness.py) run the orders against a `steller simulator` process
(rate limits off, 0.2 s order delay, .03 pending 3 s, .05 hanging 4 s against a 2 s client
timeout). When every operation has returned, it waits (up to --deadline seconds) until every order
is terminal, then checks:

- `check_ledger()` returns [] (every rule of PRODUCT.md §2);
- every order terminal, and ended as its magic value says, its hold captured/released to match
  (completed: captured = total; failed: all released; partial: captured = delivered × unit price);
- each requestId placed at most once at the simulator, every recorded vendor order is one of ours;
- every reference produced exactly one order (all its accepted sends returned that order), each
  top-up reference / allocation key / payout month moved money once;
- every wallet and commission balance equals what the accepted operations and the orders' outcomes
  say it must be (an independent model of the ledger).

Last line: `R1: 10000 ops, 0 violations, all orders terminal` (exit status 1 otherwise).
Scratch database `--database-url` (name must start with steller_bench; default …/steller_bench_r1),
Redis `--redis-url` (default DB 12, flushed first).
"""

from __future__ import annotations

from core.access.actor import Actor

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/steller_bench_r1"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"

OP_WEIGHTS = {
    "order": 40, "order_again": 6, "order_concurrent_dups": 4, "order_reference_conflict": 2,
    "allocation": 14, "allocation_again": 2, "reclaim": 10, "topup": 10, "topup_again": 4, "payout": 8,
}
OUTCOME_WEIGHTS = {"ok": 55, "failed": 10, "partial": 12, "slow": 8, "error500": 5, "timeout": 10}
PERIODS = [f"2026-{m:02d}" for m in range(1, 13)]



BENCH_ACTOR = Actor.admin(label="bench")

@dataclass
class Model:
    """What the accepted operations say the ledger must hold (minor units)."""

    wallet: Counter = field(default_factory=Counter)
    commission: Counter = field(default_factory=Counter)
    refs: dict = field(default_factory=dict)  # (party, reference) → {"inputs", "ids", "created", "sends"}
    topups: dict = field(default_factory=dict)  # reference → {"party", "amount", "applied"}
    allocations: dict = field(default_factory=dict)  # key → {"parent", "child", "amount", "applied"}
    payouts: Counter = field(default_factory=Counter)  # (agent, period) → non-replayed payouts
    ops: Counter = field(default_factory=Counter)
    sends: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)  # accepted sends by what they did
    errors: list = field(default_factory=list)
    violations: list = field(default_factory=list)


class Workload:
    def __init__(self, net: h.Network, redis, rng: random.Random, model: Model) -> None:
        self.net, self.redis, self.rng, self.m = net, redis, rng, model
        self.known_refs: list[tuple[int, str]] = []  # every order reference sent so far
        self.created_refs: list[tuple[int, str]] = []  # … of which an order exists
        self.topup_refs: list[str] = []
        self.allocation_keys: list[str] = []
        self.n = 0

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    # --- operations (parameters are drawn synchronously, so a seed gives the same run) ----------

    def plan(self, kind: str):
        rng, net = self.rng, self.net
        if kind == "order_again" and not self.known_refs:
            kind = "order"
        if kind == "order_reference_conflict" and not self.created_refs:
            kind = "order"
        if kind == "topup_again" and not self.topup_refs:
            kind = "topup"
        if kind == "allocation_again" and not self.allocation_keys:
            kind = "allocation"
        self.m.ops[kind] += 1
        if kind in ("order", "order_concurrent_dups"):
            party = rng.choice(net.parties)
            outcome = h.pick_outcome(rng, OUTCOME_WEIGHTS)
            inputs = (rng.choice(net.products), h.magic_face(outcome, rng), rng.randint(1, 3))
            ref = self._next("po")
            self.m.refs[(party, ref)] = {"inputs": inputs, "ids": set(), "created": 0, "sends": 0}
            self.known_refs.append((party, ref))
            copies = 3 if kind == "order_concurrent_dups" else 1
            return self._orders(party, ref, inputs, copies)
        if kind == "order_again":
            party, ref = rng.choice(self.known_refs)
            copies = rng.choice((1, 1, 2))
            return self._orders(party, ref, self.m.refs[(party, ref)]["inputs"], copies)
        if kind == "order_reference_conflict":
            party, ref = rng.choice(self.created_refs)
            product, face, quantity = self.m.refs[(party, ref)]["inputs"]
            return self._conflict(party, ref, (product, face + 1, quantity))
        if kind == "allocation":
            agent = rng.choice(net.agents)
            key = self._next("al")
            self.m.allocations[key] = {"parent": agent, "child": rng.choice(net.subs[agent]),
                                       "amount": rng.randint(1_00, 300_00), "applied": 0}
            self.allocation_keys.append(key)
            return self._allocate(key, copies=rng.choice((1, 1, 1, 2)))
        if kind == "allocation_again":
            return self._allocate(rng.choice(self.allocation_keys), copies=1)
        if kind == "reclaim":
            sub = rng.choice(list(net.parent))
            return self._reclaim(sub, rng.randint(1_00, 2_000_00), self._next("rc"))
        if kind == "topup":
            ref = self._next("wire")
            self.m.topups[ref] = {"party": rng.choice(net.parties), "amount": rng.randint(10_00, 500_00),
                                  "applied": 0}
            self.topup_refs.append(ref)
            return self._topup(ref, copies=rng.choice((1, 1, 1, 2)))
        if kind == "topup_again":
            return self._topup(rng.choice(self.topup_refs), copies=rng.choice((1, 2)))
        if kind == "payout":
            return self._payout(rng.choice(net.agents), rng.choice(PERIODS))
        raise ValueError(kind)

    async def _guard(self, kind: str, coro, expect: tuple[str, ...] = ()):
        from core.errors import DomainError

        self.m.sends[kind] += 1
        try:
            return await coro
        except DomainError as exc:
            self.m.refused[f"{kind}: {exc.code}"] += 1
            if expect and exc.code not in expect:
                self.m.violations.append(f"{kind} refused with {exc.code}, expected {expect}")
        except Exception as exc:  # noqa: BLE001 - anything else is a finding
            self.m.errors.append(f"{kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return None

    async def _orders(self, party: int, ref: str, inputs, copies: int) -> None:
        product, face, quantity = inputs
        entry = self.m.refs[(party, ref)]

        async def send():
            created = await self._guard("order", h.submit_order(self.redis, party_id=party, product_id=product,
                                                                face=face, quantity=quantity, reference=ref))
            if created is not None:
                self.m.answers["order: new" if created.created else "order: the earlier order"] += 1
                entry["ids"].add(str(created.order.id))
                entry["created"] += int(created.created)
                if (party, ref) not in self.created_refs:
                    self.created_refs.append((party, ref))
            entry["sends"] += 1

        await asyncio.gather(*(send() for _ in range(copies)))

    async def _conflict(self, party: int, ref: str, inputs) -> None:
        product, face, quantity = inputs
        created = await self._guard("order_conflict", h.submit_order(
            self.redis, party_id=party, product_id=product, face=face, quantity=quantity, reference=ref),
            expect=("order.reference_conflict",))
        if created is not None:
            self.m.violations.append(f"reference {ref} reused for another purchase was accepted")

    async def _allocate(self, key: str, copies: int) -> None:
        from core.db import atomic
        from core.ledger import service as ledger

        a = self.m.allocations[key]

        async def send():
            async def go():
                async with atomic():
                    return await ledger.allocate(parent_id=a["parent"], child_id=a["child"], amount=a["amount"],
                                                 actor=BENCH_ACTOR, idempotency_key=key)
            posted = await self._guard("allocation", go())
            if posted is not None:
                self.m.answers["allocation: replayed" if posted.replayed else "allocation: moved"] += 1
            if posted is not None and not posted.replayed:
                a["applied"] += 1
                self.m.wallet[a["parent"]] -= a["amount"]
                self.m.wallet[a["child"]] += a["amount"]

        await asyncio.gather(*(send() for _ in range(copies)))

    async def _reclaim(self, sub: int, amount: int, key: str) -> None:
        from core.db import atomic
        from core.ledger import service as ledger

        async def go():
            async with atomic():
                return await ledger.reclaim(child_id=sub, amount=amount, actor=BENCH_ACTOR, idempotency_key=key)
        posted = await self._guard("reclaim", go())
        if posted is not None:
            self.m.answers["reclaim: moved"] += 1
        if posted is not None and not posted.replayed:
            self.m.wallet[sub] -= amount
            self.m.wallet[self.net.parent[sub]] += amount

    async def _topup(self, ref: str, copies: int) -> None:
        from core.db import atomic
        from core.ledger import service as ledger

        t = self.m.topups[ref]

        async def send():
            async def go():
                async with atomic():
                    return await ledger.topup(party_id=t["party"], amount=t["amount"], reference=ref, actor=BENCH_ACTOR)
            posted = await self._guard("topup", go())
            if posted is not None:
                self.m.answers["topup: replayed" if posted.replayed else "topup: credited"] += 1
            if posted is not None and not posted.replayed:
                t["applied"] += 1
                self.m.wallet[t["party"]] += t["amount"]

        await asyncio.gather(*(send() for _ in range(copies)))

    async def _payout(self, agent: int, period: str) -> None:
        from core.access.actor import Actor
        from core.db import atomic
        from core.ledger import service as ledger

        # An admin's early payout (the monthly one pays only months that have ended).
        async def go():
            async with atomic():
                return [await ledger.pay_commission(party_id=agent, actor=Actor.admin(label="bench"))]
        answer = await self._guard("payout", go())
        if answer is None:  # refused
            return
        payout = answer[0]
        if not payout.paid_now:
            self.m.answers["payout: already paid" if payout.replayed else "payout: nothing due"] += 1
        else:
            self.m.answers["payout: paid"] += 1
            self.m.payouts[(agent, payout.posted.operation.idempotency_key)] += 1
            self.m.wallet[agent] += payout.amount
            self.m.commission[agent] -= payout.amount


async def drive(work: Workload, ops: int, concurrency: int) -> None:
    sem = asyncio.Semaphore(concurrency)
    tasks: set[asyncio.Task] = set()
    names = list(OP_WEIGHTS)
    weights = [OP_WEIGHTS[n] for n in names]
    started = time.monotonic()
    for i in range(ops):
        await sem.acquire()
        coro = work.plan(work.rng.choices(names, weights)[0])
        task = asyncio.create_task(coro)
        tasks.add(task)
        task.add_done_callback(lambda t: (tasks.discard(t), sem.release()))
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} ops issued, {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    await asyncio.gather(*tasks)


_BALANCES_SQL = """
SELECT party_id, kind, balance FROM ledger_account
 WHERE party_id IS NOT NULL AND kind IN ('wallet', 'commission', 'holds')
"""


async def check_model(net: h.Network, m: Model, verdict: h.Verdict) -> list[str]:
    """Balances the accepted operations and the orders' outcomes imply, against the ledger."""
    from tortoise.connection import get_connection

    problems: list[str] = []
    wallet = Counter()
    for p in net.parties:
        wallet[p] = net.funded[p] + m.wallet[p]
    commission = Counter({p: m.commission[p] for p in net.agents})
    ours = {str(r["id"]): r for r in verdict.rows}
    for (party, ref), entry in m.refs.items():
        if len(entry["ids"]) > 1:
            problems.append(f"reference {ref} of party {party} produced {len(entry['ids'])} orders")
        if entry["ids"] and entry["created"] != 1:
            problems.append(f"reference {ref}: {entry['created']} sends reported a new order (one expected)")
        for oid in entry["ids"]:
            row = ours.get(oid)
            if row is None:
                problems.append(f"reference {ref}: order {oid} is not in the database")
                continue
            _, delivered, _ = h.expected_settlement(Decimal(row["face_value"]), row["quantity"])
            wallet[party] -= row["unit_price"] * delivered
            if party in net.parent:
                quote = json.loads(row["quote"]) if isinstance(row["quote"], str) else row["quote"]
                commission[net.parent[party]] += quote["commission_unit"] * delivered
    referenced = {oid for e in m.refs.values() for oid in e["ids"]}
    strays = [oid for oid in ours if oid not in referenced]
    if strays:
        problems.append(f"{len(strays)} order(s) in the database that no send returned, e.g. {strays[:3]}")
    for ref, t in m.topups.items():
        if t["applied"] > 1:
            problems.append(f"top-up {ref} credited {t['applied']} times")
    for key, a in m.allocations.items():
        if a["applied"] > 1:
            problems.append(f"allocation {key} moved money {a['applied']} times")
    for (agent, period), n in m.payouts.items():
        if n > 1:
            problems.append(f"commission of party {agent} for {period} paid {n} times")
    rows = await get_connection("default").execute_query_dict(_BALANCES_SQL)
    actual = {(r["party_id"], r["kind"]): r["balance"] for r in rows}
    for p in net.parties:
        if actual.get((p, "wallet")) != wallet[p]:
            problems.append(f"party {p}: wallet {actual.get((p, 'wallet'))}, the operations say {wallet[p]}")
        if actual.get((p, "holds"), 0) != 0:
            problems.append(f"party {p}: {actual[(p, 'holds')]} still held with every order terminal")
    for a in net.agents:
        if actual.get((a, "commission"), 0) != commission[a]:
            problems.append(f"agent {a}: commission {actual.get((a, 'commission'))}, the orders and payouts "
                            f"say {commission[a]}")
    return problems


async def run(args) -> dict:
    from core.db import close_db, init_db

    rng = random.Random(args.seed)
    run_dir = h.RunDir("r1").path
    port = h.free_port()
    env = h.child_env(database_url=args.database_url, redis_url=args.redis_url,
                      base_url=f"http://127.0.0.1:{port}", stuck_after=args.stuck_after, vendor_timeout=2.0)
    h.adopt_env(env)
    print(f"R1: {args.ops} ops over 50 parties, {args.concurrency} at a time, {args.workers} workers, "
          f"logs in {run_dir}", file=sys.stderr, flush=True)
    await h.fresh_database(args.database_url)
    await h.flush_redis(args.redis_url)
    sim = h.Simulator(env, run_dir, port=port, order_delay=0.2, pending_seconds=3.0, hang_seconds=4.0).start()
    workers = [h.Worker(f"worker{i + 1}", env, run_dir, mode=args.worker_mode) for i in range(args.workers)]
    model = Model()
    redis = None
    try:
        await sim.wait_ready()
        products = await h.prepare_simulator(sim)
        await init_db(h.with_pool(args.database_url, args.concurrency * 3 + 10))
        net = await h.build_network(agents=10, subs_per_agent=4, agent_funds=50_000_00, sub_funds=5_000_00,
                                    products=products)
        redis = await h.arq_pool(args.redis_url)
        for w in workers:
            w.start()
        t0 = time.monotonic()
        await drive(Workload(net, redis, rng, model), args.ops, args.concurrency)
        ops_seconds = time.monotonic() - t0
        print(f"  all {args.ops} ops returned in {ops_seconds:.1f} s; waiting for the orders", file=sys.stderr,
              flush=True)
        await h.wait_terminal(args.deadline, label="R1 ")
        seconds = time.monotonic() - t0
        for w in workers:
            w.stop()
        verdict = await h.verify(sim)
        model_problems = await check_model(net, model, verdict)
    finally:
        for w in workers:
            w.stop()
        sim.stop()
        await sim.aclose()
        if redis is not None:
            await redis.aclose()
        await close_db()
    violations = (list(model.violations) + [f"error: {e}" for e in model.errors[:20]] + list(verdict.violations)
                  + model_problems + [f"ledger: {x}" for x in verdict.ledger_violations])
    if len(model.errors) > 20:
        violations.append(f"… and {len(model.errors) - 20} more errors")
    return {
        "ops": sum(model.ops.values()), "ops_by_kind": dict(model.ops), "sends": dict(model.sends),
        "refused": dict(model.refused), "answers": dict(model.answers), "errors": len(model.errors),
        "orders": verdict.orders,
        "by_status": verdict.by_status, "open": verdict.open, "vendor": verdict.vendor,
        "ops_seconds": round(ops_seconds, 1), "seconds": round(seconds, 1),
        "references": len(model.refs), "duplicate_sends": sum(max(0, e["sends"] - 1) for e in model.refs.values()),
        "ledger_violations": verdict.ledger_violations, "violations": violations, "logs": str(run_dir),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-mode", choices=["fast", "real"], default="fast",
                        help="real = `steller worker` as shipped (Bamboo's 2 orders/s: hours for 4,000 orders)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds to wait for every order to end")
    parser.add_argument("--stuck-after", type=float, default=60.0, help="ORDER_STUCK_AFTER_SECONDS for the workers")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_R1_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_R1_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()
    if not h.db_name(args.database_url).startswith("steller_bench"):
        parser.error("the scratch database is dropped first: its name must start with steller_bench")

    r = asyncio.run(run(args))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(r, indent=2, default=str))
    print("ops by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(r["ops_by_kind"].items())))
    print("requests sent: " + ", ".join(f"{k} {n}" for k, n in sorted(r["sends"].items()))
          + f" ({r['references']} order references, {r['duplicate_sends']} duplicate sends)")
    print("accepted: " + ", ".join(f"{k} {n}" for k, n in sorted(r["answers"].items())))
    print("refused (expected kinds): " + (", ".join(f"{k} {n}" for k, n in sorted(r["refused"].items())) or "none"))
    print(f"orders: {r['orders']} — " + ", ".join(f"{k} {n}" for k, n in r["by_status"].items()))
    v = r["vendor"]
    print(f"vendor: {v.get('place_calls')} place calls for {v.get('request_ids')} requestIds, "
          f"{v.get('orders_recorded')} orders recorded, {v.get('duplicate_place_request_ids')} placed twice, "
          f"refusals {v.get('rejections')}")
    print(f"seconds: ops {r['ops_seconds']} ({r['ops'] / max(r['ops_seconds'], 0.001):.0f} ops/s), "
          f"until every order ended {r['seconds']}")
    print(f"violations: {len(r['violations'])} (ledger invariants {len(r['ledger_violations'])}, "
          f"unexpected errors {r['errors']})")
    for p in r["violations"][:40]:
        print(f"  - {p}")
    terminal = "all orders terminal" if r["open"] == 0 else f"{r['open']} orders NOT terminal"
    print(f"R1: {r['ops']} ops, {len(r['violations'])} violations, {terminal}")
    return 0 if not r["violations"] and r["open"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
