"""TARGETS S5: full catalog sync of a 9,000-product simulator catalog at Bamboo's real rate limit.

Starts the simulator on a loopback port (real rate limits: catalog v2 = 1 request/second),
recreates a scratch database, runs a full sync through the real BambooClient with the Redis-shared
limiter, then an incremental sync with nothing changed. Prints the figures; the LAST line is

    S5 full sync ratio: <seconds / (pages × 1 s)> (<pages> pages, <products> products, <seconds> s)

Target: ratio ≤ 1.15 and the incremental sync ≤ 2 requests (exit status 1 if either is missed).

    .venv/bin/python bench/catalog_sync.py [--products 9000] [--database-url …/steller_bench]
                                           [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATE_LIMIT_SECONDS_PER_PAGE = 1.0  # bamboo-api.md §3: catalog v2, 1 request per second
TARGET_RATIO = 1.15
TARGET_INCREMENTAL_REQUESTS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(port: int, products: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.simulator_cmd", "--host", "127.0.0.1", "--port", str(port),
         "--products", str(products), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


async def wait_ready(admin, proc: subprocess.Popen) -> None:
    import httpx

    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"simulator exited with {proc.returncode}")
        try:
            if (await admin.get("/_sim/stats")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("simulator did not start within 30 s")


async def bench(args: argparse.Namespace, base_url: str, proc: subprocess.Popen) -> int:
    import httpx
    from redis.asyncio import Redis

    from core.catalog.sync import SyncProgress, sync_catalog
    from core.config import get_settings, reset_settings_cache
    from core.db import apply_migrations, close_db, database, drop_database
    from core.vendors.bamboo import BambooClient, SharedRateLimiter

    reset_settings_cache()
    settings = get_settings()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as admin:
        await wait_ready(admin, proc)
        summary = (await admin.get("/_sim/catalog/summary")).json()
        print(f"simulator: {summary['products']} products, {summary['brands']} brands "
              f"({summary['pages_of_100']} pages of 100), rate limits on, {base_url}")

        await drop_database(args.database_url)
        await apply_migrations(args.database_url)
        await close_db()
        print(f"scratch database: {urlsplit(args.database_url).path.lstrip('/')} (recreated, migrated)")

        redis = Redis.from_url(args.redis_url)
        # The real shared limiter, on Redis; a key prefix of its own so no other process's
        # budget (or an earlier run's window) paces this one.
        limiter = SharedRateLimiter(redis, key_prefix=f"steller:bench:{uuid.uuid4().hex}:")
        try:
            async with database(args.database_url), BambooClient.from_settings(
                settings, rate_limiter=limiter
            ) as bamboo:
                def show(p: SyncProgress) -> None:
                    if p.pages:
                        print(f"  page {p.pages}/{p.pages_total or '?'}: {p.products} products",
                              file=sys.stderr, flush=True)

                await admin.post("/_sim/stats/reset")
                started = time.perf_counter()
                full = await sync_catalog(bamboo, full=True, progress=show)
                seconds = time.perf_counter() - started
                stats = (await admin.get("/_sim/stats")).json()
                catalog_requests = stats["requests"].get("catalog_v2", 0)
                throttled = stats.get("rate_limited_total", 0)

                await admin.post("/_sim/stats/reset")
                inc_started = time.perf_counter()
                inc = await sync_catalog(bamboo, full=False)
                inc_seconds = time.perf_counter() - inc_started
                inc_stats = (await admin.get("/_sim/stats")).json()
                inc_requests = sum(inc_stats["requests"].values())
        finally:
            await redis.aclose()

    pages = full.requests  # every catalog page requested (= the rate-limit bound's page count)
    ratio = seconds / (pages * RATE_LIMIT_SECONDS_PER_PAGE)
    print(f"full sync: run {full.run_id}, {pages} pages requested ({catalog_requests} catalog_v2 requests "
          f"seen by the simulator, {throttled} answered 429), {full.products} products, "
          f"added {full.added}, changed {full.changed}, gone {full.gone}, {full.categories} categories, "
          f"{seconds:.1f} s")
    print(f"incremental sync (nothing changed): {inc_requests} request(s) "
          f"(target ≤ {TARGET_INCREMENTAL_REQUESTS}), added {inc.added}, changed {inc.changed}, "
          f"{inc_seconds:.2f} s")
    print(f"S5 full sync ratio: {ratio:.2f} ({pages} pages, {full.products} products, {seconds:.1f} s)")
    ok = ratio <= TARGET_RATIO and inc_requests <= TARGET_INCREMENTAL_REQUESTS and throttled == 0
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=9000)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--port", type=int, default=None, help="simulator port (default: a free one)")
    args = parser.parse_args()
    if not urlsplit(args.database_url).path.lstrip("/").startswith("steller_bench"):
        parser.error("the scratch database is dropped first: its name must start with steller_bench")

    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAMBOO_")}
    env.update(BAMBOO_BASE_URL=base_url, DATABASE_URL=args.database_url, REDIS_URL=args.redis_url,
               LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"), STELLER_ENV=os.environ.get("STELLER_ENV", "development"))
    for key in [k for k in os.environ if k.startswith("BAMBOO_")]:
        del os.environ[key]
    os.environ.update(env)  # before core.config reads the settings

    from core.logging import configure_logging

    configure_logging(level=env["LOG_LEVEL"], fmt="console")
    proc = start_simulator(port, args.products, env)
    try:
        return asyncio.run(bench(args, base_url, proc))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
