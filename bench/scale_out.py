"""Scale-out: two `steller api` processes and three `steller worker` processes on one PostgreSQL and
one Redis, `steller simulator` as the vendor (Bamboo's real limits on; the workers pace themselves
as shipped, sharing their budget through Redis).

1. Idempotency across APIs: `--keys` Idempotency-Keys, each sent with the same body to both APIs at
   the same moment → one order per key, both answers 202 with the same order, exactly one of them
   marked `Idempotent-Replayed: true`.
2. Shared rate limit: the APIs run with `API_RATE_LIMIT_BURST=N` and a refill of one token per
   `--refill-seconds` (longer than the burst takes); 2N requests of one key, N to each API, all at
   once → exactly N accepted, N answered 429.
3. Orders through both APIs (`--orders`, alternating APIs, over 8 partners and 21 products) and the
   orders of step 1 all complete exactly once: every order terminal and completed with its card, its
   hold captured once, each vendor requestId placed once (`_harness.verify`), `check_ledger()` clean,
   and every worker took part.

    .venv/bin/python bench/scale_out.py [--orders 40] [--keys 10] [--burst 20]

Last line: `scale-out ok|FAILED: idempotency … | rate limit … | orders …`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _harness as h

PARTNERS = 8
EXTRA_PRODUCTS = 20  # Bamboo allows 6 orders per product a minute: spread the orders


async def seed(partners: int, products: list[int]) -> tuple[list[str], str]:
    """Funded partners with a live key each (+ one more partner whose key is for the rate-limit test)."""
    from core.access import api_keys
    from core.access.actor import Actor
    from core.db import atomic
    from core.ledger import service as ledger
    from core.parties import service as parties
    from core.parties.models import PartyKind
    from core.pricing import service as pricing

    admin = Actor.admin(label="bench")
    keys = []
    async with atomic():
        for pid in products:
            await h.make_range_product(pid)
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=admin)
        for i in range(partners + 1):
            partner = await parties.create_party(kind=PartyKind.PARTNER, name=f"Scale partner {i}", actor=admin)
            await ledger.topup(party_id=partner.id, amount=100_000_00, reference=f"scale-{i}", actor=admin)
            keys.append((await api_keys.create_key(actor=admin, party_id=partner.id, livemode=True)).secret)
    return keys[:-1], keys[-1]


def header(head: bytes, name: bytes) -> str | None:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(name.lower() + b":"):
            return line.split(b":", 1)[1].strip().decode()
    return None


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--keys", type=int, default=10, help="Idempotency-Keys sent to both APIs at once")
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--refill-seconds", type=float, default=120.0)
    parser.add_argument("--deadline", type=float, default=240.0)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench_scale"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    assert h.db_name(args.database_url).startswith("steller_bench"), "scratch databases only"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    log_dir = h.RunDir("scale-out").path
    print(f"logs in {log_dir}", file=sys.stderr)
    sim_port = h.free_port()
    env = h.child_env(database_url=args.database_url, redis_url=args.redis_url,
                      base_url=f"http://127.0.0.1:{sim_port}")
    env.update(API_RATE_LIMIT_BURST=str(args.burst), API_RATE_LIMIT_PER_SECOND=str(1 / args.refill_seconds))
    h.adopt_env(env)
    await h.fresh_database(args.database_url)
    await h.flush_redis(args.redis_url)
    from core.db import close_db, init_db

    sim = h.Simulator(env, log_dir, port=sim_port, rate_limits=True).start()
    procs: list[h.Proc] = [sim]
    problems: list[str] = []
    summary: list[str] = []
    try:
        await sim.wait_ready()
        products = await h.prepare_simulator(sim, extra_products=EXTRA_PRODUCTS)
        await init_db()
        keys, limited_key = await seed(PARTNERS, products)
        ports = [h.free_port(), h.free_port()]
        apis = [h.Proc(f"api{i + 1}", [h.PY, "-m", "cli.main", "api", "--port", str(p)], env, log_dir).start()
                for i, p in enumerate(ports)]
        worker_env = dict(env, LOG_LEVEL="INFO")  # each job in its log: which worker ran what
        workers = [h.Worker(f"worker{i + 1}", worker_env, log_dir, mode="real").start() for i in range(3)]
        procs += apis + workers
        for port, api in zip(ports, apis):
            await h.wait_http_ready(port, api)

        # 1. The same Idempotency-Key to both APIs at once.
        same_order = replays = 0
        idem_ids = []
        for k in range(args.keys):
            key = keys[k % len(keys)]
            body = json.dumps({"product_id": products[k % len(products)], "face_value": "10.00",
                               "quantity": 1}).encode()
            conns = [await h.RawHttp(p).connect() for p in ports]
            answers = await asyncio.gather(*(c.request(h.http_request_bytes(
                "POST", "/v1/orders", port=p, body=body,
                headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"scale-idem-{k}"}))
                for c, p in zip(conns, ports)))
            for c in conns:
                await c.close()
            statuses = [a[0] for a in answers]
            ids = {json.loads(a[2]).get("id") for a in answers}
            replayed = [header(a[1], b"idempotent-replayed") == "true" for a in answers]
            if statuses == [202, 202] and len(ids) == 1:
                same_order += 1
            else:
                problems.append(f"Idempotency-Key scale-idem-{k}: answers {statuses}, order ids {ids}")
            replays += sum(replayed)
            if sum(replayed) != 1:
                problems.append(f"Idempotency-Key scale-idem-{k}: {sum(replayed)} answers marked replayed (want 1)")
            idem_ids += [i for i in ids if i]
        from tortoise.connection import get_connection

        conn = get_connection("default")
        made = await conn.execute_query_dict('SELECT COUNT(*) AS n FROM "order"')
        if made[0]["n"] != args.keys:
            problems.append(f"{made[0]['n']} orders for {args.keys} Idempotency-Keys sent twice each")
        summary.append(f"idempotency: {args.keys} keys × 2 APIs at once → {made[0]['n']} orders, "
                       f"{same_order} pairs answered the same order, {replays} replays")

        # 2. One key's bucket is shared: 2N requests, N to each API, all at once.
        per_api = args.burst
        conns = [await h.RawHttp(ports[i % 2]).connect() for i in range(2 * per_api)]
        me = [h.http_request_bytes("GET", "/v1/me", port=ports[i % 2], headers={"Authorization": f"Bearer {limited_key}"})
              for i in range(2 * per_api)]
        t = time.monotonic()
        answers = await asyncio.gather(*(c.request(r) for c, r in zip(conns, me)))
        took = time.monotonic() - t
        for c in conns:
            await c.close()
        by_status = Counter(a[0] for a in answers)
        by_api = Counter((i % 2, a[0]) for i, a in enumerate(answers))
        if by_status.get(200, 0) != args.burst or by_status.get(429, 0) != args.burst:
            problems.append(f"rate limit: {dict(by_status)} for a burst of {args.burst} (want exactly {args.burst} × 200)")
        summary.append(f"rate limit: {2 * per_api} requests of one key over 2 APIs in {took:.2f} s → "
                       f"{by_status.get(200, 0)} accepted (api1 {by_api.get((0, 200), 0)}, api2 "
                       f"{by_api.get((1, 200), 0)}), {by_status.get(429, 0)} × 429 (burst {args.burst})")

        # 3. Orders through both APIs, all complete exactly once.
        conns = [await h.RawHttp(p).connect() for p in ports]
        accepted = list(idem_ids)
        for n in range(args.orders):
            body = json.dumps({"product_id": products[n % len(products)], "face_value": "10.00", "quantity": 1,
                               "reference": f"scale-{n}"}).encode()
            status, _, raw = await conns[n % 2].request(h.http_request_bytes(
                "POST", "/v1/orders", port=ports[n % 2], body=body,
                headers={"Authorization": f"Bearer {keys[n % len(keys)]}"}))
            if status != 202:
                problems.append(f"order {n} through api{n % 2 + 1}: {status} {raw[:200]!r}")
            else:
                accepted.append(json.loads(raw)["id"])
        for c in conns:
            await c.close()
        t = time.monotonic()
        while time.monotonic() - t < args.deadline:
            open_ = await conn.execute_query_dict(
                "SELECT COUNT(*) AS n FROM \"order\" WHERE status NOT IN ('completed', 'failed', 'partially_completed')")
            if open_[0]["n"] == 0:
                break
            await asyncio.sleep(1)
        seconds = time.monotonic() - t
        verdict = await h.verify(sim)
        h.print_verdict("scale-out", verdict, seconds)
        if not verdict.ok:
            problems.append(f"orders: {verdict.open} open, {len(verdict.violations)} violations, "
                            f"{len(verdict.ledger_violations)} ledger violations")
        not_completed = {k: v for k, v in verdict.by_status.items() if k != "completed"}
        if not_completed:
            problems.append(f"orders not completed: {not_completed}")
        # Every worker took part: the place_order jobs each one logged.
        took_part = []
        for w in workers:
            text = (log_dir / f"{w.name}.log").read_text(errors="replace")
            took_part.append(text.count("place_order"))
        if not all(took_part):
            problems.append(f"a worker ran no place_order job: {took_part}")
        summary.append(f"orders: {len(accepted)} accepted through 2 APIs → {verdict.by_status}, vendor saw "
                       f"{verdict.vendor.get('place_calls')} place calls for {verdict.vendor.get('request_ids')} "
                       f"requestIds, {verdict.vendor.get('duplicate_place_request_ids')} placed twice, in "
                       f"{seconds:.0f} s; place_order log lines per worker {took_part}")
    finally:
        for p in reversed(procs):
            p.stop()
        await sim.aclose()
        await close_db()
    for line in summary:
        print(line)
    for p in problems:
        print(f"  problem: {p}")
    print(f"scale-out {'ok' if not problems else 'FAILED'}: " + " | ".join(summary))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
