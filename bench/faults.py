"""TARGETS R2–R4: the order pipeline under faults, with real processes.

    .venv/bin/python bench/faults.py [r2|r3|r4|ci|ci-r4|all] [--orders N] [--json PATH] …

- r2: 500 orders while the 2 worker processes are SIGKILLed at random moments (9 times) and
  restarted (the last kill takes both down at once);
- r3: 500 orders while the Redis DB of the run is flushed mid-run (every queued and deferred job
  lost): the reconciler must bring every order home;
- r4: the real `steller worker` (Bamboo's rate limits in the client) against the simulator with its
  real limits on: the vendor is down for 60 s (503 on everything), then a 429 storm (every place and
  get-order call refused with Retry-After: 5), then a lighter one (30 %); no order may fail because
  of it, the money stays held meanwhile, and the backoff must be honoured (sampling the simulator's
  counters every 0.2 s: calls only in bursts at least Retry-After apart);
- burst: 20 orders of one card with Bamboo's real limits (6 a minute per product) and a reconciler
  at 5 s: place jobs wait for the product's budget with their orders `placing` while the reconciler
  polls them; no requestId may be placed twice;
- ci: r2 and r3 at once (kills + a flush during 500 orders), what tests/e2e/test_order_faults.py runs;
- ci-r4: a short r4 (outage and storms of a few seconds);
- all (default): r2, r3, r4 one after the other.

After each: every order terminal; each ended as its magic value says (so none failed because of
the fault); its hold captured/released exactly as its status says; each requestId placed at most
once at the simulator (`duplicate_place_request_ids == []`, every recorded order's placement
created once); no hold captured or released twice; `check_ledger() == []`. The last line prints
the verdicts, e.g. `R2 ok (500 orders, 9 kills) | R3 ok (…) | R4 ok (…)`. Exit status 1 on any
failure.

Each scenario gets a fresh scratch database (`--database-url`, name must start with
`steller_bench`; default …/steller_bench_faults) and its own Redis DB (`--redis-url`, default DB 10,
flushed first), a simulator on a free port, and workers whose logs land in a temp directory
(printed). r2/r3/ci use the fast worker of `_harness.py` (the client's own Bamboo budget off, the
simulator's limits off) so 500 orders take seconds; r4 uses `steller worker` unchanged. The workers
run with ORDER_STUCK_AFTER_SECONDS=5 (r4: 60), so the reconciler rescues lost jobs within a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/steller_bench_faults"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"

# Mostly cheap successes, some of every magic outcome.
FAULT_MIX = {"ok": 0.80, "failed": 0.04, "partial": 0.05, "slow": 0.04, "error500": 0.02, "timeout": 0.05}


@dataclass
class Scenario:
    name: str
    orders: int = 500
    workers: int = 2
    worker_mode: str = "fast"  # "fast": the harness worker (no client budget); "real": steller worker
    kills: int = 0
    flushes: int = 0
    outage_seconds: float = 0.0
    storm_seconds: float = 0.0  # every place/get-order call answered 429 (Retry-After: storm_retry_after)
    light_storm_seconds: float = 0.0  # 30 % of them
    storm_retry_after: int = 5
    extra_products: int = 0
    create_rate: float = 60.0  # orders a second
    stuck_after: float = 5.0  # ORDER_STUCK_AFTER_SECONDS for the workers
    deadline: float = 300.0  # seconds after the last order was created
    simulator_limits: bool = False
    order_delay: float = 0.2
    pending_seconds: float = 3.0
    hang_seconds: float = 4.0
    vendor_timeout: float = 2.0
    mix: dict = field(default_factory=lambda: dict(FAULT_MIX))
    seed: int = 7


def scenarios(orders: int | None) -> dict[str, Scenario]:
    n = orders or 500
    return {
        "r2": Scenario("R2", orders=n, kills=9),
        "r3": Scenario("R3", orders=n, flushes=2),
        "ci": Scenario("CI", orders=n, kills=4, flushes=1, deadline=150.0),
        # 2 place orders a second at most, 6 a minute per product: 21 products keep both busy.
        "r4": Scenario("R4", orders=orders or 120, worker_mode="real", simulator_limits=True, outage_seconds=60,
                       storm_seconds=20, light_storm_seconds=30, extra_products=20, create_rate=20,
                       stuck_after=60.0, deadline=600.0),
        # Bamboo allows 6 orders a minute per product: 20 orders of one card keep place jobs waiting
        # for that budget with their orders `placing`, while an eager reconciler (5 s) polls them.
        "burst": Scenario("BURST", orders=orders or 20, worker_mode="real", simulator_limits=True, create_rate=20,
                          stuck_after=5.0, deadline=400.0, mix={"ok": 1.0}),
        "ci-r4": Scenario("CI-R4", orders=orders or 40, worker_mode="real", simulator_limits=True,
                          outage_seconds=6, storm_seconds=10, light_storm_seconds=6, extra_products=9,
                          create_rate=20, stuck_after=60.0, deadline=150.0,
                          mix={"ok": 0.75, "failed": 0.1, "partial": 0.1, "timeout": 0.05}),
    }


async def _create_orders(scn: Scenario, redis, net: h.Network, rng: random.Random, log: dict) -> None:
    """Paced creation, a few at a time, like API clients would."""
    sem = asyncio.Semaphore(8)
    interval = 1.0 / scn.create_rate
    parties = net.parties

    async def one(i: int) -> None:
        async with sem:
            outcome = h.pick_outcome(rng, scn.mix)
            face = h.magic_face(outcome, rng)
            try:
                await h.submit_order(redis, party_id=rng.choice(parties),
                                     product_id=net.products[i % len(net.products)], face=face,
                                     quantity=rng.randint(1, 3), reference=f"{scn.name}-{i}")
                log["created"] += 1
            except Exception as exc:  # noqa: BLE001 - a refusal here is a finding, not a crash
                log["errors"].append(f"order {i}: {type(exc).__name__}: {exc}")

    tasks = []
    started = time.monotonic()
    for i in range(scn.orders):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(max(0.0, started + (i + 1) * interval - time.monotonic()))
    await asyncio.gather(*tasks)


async def _kill_loop(scn: Scenario, workers: list[h.Worker], rng: random.Random, window: float, log: dict) -> None:
    times = sorted(rng.uniform(1.0, window) for _ in range(scn.kills))
    started = time.monotonic()
    for n, at in enumerate(times):
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        victims = list(workers) if n == len(times) - 1 else [rng.choice(workers)]
        for w in victims:
            w.kill()
        log["kills"].append({"at": round(time.monotonic() - log["t0"], 1), "workers": [w.name for w in victims]})
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        for w in victims:
            w.start()


async def _flush_loop(scn: Scenario, redis_url: str, rng: random.Random, window: float, log: dict) -> None:
    times = sorted(rng.uniform(window * 0.3, window) for _ in range(scn.flushes))
    started = time.monotonic()
    for at in times:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        await h.flush_redis(redis_url)
        log["flushes"].append(round(time.monotonic() - log["t0"], 1))


_HELD_SQL = """
SELECT COUNT(*) AS open_orders, COALESCE(SUM(o.total), 0) AS open_total,
       COALESCE(SUM(hl.amount - hl.captured - hl.released), 0) AS still_held
  FROM "order" o JOIN ledger_hold hl ON hl.id = o.hold_id
 WHERE o.status IN ('pending', 'placing', 'processing')
