"""R5: PostgreSQL restarted under load: the API answers 503 problem+json while it is down, recovers by
itself (no restart of the API), and no order is half-written.

Starts `steller api` (one process, as shipped, rate limits raised) on the scratch database
`steller_bench_pg` with 16 funded partners, then runs for `--seconds`:
- 8 clients placing orders in a closed loop (`POST /v1/orders`, each with a reference of its own);
- a prober every 100 ms: `GET /health/ready` and `GET /v1/wallet`, recording status and content type.
`--outage-at` seconds in, PostgreSQL goes down for `--down-seconds` and comes back:

- default: the machine's cluster, `pg_ctlcluster --skip-systemctl-redirect <ver> main stop`, then
  `start` after `--down-seconds` (a restart with an outage long enough to watch; `--down-seconds 0`
  runs `restart` instead). THIS STOPS POSTGRESQL FOR EVERYONE ON THE MACHINE. Needs root.
- `--proxy-outage`: the API reaches PostgreSQL through a TCP proxy in this process; the outage
  drops every proxied connection and refuses new ones. Nothing outside this bench is touched (the
  server itself never restarts, so it proves the API's side only).
- `--no-restart`: no outage at all (a dry run of the plumbing and of the final checks).

Verdict (exit status 1 on any miss):
- while down (from the first failed answer to the first good one after the start): every `/v1`
  answer and `/health/ready` is 503 with `application/problem+json` (health: 503 JSON), none is a
  500, none hangs past the client timeout; what came instead is listed by status and code;
- recovery: the same API process (same pid, never restarted) answers `/health/ready` 200 and
  accepts orders again within `--recover-within` seconds of PostgreSQL being back;
- no half-written order: every order has its hold, the hold's amount is the order's total, every
  accepted (202) order exists, and `steller check` (the full invariant sweep) is clean.

    .venv/bin/python bench/pg_restart.py [--no-restart | --proxy-outage] [--seconds 30] [--down-seconds 5]

Last line: `R5 ok|FAILED: … answers while down (…), recovered in … s, … orders, … half-written, check clean`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _harness as h

PRODUCT = 940_001
PARTNERS = 16
CLIENTS = 8


async def seed(partners: int) -> list[str]:
    from core.access import api_keys
    from core.access.actor import Actor
    from core.db import atomic, close_db, init_db
    from core.ledger import service as ledger
    from core.parties import service as parties
    from core.parties.models import PartyKind
    from core.pricing import service as pricing

    admin = Actor.admin(label="bench")
    await init_db()
    try:
        keys = []
        async with atomic():
            await h.make_range_product(PRODUCT)
            await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=admin)
            for i in range(partners):
                partner = await parties.create_party(kind=PartyKind.PARTNER, name=f"R5 partner {i}", actor=admin)
                await ledger.topup(party_id=partner.id, amount=1_000_000_00, reference=f"r5-{i}", actor=admin)
                keys.append((await api_keys.create_key(actor=admin, party_id=partner.id, livemode=True)).secret)
        return keys
    finally:
        await close_db()


class Proxy:
    """A TCP proxy to PostgreSQL whose `down()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = h.free_port()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()

    async def _serve(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}

        async def pipe(src, dst) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.transport.abort()
                self.writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def pg_cluster() -> tuple[str, str]:
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    version, name = out.split()[:2]
    return version, name


def pg_ctl(action: str) -> None:
    version, name = pg_cluster()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action], check=True)


def problem_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code"))
    except (ValueError, AttributeError):
        return "?"


def content_type(head: bytes) -> str:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-type:"):
            return line.split(b":", 1)[1].strip().decode()
    return ""


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-restart", action="store_true", help="no outage: a dry run")
    mode.add_argument("--proxy-outage", action="store_true", help="the outage through a proxy of this bench only")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--outage-at", type=float, default=8.0)
    parser.add_argument("--down-seconds", type=float, default=5.0)
    parser.add_argument("--recover-within", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=15.0, help="a client gives up on an answer after this")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bench_pg"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    assert h.db_name(args.database_url).startswith("steller_bench"), "scratch databases only"
    outage = "none" if args.no_restart else "proxy" if args.proxy_outage else "postgresql"
    print(f"R5: outage mode {outage}; load average {os.getloadavg()[0]:.1f}", file=sys.stderr)

    env = h.child_env(database_url=args.database_url, redis_url=args.redis_url, base_url="http://127.0.0.1:9")
    port = h.free_port()
    env.update(API_PORT=str(port), API_RATE_LIMIT_PER_SECOND="1000000", API_RATE_LIMIT_BURST="1000000")
    h.adopt_env(env)
    await h.fresh_database(args.database_url)
    await h.flush_redis(args.redis_url)
    keys = await seed(PARTNERS)
    api_env = dict(env)
    proxy = None
    if outage == "proxy":
        parts = urlsplit(args.database_url)
        proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        await proxy.up()
        netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
        api_env["DATABASE_URL"] = urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))
    log_dir = h.RunDir("pg-restart").path
    print(f"R5: logs in {log_dir}", file=sys.stderr)
    api = h.Proc("api", [h.PY, "-m", "cli.main", "api"], api_env, log_dir).start()
    await h.wait_http_ready(port, api)
    pid = api.proc.pid

    events: list[tuple[float, str, int, str, str]] = []  # (t, what, status, content type, code)
    accepted: list[str] = []
    state = {"down_at": None, "up_at": None}
    t0 = time.monotonic()
    stop_at = t0 + args.seconds

    async def call(conn: h.RawHttp, data: bytes, what: str):
        try:
            status, head, body = await asyncio.wait_for(conn.request(data), args.timeout)
        except TimeoutError:
            await conn.close()
            events.append((time.monotonic() - t0, what, -1, "", "client timeout"))
            return None
        except (OSError, asyncio.IncompleteReadError) as exc:
            await conn.close()
            events.append((time.monotonic() - t0, what, -2, "", type(exc).__name__))
            return None
        events.append((time.monotonic() - t0, what, status, content_type(head), problem_code(body) if status >= 400 else ""))
        return status, body

    async def orderer(i: int) -> None:
        conn = h.RawHttp(port)
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            body = json.dumps({"product_id": PRODUCT, "face_value": "10.00", "quantity": 1,
                               "reference": f"r5-{i}-{n}"}).encode()
            result = await call(conn, h.http_request_bytes(
                "POST", "/v1/orders", port=port, headers={"Authorization": f"Bearer {keys[i % len(keys)]}"},
                body=body), "POST /v1/orders")
            if result and result[0] == 202:
                accepted.append(json.loads(result[1])["id"])
            elif result is None or result[0] >= 500:
                await asyncio.sleep(0.05)

    async def prober() -> None:
        conn = h.RawHttp(port)
        ready = h.http_request_bytes("GET", "/health/ready", port=port)
        wallet = h.http_request_bytes("GET", "/v1/wallet", port=port,
                                      headers={"Authorization": f"Bearer {keys[-1]}"})
        while time.monotonic() < stop_at:
            await call(conn, ready, "GET /health/ready")
            await call(conn, wallet, "GET /v1/wallet")
            await asyncio.sleep(0.1)

    async def fault() -> None:
        if outage == "none":
            return
        await asyncio.sleep(args.outage_at)
        state["down_at"] = time.monotonic() - t0
        if outage == "proxy":
            await proxy.down()
            await asyncio.sleep(args.down_seconds)
            await proxy.up()
        elif args.down_seconds > 0:
            await asyncio.to_thread(pg_ctl, "stop")
            await asyncio.sleep(args.down_seconds)
            await asyncio.to_thread(pg_ctl, "start")
        else:
            await asyncio.to_thread(pg_ctl, "restart")
        state["up_at"] = time.monotonic() - t0
        print(f"R5: PostgreSQL down at {state['down_at']:.1f} s, back at {state['up_at']:.1f} s", file=sys.stderr)

    try:
        await asyncio.gather(prober(), fault(), *(orderer(i) for i in range(CLIENTS)))
        restarted = not api.alive or api.proc.pid != pid
    finally:
        api.stop()
        if proxy is not None:
            await proxy.down()

    problems: list[str] = []
    good = {"GET /health/ready": 200, "GET /v1/wallet": 200, "POST /v1/orders": 202}
    bad = [e for e in events if e[2] != good[e[1]]]
    first_bad = min((e[0] for e in bad), default=None)
    during = Counter()
    for t, what, status, ctype, code in bad:
        during[(what, status, ctype, code)] += 1
        if status == 503 and (what == "GET /health/ready" or ctype.startswith("application/problem+json")):
            continue
        if outage == "none" or first_bad is None:
            problems.append(f"{what} answered {status} {ctype} {code} at {t:.1f} s with no outage")
    wrong = {k: n for k, n in during.items() if not (k[1] == 503 and (k[0] == "GET /health/ready" or
                                                                       k[2].startswith("application/problem+json")))}
    if wrong:
        problems.append("while down, answers other than 503 problem+json: " +
                        "; ".join(f"{n} × {w} → {s} {c or '-'} {code}" for (w, s, c, code), n in sorted(wrong.items())))
    recovered_in = None
    if state["up_at"] is not None:
        after = [e for e in events if e[0] >= state["up_at"]]
        ok_ready = next((e[0] for e in after if e[1] == "GET /health/ready" and e[2] == 200), None)
        ok_order = next((e[0] for e in after if e[1] == "POST /v1/orders" and e[2] == 202), None)
        if ok_ready is None or ok_order is None:
            problems.append("the API did not recover (no ready 200 or no accepted order after PostgreSQL came back)")
        else:
            recovered_in = max(ok_ready, ok_order) - state["up_at"]
            if recovered_in > args.recover_within:
                problems.append(f"recovered only after {recovered_in:.1f} s")
        if not bad:
            problems.append("no failed answer observed during the outage (was it too short to see?)")
    if restarted:
        problems.append("the API process exited during the run")

    # No half-written order; every accepted order exists; the ledger's invariants hold.
    from tortoise.connection import get_connection

    from core.db import close_db, init_db

    await init_db()
    try:
        conn = get_connection("default")
        rows = await conn.execute_query_dict(
            'SELECT o.id::text AS id, o.total, h.amount FROM "order" o LEFT JOIN ledger_hold h ON h.id = o.hold_id')
    finally:
        await close_db()
    half = [r["id"] for r in rows if r["amount"] is None or r["amount"] != r["total"]]
    if half:
        problems.append(f"{len(half)} order(s) without their hold, e.g. {half[:3]}")
    missing = set(accepted) - {r["id"] for r in rows}
    if missing:
        problems.append(f"{len(missing)} accepted order(s) not in the database, e.g. {sorted(missing)[:3]}")
    check = await asyncio.to_thread(subprocess.run, [h.PY, "-m", "cli.main", "check", "--full"], cwd=ROOT, env=env,
                                    capture_output=True, text=True, check=False)
    if check.returncode != 0:
        problems.append(f"steller check --full exited {check.returncode}: {(check.stdout + check.stderr)[-500:]}")

    by = Counter((e[1], e[2]) for e in events)
    print("R5 answers: " + ", ".join(f"{w} {s}: {n}" for (w, s), n in sorted(by.items())))
    for (what, status, ctype, code), n in sorted(during.items()):
        print(f"R5 not-ok answers: {n} × {what} → {status} {ctype or '-'} {code}")
    for p in problems:
        print(f"  problem: {p}")
    down = sum(during.values())
    verdict = "ok" if not problems else "FAILED"
    print(f"R5 {verdict} ({outage} outage): {down} answers while down "
          f"({', '.join(f'{s}' for s in sorted({k[1] for k in during})) or 'none'}), "
          f"recovered in {f'{recovered_in:.1f} s' if recovered_in is not None else '-'}, {len(rows)} orders "
          f"({len(accepted)} accepted), {len(half)} half-written, check {'clean' if check.returncode == 0 else 'NOT clean'}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
