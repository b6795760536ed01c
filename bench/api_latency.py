"""First latency figures of the partner API: `POST /v1/orders` and `GET /v1/catalog`, 32 concurrent clients.

Starts `steller api` (one process, as shipped) on a scratch database with 32 funded partners, each
with its own live key (so the figures are the API's, not one hot wallet's), and 300 products. No
worker runs: the orders are accepted (held, enqueued) and stay pending — what is timed is the
request. The load generator runs on the same machine and shares its CPU with the API.

    .venv/bin/python bench/api_latency.py [--requests 2000] [--clients 32]

Last line: `API latency at 32 clients: POST /v1/orders p50 … p99 …; GET /v1/catalog p50 … p99 …`.
The full S1–S3 benches (with the bare FastAPI baseline) are separate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench._harness import (  # noqa: E402
    PY, Proc, adopt_env, child_env, db_name, flush_redis, free_port, fresh_database, seed_priced_partners,
)

PRODUCTS = 300
FIRST_PRODUCT = 920_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def load(base_url: str, keys: list[str], *, requests: int, make) -> tuple[list[float], int]:
    """`requests` calls spread over one client per key, all at once; latencies in ms, error count."""
    latencies: list[float] = []
    errors = 0
    per_client = max(1, requests // len(keys))

    async def client(index: int, key: str) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base_url, timeout=30,
                                     headers={"Authorization": f"Bearer {key}"}) as http:
            for n in range(per_client):
                method, path, body = make(index, n)
                started = time.perf_counter()
                response = await http.request(method, path, json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code >= 400:
                    errors += 1

    await asyncio.gather(*(client(i, k) for i, k in enumerate(keys)))
    return latencies, errors


def order_request(index: int, n: int):
    product = FIRST_PRODUCT + (index * 7 + n) % PRODUCTS
    return "POST", "/v1/orders", {"product_id": product, "face_value": "10.00", "quantity": 1}


def catalog_request(index: int, n: int):
    return "GET", f"/v1/catalog?limit=20", None


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench_api"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    assert db_name(args.database_url).startswith("steller_bench"), "scratch databases only"
    port = free_port()
    env = child_env(database_url=args.database_url, redis_url=args.redis_url, base_url="http://127.0.0.1:9")
    env.update(API_PORT=str(port), API_RATE_LIMIT_PER_SECOND="1000000", API_RATE_LIMIT_BURST="1000000")
    adopt_env(env)
    await fresh_database(args.database_url)
    await flush_redis(args.redis_url)
    keys = await seed_priced_partners(partners=args.clients, products=PRODUCTS, first_product=FIRST_PRODUCT,
                                      funds=10_000_000_00)
    log_dir = Path(tempfile.mkdtemp(prefix="steller-bench-api-"))
    print(f"logs in {log_dir}", file=sys.stderr)
    api = Proc("api", [PY, "-m", "cli.main", "api"], env, log_dir).start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url) as http:
            for _ in range(300):
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        await load(base_url, keys, requests=len(keys) * 5, make=catalog_request)  # warm up
        results = {}
        for label, make in (("POST /v1/orders", order_request), ("GET /v1/catalog", catalog_request)):
            started = time.perf_counter()
            latencies, errors = await load(base_url, keys, requests=args.requests, make=make)
            seconds = time.perf_counter() - started
            results[label] = (percentile(latencies, 0.50), percentile(latencies, 0.99))
            print(f"{label}: {len(latencies)} requests, {errors} errors, {len(latencies) / seconds:.0f} req/s, "
                  f"p50 {results[label][0]:.1f} ms, p99 {results[label][1]:.1f} ms, "
                  f"mean {statistics.fmean(latencies):.1f} ms")
            if errors:
                print(f"  {label} had {errors} error responses", file=sys.stderr)
    finally:
        api.stop()
    line = "; ".join(f"{label} p50 {p50:.1f} ms p99 {p99:.1f} ms" for label, (p50, p99) in results.items())
    print(f"API latency at {args.clients} clients: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