"""


async def _unexpected_failures() -> int:
    from decimal import Decimal

    from core.orders.models import Order, OrderStatus

    failed = await Order.filter(status=OrderStatus.FAILED).values_list("face_value", "quantity")
    return sum(1 for face, q in failed if h.expected_settlement(Decimal(face), q)[0] != "failed")


async def _vendor_trouble(scn: Scenario, sim: h.Simulator, log: dict) -> None:
    """R4: down, then a full 429 storm, then a light one. Records what is needed for the checks."""
    from tortoise.connection import get_connection

    await asyncio.sleep(3.0)
    await sim.faults(down=True)
    log["outage"] = {"started": round(time.monotonic() - log["t0"], 1)}
    await asyncio.sleep(scn.outage_seconds)
    held = (await get_connection("default").execute_query_dict(_HELD_SQL))[0]
    log["outage"].update(open_orders=held["open_orders"], open_total=held["open_total"],
                         still_held=held["still_held"], unexpected_failures=await _unexpected_failures(),
                         ended=round(time.monotonic() - log["t0"], 1))
    await sim.faults(down=False, error_rate=1.0, error_statuses=[429], endpoints=["place_order", "get_order"],
                     storm_retry_after=scn.storm_retry_after)
    # Every call is answered 429 + Retry-After: N. Honouring it, an endpoint gets no call for N s after
    # each 429: its calls come in bursts (those granted together when a block ends) at least ~N s
    # apart. Sample the simulator's counters every 0.2 s and group the increases into bursts.
    endpoints = ("place_order", "get_order")
    samples = []
    t = time.monotonic()
    while time.monotonic() - t < scn.storm_seconds:
        requests = (await sim.stats())["requests"]
        samples.append((time.monotonic() - t, {e: requests.get(e, 0) for e in endpoints}))
        await asyncio.sleep(0.2)
    seconds = time.monotonic() - t
    calls, bursts, min_gap = {}, {}, {}
    for e in endpoints:
        calls[e] = samples[-1][1][e] - samples[0][1][e]
        rises = [at for (at, now), (_, before) in zip(samples[1:], samples) if now[e] > before[e]]
        starts = [at for i, at in enumerate(rises) if i == 0 or at - rises[i - 1] > 1.0]
        bursts[e] = len(starts)
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        min_gap[e] = round(min(gaps), 1) if gaps else None
    allowed = int(seconds / scn.storm_retry_after) + 2  # bursts per endpoint if Retry-After is honoured
    honoured = all(bursts[e] <= allowed for e in endpoints) and all(
        g is None or g >= scn.storm_retry_after - 1.0 for g in min_gap.values())
    log["storm"] = {"seconds": round(seconds, 1), "calls": calls, "bursts": bursts, "allowed_bursts": allowed,
                    "min_gap": min_gap, "retry_after": scn.storm_retry_after, "honoured": honoured,
                    "without_backoff": int(2 * 2 * seconds),  # what the client's own budget alone allows
                    "unexpected_failures": await _unexpected_failures()}
    await sim.faults(error_rate=0.3, storm_retry_after=1)
    await asyncio.sleep(scn.light_storm_seconds)
    await sim.faults(error_rate=0.0, endpoints=None)
    log["storms_over"] = round(time.monotonic() - log["t0"], 1)


async def run(scn: Scenario, *, database_url: str, redis_url: str, quiet: bool = False) -> dict:
    from core.db import close_db, init_db

    rng = random.Random(scn.seed)
    run_dir = h.RunDir(scn.name.lower()).path
    port = h.free_port()
    env = h.child_env(database_url=database_url, redis_url=redis_url, base_url=f"http://127.0.0.1:{port}",
                      stuck_after=scn.stuck_after, vendor_timeout=scn.vendor_timeout)
    h.adopt_env(env)
    if not quiet:
        print(f"{scn.name}: {scn.orders} orders, {scn.workers} {scn.worker_mode} workers, logs in {run_dir}",
              file=sys.stderr, flush=True)
    await h.fresh_database(database_url)
    await h.flush_redis(redis_url)
    sim = h.Simulator(env, run_dir, port=port, order_delay=scn.order_delay, pending_seconds=scn.pending_seconds,
                      hang_seconds=scn.hang_seconds, rate_limits=scn.simulator_limits).start()
    workers = [h.Worker(f"worker{i + 1}", env, run_dir, mode=scn.worker_mode) for i in range(scn.workers)]
    log: dict = {"created": 0, "errors": [], "kills": [], "flushes": [], "t0": time.monotonic()}
    redis = None
    try:
        await sim.wait_ready()
        products = await h.prepare_simulator(sim, extra_products=scn.extra_products)
        await init_db(h.with_pool(database_url, 20))
        net = await h.build_network(agents=5, subs_per_agent=4, agent_funds=100_000_00, sub_funds=10_000_00,
                                    products=products)
        redis = await h.arq_pool(redis_url)
        for w in workers:
            w.start()
        log["t0"] = t0 = time.monotonic()
        creation_seconds = scn.orders / scn.create_rate
        chaos = []
        if scn.kills:
            chaos.append(_kill_loop(scn, workers, rng, creation_seconds + 10, log))
        if scn.flushes:
            chaos.append(_flush_loop(scn, redis_url, rng, creation_seconds + 5, log))
        if scn.outage_seconds or scn.storm_seconds:
            chaos.append(_vendor_trouble(scn, sim, log))
        await asyncio.gather(_create_orders(scn, redis, net, rng, log), *chaos)
        created_at = time.monotonic()
        counts, _ = await h.wait_terminal(scn.deadline, label=f"{scn.name} ", quiet=quiet)
        seconds = time.monotonic() - t0
        after_creation = time.monotonic() - created_at
        for w in workers:
            w.stop()
        verdict = await h.verify(sim)
    finally:
        for w in workers:
            w.stop()
        sim.stop()
        await sim.aclose()
        if redis is not None:
            await redis.aclose()
        await close_db()

    problems = list(verdict.violations) + [f"ledger: {x}" for x in verdict.ledger_violations]
    problems += [f"create: {e}" for e in log["errors"][:10]]
    if verdict.open:
        problems.append(f"{verdict.open} order(s) still open {after_creation:.0f} s after the last was created")
    if log["created"] != scn.orders or verdict.orders != scn.orders:
        problems.append(f"{log['created']} orders created, {verdict.orders} in the database, {scn.orders} asked")
    if scn.kills and len(log["kills"]) != scn.kills:
        problems.append(f"only {len(log['kills'])} of {scn.kills} kills happened")
    if scn.flushes and len(log["flushes"]) != scn.flushes:
        problems.append(f"only {len(log['flushes'])} of {scn.flushes} flushes happened")
    if "outage" in log:
        o = log["outage"]
        if o["unexpected_failures"]:
            problems.append(f"{o['unexpected_failures']} order(s) failed during the outage")
        if o["still_held"] != o["open_total"]:
            problems.append(f"during the outage {o['still_held']} held for open orders worth {o['open_total']}")
    if "storm" in log:
        s = log["storm"]
        if not s["honoured"]:
            problems.append(f"429 storm: calls in {s['bursts']} bursts {s['min_gap']} s apart in {s['seconds']} s "
                            f"(Retry-After {s['retry_after']}): not honoured")
        if s["unexpected_failures"]:
            problems.append(f"{s['unexpected_failures']} order(s) failed during the 429 storm")
    # 429s from the simulator's own (Bamboo's) limits are reported, not judged here: they are S4's
    # target, and each one is handled like any 429 (the endpoint blocked for its Retry-After).
    report = {
        "scenario": scn.name, "orders": scn.orders, "seconds": round(seconds, 1),
        "by_status": verdict.by_status, "open": verdict.open, "vendor": verdict.vendor,
        "kills": log["kills"], "flushes": log["flushes"], "outage": log.get("outage"), "storm": log.get("storm"),
        "ledger_violations": verdict.ledger_violations, "violations": problems, "ok": not problems,
        "worker_starts": {w.name: w.starts for w in workers}, "logs": str(run_dir),
    }
    return report


def print_report(r: dict) -> None:
    name = r["scenario"]
    print(f"{name}: {r['orders']} orders, all terminal after {r['seconds']} s: " if not r["open"] else
          f"{name}: {r['orders']} orders, {r['open']} STILL OPEN after {r['seconds']} s: ", end="")
    print(", ".join(f"{k} {n}" for k, n in r["by_status"].items()))
    v = r["vendor"]
    print(f"{name}: vendor saw {v.get('place_calls')} place calls for {v.get('request_ids')} requestIds, "
          f"{v.get('orders_recorded')} orders recorded, max {v.get('max_place_calls_per_request_id')} call(s) "
          f"per requestId (the .04 ones are refused with 500 and retried), "
          f"{v.get('duplicate_place_request_ids')} requestId(s) placed twice; 429s from the simulator's "
          f"own limits {v.get('own_429s')}, injected {v.get('faults_injected')}, "
          f"503 while down {v.get('down_rejections')}")
    if r["kills"]:
        print(f"{name}: {len(r['kills'])} SIGKILLs at " + ", ".join(
            f"{k['at']} s ({'+'.join(k['workers'])})" for k in r["kills"]) + f"; worker starts {r['worker_starts']}")
    if r["flushes"]:
        print(f"{name}: Redis flushed at " + ", ".join(f"{t} s" for t in r["flushes"]))
    if r.get("outage"):
        o = r["outage"]
        print(f"{name}: vendor down {o['started']}–{o['ended']} s: {o['open_orders']} orders open, "
              f"{o['still_held']} still held for {o['open_total']} of open orders, "
              f"{o['unexpected_failures']} failed meanwhile")
    if r.get("storm"):
        s = r["storm"]
        print(f"{name}: 429 storm {s['seconds']} s (Retry-After: {s['retry_after']}): {s['calls']} calls reached "
              f"the vendor in {s['bursts']} bursts (≤ {s['allowed_bursts']} per endpoint if honoured), closest "
              f"bursts {s['min_gap']} s apart; ~{s['without_backoff']} calls if only the client budget paced them")
    print(f"{name}: {len(r['ledger_violations'])} ledger violations, {len(r['violations'])} violations")
    for p in r["violations"][:30]:
        print(f"  - {p}")


def verdict_line(r: dict) -> str:
    extra = []
    if r["kills"]:
        extra.append(f"{len(r['kills'])} kills")
    if r["flushes"]:
        extra.append(f"{len(r['flushes'])} flushes")
    if r.get("outage"):
        extra.append("down + 429s")
    status = "ok" if r["ok"] else f"FAILED ({len(r['violations'])} violations)"
    extra_text = ", ".join(extra) + ", " if extra else ""
    return f"{r['scenario']} {status} ({r['orders']} orders, {extra_text}{r['seconds']} s)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="?", default="all",
                        choices=["r2", "r3", "r4", "burst", "ci", "ci-r4", "all"])
    parser.add_argument("--orders", type=int, default=None, help="orders per scenario (default 500; r4: 120)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_FAULTS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_FAULTS_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--json", dest="json_path", default=None, help="write the reports here as JSON")
    parser.add_argument("--outage-seconds", type=float, default=None, help="r4: how long the vendor is down")
    parser.add_argument("--quiet", action="store_true")
    # tests/e2e/test_order_faults.py passes its own scratch database (steller_faults_test)
    parser.add_argument("--allow-any-database-name", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.allow_any_database_name and not h.db_name(args.database_url).startswith("steller_bench"):
        parser.error("the scratch database is dropped first: its name must start with steller_bench")

    table = scenarios(args.orders)
    names = ["r2", "r3", "r4"] if args.which == "all" else [args.which]
    reports = []
    for name in names:
        scn = table[name]
        if args.seed is not None:
            scn.seed = args.seed
        if args.outage_seconds is not None and scn.outage_seconds:
            scn.outage_seconds = args.outage_seconds
        report = asyncio.run(run(scn, database_url=args.database_url, redis_url=args.redis_url, quiet=args.quiet))
        reports.append(report)
        print_report(report)
        sys.stdout.flush()
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(reports, indent=2, default=str))
    print(" | ".join(verdict_line(r) for r in reports))
    return 0 if all(r["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
