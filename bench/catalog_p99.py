"""S3: `GET /v1/catalog` (first page, priced for the caller) p99 at a paced 200 requests/s, against the
bare baseline in the same run.

Starts `steller api` as shipped (one process, rate limits raised) and `bench/baseline_app.py` (bare
FastAPI + asyncpg: the key lookup, the first page of products with their brands, the partner
discount, priced in Python) on one scratch database with 300 products and 32 partners (one live key
each; requests rotate over the keys). Each server in turn gets an open-loop load: request i is due
at start + i / rate whatever the earlier answers did, and its latency is measured from that
scheduled time (so a stall shows in full, no coordinated omission). Connections come from a pool
of keep-alive `_harness.RawHttp` connections; a new one is opened when all are busy. Phases
alternate API / baseline (`--rounds`), the best p99 of each is kept.

    .venv/bin/python bench/catalog_p99.py [--rate 200] [--seconds 15] [--rounds 2]

Last line: `S3 GET /v1/catalog at 200 req/s: API p99 … ms (≤ 25 ms ok|MISSED) vs baseline p99 … ms: ratio …`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _harness as h

TARGET_P99_MS = 25.0
PRODUCTS = 300
FIRST_PRODUCT = 920_000
PARTNERS = 32


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def open_loop(port: int, requests: list[bytes], *, rate: float, seconds: float, server_pid: int) -> dict:
    idle: list[h.RawHttp] = [await h.RawHttp(port).connect() for _ in range(8)]
    opened = len(idle)
    latencies: list[float] = []
    errors: dict[int, int] = {}
    count = int(rate * seconds)
    cpu0 = (h.own_cpu_seconds(), h.process_cpu_seconds(server_pid))

    async def one(due: float, data: bytes) -> None:
        nonlocal opened
        if idle:
            conn = idle.pop()
        else:
            conn = await h.RawHttp(port).connect()
            opened += 1
        status, _, _ = await conn.request(data)
        latencies.append((time.monotonic() - due) * 1000)
        if status != 200:
            errors[status] = errors.get(status, 0) + 1
        idle.append(conn)

    tasks = []
    start = time.monotonic() + 0.05
    for i in range(count):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, requests[i % len(requests)])))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    cpu1 = (h.own_cpu_seconds(), h.process_cpu_seconds(server_pid))
    for conn in idle:
        await conn.close()
    return {"p50": percentile(latencies, 0.50), "p95": percentile(latencies, 0.95), "p99": percentile(latencies, 0.99),
            "max": max(latencies), "n": len(latencies), "errors": errors, "connections": opened,
            "client_cpu": (cpu1[0] - cpu0[0]) / elapsed, "server_cpu": (cpu1[1] - cpu0[1]) / elapsed,
            "server_ms_per_request": 1000 * (cpu1[1] - cpu0[1]) / max(1, len(latencies))}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="py-spy the API during one more API phase")
    parser.add_argument("--limit", type=int, default=20, help="page size (the API's default is 20)")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench_catalog"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    assert h.db_name(args.database_url).startswith("steller_bench"), "scratch databases only"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start", file=sys.stderr)
    api_port, base_port = h.free_port(), h.free_port()
    env = h.child_env(database_url=args.database_url, redis_url=args.redis_url, base_url="http://127.0.0.1:9")
    env.update(API_PORT=str(api_port), API_RATE_LIMIT_PER_SECOND="1000000", API_RATE_LIMIT_BURST="1000000")
    h.adopt_env(env)
    await h.fresh_database(args.database_url)
    await h.flush_redis(args.redis_url)
    keys = await h.seed_priced_partners(partners=PARTNERS, products=PRODUCTS, first_product=FIRST_PRODUCT,
                                        funds=1_000_00)
    log_dir = h.RunDir("catalog").path
    print(f"logs in {log_dir}", file=sys.stderr)
    from urllib.parse import parse_qs, urlsplit

    pool = int(parse_qs(urlsplit(args.database_url).query).get("maxsize", ["5"])[0])
    api = h.Proc("api", [h.PY, "-m", "cli.main", "api"], env, log_dir).start()
    base = h.Proc("baseline", [h.PY, str(ROOT / "bench" / "baseline_app.py"), "--port", str(base_port),
                               "--pool", str(pool)], env, log_dir).start()
    best: dict[str, dict] = {}
    try:
        await h.wait_http_ready(api_port, api)
        await h.wait_http_ready(base_port, base)
        for name, port, proc in (("api", api_port, api), ("baseline", base_port, base)):
            requests = [h.http_request_bytes("GET", f"/v1/catalog?limit={args.limit}", port=port,
                                             headers={"Authorization": f"Bearer {k}"}) for k in keys]
            await open_loop(port, requests, rate=args.rate, seconds=2, server_pid=proc.proc.pid)  # warm up
        for rnd in range(args.rounds):
            for name, port, proc in (("api", api_port, api), ("baseline", base_port, base)):
                requests = [h.http_request_bytes("GET", f"/v1/catalog?limit={args.limit}", port=port,
                                                 headers={"Authorization": f"Bearer {k}"}) for k in keys]
                r = await open_loop(port, requests, rate=args.rate, seconds=args.seconds, server_pid=proc.proc.pid)
                print(f"S3 {name:8} round {rnd + 1}: {r['n']} requests at {args.rate:g}/s, p50 {r['p50']:.1f} ms, "
                      f"p95 {r['p95']:.1f} ms, p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms, errors {r['errors']}, "
                      f"{r['connections']} connections; CPU: server {100 * r['server_cpu']:.0f} % "
                      f"({r['server_ms_per_request']:.2f} ms/request), load generator {100 * r['client_cpu']:.0f} %",
                      flush=True)
                if name not in best or r["p99"] < best[name]["p99"]:
                    best[name] = r
        if args.profile:
            from api_throughput import profile_api, summarize_profile

            out = log_dir / "api-catalog.pyspy"
            requests = [h.http_request_bytes("GET", f"/v1/catalog?limit={args.limit}", port=api_port,
                                             headers={"Authorization": f"Bearer {k}"}) for k in keys]
            spy = asyncio.create_task(profile_api(api, args.seconds, out))
            await open_loop(api_port, requests, rate=args.rate, seconds=args.seconds, server_pid=api.proc.pid)
            await spy
            for line in summarize_profile(out):
                print(line)
    finally:
        api.stop()
        base.stop()
    print(f"load average {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)
    a, b = best["api"], best["baseline"]
    ok = a["p99"] <= TARGET_P99_MS and not a["errors"]
    print(f"S3 GET /v1/catalog at {args.rate:g} req/s: API p99 {a['p99']:.1f} ms (≤ {TARGET_P99_MS:g} ms "
          f"{'ok' if ok else 'MISSED'}) vs baseline p99 {b['p99']:.1f} ms: ratio {a['p99'] / b['p99']:.1f}×")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(main()))
