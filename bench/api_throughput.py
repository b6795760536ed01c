"""S1/S2: `POST /v1/orders` throughput against the bare baseline, in the same run; S7: memory after it.

Starts `steller api` as shipped (one process, default pool, rate limits raised out of the way) and
`bench/baseline_app.py` (bare FastAPI + asyncpg: key lookup, lock wallet, update it, insert order,
insert transfer, enqueue) side by side on one scratch database and Redis DB, seeds 64 funded
partners with a live key each, then drives each server in turn with 32 closed-loop clients:

- S1: the 32 clients over 64 parties (client i alternates between partners i and i + 32): no wallet
  is wanted by two requests at once;
- S2: all 32 clients on one partner's key (one hot wallet).

A request counts when it answered 202: its hold is committed and its job enqueued (the API enqueues
after the commit, before answering). No worker runs during S1/S2. Phases alternate API / baseline
(`--rounds` times, best of each kept) so a burst of load from others on the machine hits both.

The load generator is `_harness.RawHttp` (pre-encoded requests on keep-alive connections, uvloop):
it costs tens of µs of CPU per request. Its CPU and the server's are measured per phase (getrusage
of this process, /proc of the server) and printed, with the server's CPU per request, which does not
depend on how the 2 cores were shared.

S7 (after S1/S2): the API's RSS; then `steller worker` (as shipped) against `steller simulator`
works on the queued orders for `--worker-seconds` and its RSS is read; then `steller bot` polls
the stand-in Bot API (tests/support/telegram_api.py) and its RSS is read (bench/bot_wallet.py
reports the bot's RSS after its own /wallet load).

    .venv/bin/python bench/api_throughput.py [--seconds 10] [--rounds 2] [--no-s7]

Last line: `S1 … S2 … (ratio ≥ 0.6 ok|MISSED)`; exit status 1 when a ratio misses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _harness as h

TARGET_RATIO = 0.6
PARTIES = 64
CLIENTS = 32
PRODUCT = 930_001
FUNDS = 10_000_000_000  # minor units per partner: never runs out


async def seed(parties: int) -> list[str]:
    from core.access import api_keys
    from core.access.actor import Actor
    from core.db import atomic, close_db, init_db
    from core.ledger import service as ledger
    from core.parties import service as parties_service
    from core.parties.models import PartyKind
    from core.pricing import service as pricing

    admin = Actor.admin(label="bench")
    await init_db()
    try:
        keys = []
        async with atomic():
            await h.make_range_product(PRODUCT)
            await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=admin)
            for i in range(parties):
                partner = await parties_service.create_party(kind=PartyKind.PARTNER, name=f"Bench partner {i}",
                                                             actor=admin)
                await ledger.topup(party_id=partner.id, amount=FUNDS, reference=f"bench-{i}", actor=admin)
                keys.append((await api_keys.create_key(actor=admin, party_id=partner.id, livemode=True)).secret)
        return keys
    finally:
        await close_db()


def order_requests(port: int, keys: list[str]) -> list[bytes]:
    body = json.dumps({"product_id": PRODUCT, "face_value": "10.00", "quantity": 1}).encode()
    return [h.http_request_bytes("POST", "/v1/orders", port=port, headers={"Authorization": f"Bearer {k}"},
                                 body=body) for k in keys]


async def closed_loop(port: int, per_client: list[list[bytes]], *, warmup: float, seconds: float,
                      server_pid: int, ok_status: int = 202) -> dict:
    """Each client sends its requests in turn, one in flight, for warmup + seconds; counts the window."""
    clients = [await h.RawHttp(port).connect() for _ in per_client]
    t0 = time.monotonic()
    start, stop = t0 + warmup, t0 + warmup + seconds
    counted = {"ok": 0, "other": 0}
    statuses: dict[int, int] = {}
    marks = {}

    async def run(client: h.RawHttp, requests: list[bytes]) -> None:
        n = 0
        while True:
            now = time.monotonic()
            if now >= stop:
                return
            if now >= start and "cpu" not in marks:
                marks["cpu"] = (h.own_cpu_seconds(), h.process_cpu_seconds(server_pid))
            status, _, _ = await client.request(requests[n % len(requests)])
            n += 1
            done = time.monotonic()
            if start <= done < stop:
                counted["ok" if status == ok_status else "other"] += 1
                statuses[status] = statuses.get(status, 0) + 1

    try:
        await asyncio.gather(*(run(c, r) for c, r in zip(clients, per_client)))
    finally:
        own1, srv1 = h.own_cpu_seconds(), h.process_cpu_seconds(server_pid)
        for c in clients:
            await c.close()
    own0, srv0 = marks["cpu"]
    return {"rate": counted["ok"] / seconds, "ok": counted["ok"], "other": counted["other"], "statuses": statuses,
            "client_cpu": (own1 - own0) / seconds, "server_cpu": (srv1 - srv0) / seconds,
            "server_cpu_ms_per_request": 1000 * (srv1 - srv0) / max(1, counted["ok"] + counted["other"])}


def describe(label: str, r: dict) -> str:
    return (f"{label}: {r['rate']:.0f}/s ({r['ok']} × 202, {r['other']} other {r['statuses'] if r['other'] else ''}); "
            f"CPU: server {100 * r['server_cpu']:.0f} % ({r['server_cpu_ms_per_request']:.2f} ms/request), "
            f"load generator {100 * r['client_cpu']:.0f} %")


async def profile_api(api: h.Proc, seconds: float, out: Path) -> None:
    """py-spy (if installed) on the API for `seconds`: where its CPU goes."""
    import shutil

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy not installed: no profile", file=sys.stderr)
        return
    proc = await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(api.proc.pid), "--duration", str(int(seconds)), "--rate", "200",
        "--format", "raw", "--output", str(out), "--nonblocking",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await proc.wait()


def summarize_profile(path: Path, top: int = 25) -> list[str]:
    """py-spy's raw (collapsed) stacks → the share of samples per project/library area and top frames."""
    if not path.exists():
        return []
    total = 0
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + n
        seen = set()
        for frame in frames:
            area = _area(frame)
            if area and area not in seen:
                seen.add(area)
                inclusive[area] = inclusive.get(area, 0) + n
    lines = [f"profile: {total} samples"]
    lines += [f"  incl. {100 * n / total:5.1f} %  {area}" for area, n in
              sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]]
    lines += ["  top self frames:"] + [f"  self {100 * n / total:5.1f} %  {f}" for f, n in
                                       sorted(own.items(), key=lambda kv: -kv[1])[:12]]
    return lines


_AREAS = (
    ("core/orders/service.py", "core.orders.service.create_order"),
    ("core/ledger/service.py", "core.ledger.service.hold"),
    ("core/ledger/posting.py", "core.ledger.posting (claim, lock, transfers)"),
    ("core/ledger/digest.py", "core.ledger.digest (HMAC)"),
    ("core/ledger/events.py", "core.ledger.events (wallet notifications)"),
    ("core/audit/", "core.audit (audit rows)"),
    ("core/pricing/", "core.pricing (quote)"),
    ("core/catalog/", "core.catalog (offers)"),
    ("core/access/", "core.access (authenticate, authorize)"),
    ("api/idempotency.py", "api.idempotency"),
    ("api/ratelimit.py", "api.ratelimit (Redis token bucket)"),
    ("api/requestlog.py", "api.requestlog"),
    ("jobs/enqueue.py", "jobs.enqueue (arq)"),
    ("tortoise/", "tortoise (ORM)"),
    ("asyncpg/", "asyncpg"),
    ("pydantic", "pydantic"),
    ("fastapi/", "fastapi"),
    ("starlette/", "starlette"),
    ("structlog/", "structlog"),
    ("redis/", "redis client"),
    ("prometheus_client/", "prometheus"),
)


def _area(frame: str) -> str | None:
    for needle, area in _AREAS:
        if needle in frame:
            return area
    return None


async def s7(env: dict, log_dir: Path, api: h.Proc, args) -> list[str]:
    """RSS of the API (after S1/S2), a worker working the queued orders, and a polling bot."""
    from tests.support.telegram_api import running_telegram_api

    sys.path.insert(0, str(ROOT / "bench"))
    import _bot_harness as bh

    lines = [f"S7: API RSS {h.process_rss_mb(api.proc.pid):.0f} MB after S1/S2"]
    sim_port = h.free_port()
    sim_env = dict(env, BAMBOO_BASE_URL=f"http://127.0.0.1:{sim_port}")
    sim = h.Simulator(sim_env, log_dir, port=sim_port, rate_limits=False)
    sim.start()
    worker = h.Worker("worker", sim_env, log_dir, mode="real")
    try:
        await sim.wait_ready()
        await h.prepare_simulator(sim)
        await sim.add_range_product(PRODUCT)
        worker.start()
        await asyncio.sleep(args.worker_seconds)
        if not worker.alive:
            raise RuntimeError(f"the worker exited (see {log_dir}/worker.log)")
        placed = (await sim.stats()).get("requests", {})
        lines.append(f"S7: worker RSS {h.process_rss_mb(worker.proc.pid):.0f} MB after {args.worker_seconds:g} s on "
                     f"the queued orders (simulator requests {placed})")
    finally:
        worker.stop()
        sim.stop()
        await sim.aclose()
    async with running_telegram_api() as tg:
        bot = bh.BotProcess(bh.bot_env(tg, database_url=env["DATABASE_URL"], redis_url=env["REDIS_URL"]), log_dir)
        bot.start()
        try:
            await bot.wait_polling(tg)
            await asyncio.sleep(3)
            lines.append(f"S7: bot RSS {bot.rss_mb():.0f} MB polling (idle; bench/bot_wallet.py gives it after load)")
        finally:
            bot.stop()
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--parties", type=int, default=PARTIES)
    parser.add_argument("--worker-seconds", type=float, default=20.0)
    parser.add_argument("--no-s7", action="store_true")
    parser.add_argument("--profile", action="store_true", help="py-spy the API during one S1 phase")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench_throughput"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    args = parser.parse_args()
    assert h.db_name(args.database_url).startswith("steller_bench"), "scratch databases only"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start", file=sys.stderr)

    api_port, base_port = h.free_port(), h.free_port()
    env = h.child_env(database_url=args.database_url, redis_url=args.redis_url, base_url="http://127.0.0.1:9")
    env.update(API_PORT=str(api_port), API_RATE_LIMIT_PER_SECOND="1000000", API_RATE_LIMIT_BURST="1000000")
    h.adopt_env(env)
    await h.fresh_database(args.database_url)
    await h.flush_redis(args.redis_url)
    keys = await seed(args.parties)
    log_dir = h.RunDir("throughput").path
    print(f"logs in {log_dir}", file=sys.stderr)
    # The baseline gets the pool `steller api` gets from the same DATABASE_URL (Tortoise's default: 5).
    from urllib.parse import parse_qs, urlsplit

    pool = int(parse_qs(urlsplit(args.database_url).query).get("maxsize", ["5"])[0])
    api = h.Proc("api", [h.PY, "-m", "cli.main", "api"], env, log_dir).start()
    base = h.Proc("baseline", [h.PY, str(ROOT / "bench" / "baseline_app.py"), "--port", str(base_port),
                               "--pool", str(pool)], env, log_dir).start()
    results: dict[tuple[str, str], dict] = {}
    lines: list[str] = []
    try:
        await h.wait_http_ready(api_port, api)
        await h.wait_http_ready(base_port, base)
        servers = {"api": (api_port, api), "baseline": (base_port, base)}
        scenarios = {
            # S1: client i alternates between partners i and i + clients (64 parties, none shared).
            "S1": lambda port: [order_requests(port, [keys[i], keys[(i + args.clients) % len(keys)]])
                                for i in range(args.clients)],
            # S2: every client on partner 0's key: one wallet.
            "S2": lambda port: [order_requests(port, [keys[0]]) for _ in range(args.clients)],
        }
        for rnd in range(args.rounds):
            for scenario, make in scenarios.items():
                for name, (port, proc) in servers.items():
                    r = await closed_loop(port, make(port), warmup=args.warmup, seconds=args.seconds,
                                          server_pid=proc.proc.pid)
                    line = describe(f"{scenario} {name:8} round {rnd + 1}", r)
                    print(line, flush=True)
                    lines.append(line)
                    best = results.get((scenario, name))
                    if best is None or r["rate"] > best["rate"]:
                        results[(scenario, name)] = r
        if args.profile:
            out = log_dir / "api-s1.pyspy"
            spy = asyncio.create_task(profile_api(api, args.seconds, out))
            await closed_loop(api_port, scenarios["S1"](api_port), warmup=0.5, seconds=args.seconds,
                              server_pid=api.proc.pid)
            await spy
            for line in summarize_profile(out):
                print(line)
        s7_lines = [] if args.no_s7 else await s7(env, log_dir, api, args)
    finally:
        api.stop()
        base.stop()
    for line in s7_lines:
        print(line)
    verdicts = []
    ok = True
    for scenario in ("S1", "S2"):
        a, b = results[(scenario, "api")], results[(scenario, "baseline")]
        ratio = a["rate"] / b["rate"] if b["rate"] else 0.0
        ok &= ratio >= TARGET_RATIO
        verdicts.append(f"{scenario} API {a['rate']:.0f}/s vs baseline {b['rate']:.0f}/s: ratio {ratio:.2f} "
                        f"(≥ {TARGET_RATIO} {'ok' if ratio >= TARGET_RATIO else 'MISSED'}; server CPU/request "
                        f"{a['server_cpu_ms_per_request']:.2f} vs {b['server_cpu_ms_per_request']:.2f} ms)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)
    print(" | ".join(verdicts))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(main()))
