"""Shared plumbing for the order benches (r1_workload.py, faults.py) and the fault e2e test.

- real subprocesses: `steller simulator`, `steller worker` (or the same worker without the
  client-side Bamboo rate budget, see `fast-worker` below), each logging to a file;
- a scratch database (dropped, created, migrated) and a Redis DB number of its own;
- a network of funded agents and sub-agents that may order the simulator's magic range card(s);
- creating orders the way the API does (create_order in one transaction, enqueue after commit);
- the verdict: every order terminal and settled as its magic value says, the hold matching the
  status, each requestId placed at most once at the simulator, no hold captured/released twice,
  `check_ledger() == []`.

`python bench/_harness.py fast-worker` runs the real arq WorkerSettings of `jobs/worker.py` (same
functions, cron reconciler, concurrency, timeouts) with one difference: the Bamboo client in the
worker gets `SharedRateLimiter.disabled()`, so it does not pace itself at Bamboo's real 2 place
orders a second and 6 orders per product a minute. Against a simulator run with
`--no-rate-limits` that is what lets hundreds of orders go through in seconds. Scenarios that are
about the rate limits (R4) run the unmodified `steller worker`.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable
MAGIC_BRAND_ID = 9001  # simulator brand "Magic Test Card" (US / USD, 5 %)
MAGIC_RANGE_PRODUCT = 900001  # range 1–1000 USD: the face value's cents pick the outcome
EXTRA_PRODUCT_BASE = 910000  # more range products added to the magic brand (per-product limits)

# face cents → outcome (simulator/README.md "Magic values")
OUTCOME_CENTS = {"ok": "00", "failed": "01", "partial": "02", "slow": "03", "error500": "04", "timeout": "05"}
CENTS_OUTCOME = {v: k for k, v in OUTCOME_CENTS.items()}
OUTCOMES = tuple(OUTCOME_CENTS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_pool(url: str, maxsize: int) -> str:
    return url + ("&" if "?" in url else "?") + f"minsize=1&maxsize={maxsize}"


# --- processes ------------------------------------------------------------------------------


def child_env(*, database_url: str, redis_url: str, base_url: str, stuck_after: float | None = None,
              vendor_timeout: float = 2.0, log_level: str | None = None) -> dict[str, str]:
    """Environment for the simulator and workers: this run's database, Redis and simulator only."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BAMBOO_") and k not in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL")}
    log_level = log_level or os.environ.get("BENCH_LOG_LEVEL", "WARNING")  # INFO: every job in the logs
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, BAMBOO_BASE_URL=base_url,
               BAMBOO_TIMEOUT_SECONDS=str(vendor_timeout), LOG_LEVEL=log_level, LOG_FORMAT="json",
               PYTHONUNBUFFERED="1", STELLER_ENV=os.environ.get("STELLER_ENV", "development"))
    if stuck_after is not None:
        env["ORDER_STUCK_AFTER_SECONDS"] = str(stuck_after)
    return env


def adopt_env(env: dict[str, str]) -> None:
    """Make this process use the same settings as its children (before core.config is read)."""
    for key in [k for k in os.environ if k.startswith("BAMBOO_")]:
        del os.environ[key]
    os.environ.update(env)
    from core.config import reset_settings_cache

    reset_settings_cache()


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL if the driver dies, so no simulator or worker outlives a run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Proc:
    """A child process logging to a file; `kill()` is SIGKILL, `stop()` is SIGTERM then SIGKILL."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.cmd, self.env, self.log_dir = name, cmd, env, log_dir
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> Proc:
        self.starts += 1
        log = open(self.log_dir / f"{self.name}.log", "ab")
        log.write(f"--- start #{self.starts} at {time.strftime('%H:%M:%S')}: {' '.join(self.cmd)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, by pid: no shutdown hook, no job finishing, sockets just drop."""
        if self.alive:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        if not self.alive:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Simulator(Proc):
    def __init__(self, env: dict[str, str], log_dir: Path, *, port: int, order_delay: float = 0.2,
                 pending_seconds: float = 3.0, hang_seconds: float = 4.0, rate_limits: bool = False,
                 products: int = 60) -> None:
        cmd = [PY, "-m", "cli.main", "simulator", "--host", "127.0.0.1", "--port", str(port),
               "--products", str(products), "--order-delay", str(order_delay),
               "--pending-seconds", str(pending_seconds), "--hang-seconds", str(hang_seconds),
               "--log-level", "warning"]
        if not rate_limits:
            cmd.append("--no-rate-limits")
        super().__init__("simulator", cmd, env, log_dir)
        self.base_url = f"http://127.0.0.1:{port}"
        self._http = None

    @property
    def http(self):
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.base_url, timeout=60)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def wait_ready(self, seconds: float = 30.0) -> None:
        import httpx

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"simulator exited with {self.proc.returncode} (see {self.log_dir}/simulator.log)")
            try:
                if (await self.http.get("/_sim/stats")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("simulator did not start in time")

    async def get(self, path: str):
        response = await self.http.get(f"/_sim/{path}")
        response.raise_for_status()
        return response.json()

    async def post(self, path: str, body: dict | None = None):
        response = await self.http.post(f"/_sim/{path}", json=body or {})
        response.raise_for_status()
        return response.json()

    async def stats(self) -> dict:
        return await self.get("stats")

    async def orders(self) -> list[dict]:
        return await self.get("orders")

    async def faults(self, **spec) -> dict:
        return await self.post("faults", spec)

    async def rate_limits(self, **spec) -> dict:
        return await self.post("rate-limits", spec)

    async def add_range_product(self, product_id: int, *, low: str = "1", high: str = "1000") -> dict:
        return await self.post("catalog/products", {"brandId": MAGIC_BRAND_ID, "id": product_id,
                                                    "minFaceValue": low, "maxFaceValue": high,
                                                    "name": f"Magic Range {product_id}"})


class Worker(Proc):
    """`steller worker` (mode "real") or the same worker without the client-side budget ("fast")."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, mode: str = "fast") -> None:
        if mode == "real":
            cmd = [PY, "-m", "cli.main", "worker"]
        elif mode == "fast":
            cmd = [PY, str(Path(__file__).resolve()), "fast-worker"]
        else:
            raise ValueError(f"unknown worker mode {mode!r}")
        super().__init__(name, cmd, env, log_dir)
        self.mode = mode


def run_fast_worker() -> None:
    """jobs.worker.WorkerSettings as is, but the worker's BambooClient does not throttle itself."""
    from arq.worker import run_worker

    from cli.runtime import setup_logging
    from core.config import get_settings
    from core.vendors.bamboo import BambooClient, SharedRateLimiter
    from jobs.worker import WorkerSettings, startup

    async def startup_without_client_budget(ctx) -> None:
        await startup(ctx)
        await ctx["vendor"].aclose()
        ctx["vendor"] = BambooClient.from_settings(get_settings(), rate_limiter=SharedRateLimiter.disabled())

    # arq reads a settings class's own __dict__ only: copy it, swap the startup hook.
    settings = {k: v for k, v in vars(WorkerSettings).items() if not k.startswith("__")}
    settings["on_startup"] = startup_without_client_budget
    setup_logging()
    run_worker(settings)


# --- database and network -------------------------------------------------------------------


async def fresh_database(url: str) -> None:
    """Drop, create and migrate (the scratch database only: callers check its name)."""
    from core.db import apply_migrations, close_db, drop_database

    await drop_database(url)
    await apply_migrations(url)
    await close_db()


async def flush_redis(redis_url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def arq_pool(redis_url: str):
    from arq import create_pool
    from arq.connections import RedisSettings

    return await create_pool(RedisSettings.from_dsn(redis_url))


async def make_range_product(product_id: int, *, low: str = "1", high: str = "1000", vendor_discount: str = "0.10"):
    """A catalog row as a sync would store it (the magic brand, USD, a 1–1000 range)."""
    from datetime import UTC, datetime

    from core.catalog.models import Brand, Product

    now = datetime.now(UTC)
    lo, hi = Decimal(low), Decimal(high)
    keep = 1 - Decimal(vendor_discount)
    brand, _ = await Brand.get_or_create(vendor_key="Magic Test Card|US|USD",
                                         defaults={"name": "Magic Test Card", "country": "US",
                                                   "currency": "USD", "synced_at": now})
    return await Product.create(id=product_id, brand=brand, name=f"Magic Test Card {product_id}", country="US",
                                currency="USD", min_face=lo, max_face=hi, price_min=lo * keep, price_max=hi * keep,
                                price_currency="USD", synced_at=now)


async def seed_priced_partners(*, partners: int, products: int, first_product: int, funds: int) -> list[str]:
    """`products` magic range cards, partners at 5 % off, each partner funded and given a live key: the keys."""
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
        async with atomic():
            for i in range(products):
                await make_range_product(first_product + i)
            await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=admin)
            keys = []
            for i in range(partners):
                partner = await parties.create_party(kind=PartyKind.PARTNER, name=f"Bench partner {i}", actor=admin)
                await ledger.topup(party_id=partner.id, amount=funds, reference=f"bench-{i}", actor=admin)
                keys.append((await api_keys.create_key(actor=admin, party_id=partner.id, livemode=True)).secret)
        return keys
    finally:
        await close_db()


@dataclass
class Network:
    agents: list[int]
    subs: dict[int, list[int]]  # agent → its sub-agents
    parent: dict[int, int]  # sub-agent → agent
    products: list[int]
    funded: dict[int, int] = field(default_factory=dict)  # wallet money put in by the setup

    @property
    def parties(self) -> list[int]:
        return [*self.agents, *self.parent]


async def build_network(*, agents: int, subs_per_agent: int, agent_funds: int, sub_funds: int,
                        products: list[int], actor=None) -> Network:
    """Agents (5 %) with sub-agents (3 %), funded, all allowed the products (range 1–1000)."""
    from core.access.actor import Actor
    from core.catalog import cardlists
    from core.db import atomic
    from core.ledger import service as ledger
    from core.parties import service as parties
    from core.parties.models import PartyKind
    from core.pricing import service as pricing

    actor = actor or Actor.admin(label="bench")
    async with atomic():
        for pid in products:
            await make_range_product(pid)
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.AGENT, actor=actor)
        await pricing.set_discount(rate="0.0300", party_kind=PartyKind.SUBAGENT, actor=actor)
        card_list = await cardlists.default_agent_list(actor=actor)
        for pid in products:
            await cardlists.put_item(card_list=card_list, product_id=pid, actor=actor, min_face="1", max_face="1000")
    net = Network(agents=[], subs={}, parent={}, products=list(products))
    for a in range(agents):
        async with atomic():
            agent = await parties.create_party(kind=PartyKind.AGENT, name=f"Agent {a + 1}", actor=actor)
            await ledger.topup(party_id=agent.id, amount=agent_funds + sub_funds * subs_per_agent,
                               reference=f"seed-agent-{agent.id}", actor=actor)
            net.agents.append(agent.id)
            net.subs[agent.id] = []
            net.funded[agent.id] = agent_funds
            for s in range(subs_per_agent):
                sub = await parties.create_party(kind=PartyKind.SUBAGENT, name=f"Sub {a + 1}.{s + 1}",
                                                 parent_id=agent.id, actor=actor)
                await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=sub_funds, actor=actor,
                                      idempotency_key=f"seed-sub-{sub.id}")
                net.subs[agent.id].append(sub.id)
                net.parent[sub.id] = agent.id
                net.funded[sub.id] = sub_funds
    return net


async def prepare_simulator(sim: Simulator, *, extra_products: int = 0) -> list[int]:
    """Plenty of vendor balance; optionally more magic range products. Returns the product ids."""
    await sim.post("accounts/555/balance", {"balance": "1000000000"})
    ids = [MAGIC_RANGE_PRODUCT]
    for i in range(extra_products):
        pid = EXTRA_PRODUCT_BASE + i + 1
        await sim.add_range_product(pid)
        ids.append(pid)
    return ids


# --- orders ---------------------------------------------------------------------------------


def magic_face(outcome: str, rng: random.Random, *, low: int = 1, high: int = 40) -> Decimal:
    return Decimal(f"{rng.randint(low, high)}.{OUTCOME_CENTS[outcome]}")


def outcome_of(face: Decimal) -> str:
    cents = format(Decimal(face).quantize(Decimal("0.01")), "f")[-2:]
    return CENTS_OUTCOME.get(cents, "ok")


def expected_settlement(face: Decimal, quantity: int) -> tuple[str, int, str | None]:
    """(status, cards delivered, failure code) the pipeline must end with for this magic value."""
    outcome = outcome_of(face)
    if outcome in ("ok", "slow", "timeout"):
        return "completed", quantity, None
    if outcome == "failed":
        return "failed", 0, "vendor.failed"
    if outcome == "partial":
        delivered = quantity // 2
        if delivered == 0:
            return "failed", 0, "vendor.failed"
        return ("partially_completed" if delivered < quantity else "completed"), delivered, None
    return "failed", 0, "vendor.unavailable"  # error500: Bamboo never records it; given up after the attempts


def pick_outcome(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


async def submit_order(redis, *, party_id: int, product_id: int, face: Decimal, quantity: int,
                       reference: str | None, actor=None):
    """What the API does: create + hold in one transaction, enqueue after commit (deterministic id)."""
    from core.access.actor import Actor
    from core.db import atomic
    from core.orders import service as orders
    from jobs.enqueue import enqueue_place

    async with atomic():
        created = await orders.create_order(party_id=party_id, product_id=product_id, face_value=face,
                                            quantity=quantity, actor=actor or Actor.admin(label="bench"),
                                            reference=reference)
    await enqueue_place(redis, created.order.id)
    return created


async def order_counts() -> Counter:
    from tortoise.connection import get_connection

    rows = await get_connection("default").execute_query_dict(
        'SELECT status, COUNT(*) AS n FROM "order" GROUP BY status')
    return Counter({r["status"]: r["n"] for r in rows})


OPEN = ("pending", "placing", "processing")


async def wait_terminal(deadline_seconds: float, *, label: str = "", every: float = 1.0,
                        quiet: bool = False, on_tick=None) -> tuple[Counter, float]:
    """Until no order is open or the deadline passes; progress on stderr."""
    started = time.monotonic()
    last_print = 0.0
    while True:
        counts = await order_counts()
        open_now = sum(counts[s] for s in OPEN)
        elapsed = time.monotonic() - started
        if not quiet and (open_now == 0 or elapsed - last_print >= 5):
            last_print = elapsed
            print(f"  {label}{elapsed:6.1f} s: {open_now} open  " + ", ".join(
                f"{k} {v}" for k, v in sorted(counts.items())), file=sys.stderr, flush=True)
        if open_now == 0 or elapsed >= deadline_seconds:
            return counts, elapsed
        if on_tick is not None:
            await on_tick(elapsed)
        await asyncio.sleep(every)


# --- the verdict ----------------------------------------------------------------------------


_ORDERS_SQL = """
SELECT o.id, o.party_id, o.status, o.face_value, o.quantity, o.unit_price, o.total, o.cards_delivered,
       o.failure_code, o.vendor_request_id, o.attempts, o.reference, o.quote,
       h.amount AS hold_amount, h.captured, h.released, h.status AS hold_status,
       (SELECT COUNT(*) FROM order_card c WHERE c.order_id = o.id) AS cards
  FROM "order" o LEFT JOIN ledger_hold h ON h.id = o.hold_id
"""

# Every capture or release operation per hold (check_ledger also looks; this counts them).
_SETTLE_OPS_SQL = """
SELECT o.reference, o.kind, COUNT(*) AS n FROM ledger_operation o
 WHERE o.kind IN ('order_capture', 'order_release') AND o.reference LIKE 'hold:%'
 GROUP BY o.reference, o.kind HAVING COUNT(*) > 1
"""


@dataclass
class Verdict:
    orders: int = 0
    by_status: dict = field(default_factory=dict)
    open: int = 0
    violations: list[str] = field(default_factory=list)
    ledger_violations: list[str] = field(default_factory=list)
    vendor: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.ledger_violations and self.open == 0

    def as_dict(self) -> dict:
        return {"orders": self.orders, "by_status": self.by_status, "open": self.open,
                "violations": self.violations, "ledger_violations": self.ledger_violations,
                "vendor": self.vendor, "ok": self.ok}


async def verify(sim: Simulator, *, max_place_attempts: int | None = None, limit_listed: int = 30) -> Verdict:
    """Everything the fault targets ask, over every order in the database."""
    from tortoise.connection import get_connection

    from core.ledger.invariants import check_ledger
    from core.orders.pipeline import MAX_PLACE_ATTEMPTS

    max_place_attempts = max_place_attempts or MAX_PLACE_ATTEMPTS
    conn = get_connection("default")
    rows = await conn.execute_query_dict(_ORDERS_SQL)
    v = Verdict(orders=len(rows), rows=rows)
    v.by_status = dict(sorted(Counter(r["status"] for r in rows).items()))
    v.open = sum(1 for r in rows if r["status"] in OPEN)
    problems: list[str] = []

    stats = await sim.stats()
    sim_orders = {o["requestId"].lower(): o for o in await sim.orders()}
    placements = {k.lower(): p for k, p in stats.get("placements", {}).items()}
    known_ids = set()
    for r in rows:
        oid, rid = str(r["id"]), str(r["vendor_request_id"]).lower()
        known_ids.add(rid)
        status, delivered, failure = expected_settlement(Decimal(r["face_value"]), r["quantity"])
        outcome = outcome_of(Decimal(r["face_value"]))
        tag = f"order {oid[:8]} ({outcome} × {r['quantity']}, {r['status']})"
        if r["status"] in OPEN:
            problems.append(f"{tag}: not terminal")
            continue
        if (r["status"], r["cards_delivered"]) != (status, delivered):
            problems.append(f"{tag}: ended {r['status']} with {r['cards_delivered']} card(s), expected "
                            f"{status} with {delivered} (failure {r['failure_code']})")
        elif (r["failure_code"] or None) != failure:
            problems.append(f"{tag}: failure code {r['failure_code']!r}, expected {failure!r}")
        if r["cards"] != r["cards_delivered"]:
            problems.append(f"{tag}: {r['cards']} card rows for {r['cards_delivered']} delivered")
        # The money matches the status.
        if r["hold_amount"] is None:
            problems.append(f"{tag}: no hold")
        else:
            captured, released = r["captured"], r["released"]
            want_captured = r["unit_price"] * r["cards_delivered"]
            if r["hold_amount"] != r["total"]:
                problems.append(f"{tag}: hold {r['hold_amount']} ≠ total {r['total']}")
            if captured != want_captured or released != r["total"] - want_captured:
                problems.append(f"{tag}: hold captured {captured} released {released}, expected "
                                f"{want_captured} / {r['total'] - want_captured}")
            if r["hold_status"] != "settled":
                problems.append(f"{tag}: hold still {r['hold_status']}")
        # What the vendor saw.
        placed = placements.get(rid)
        at_vendor = sim_orders.get(rid)
        if outcome == "error500":
            if at_vendor is not None:
                problems.append(f"{tag}: the simulator recorded an order it should have refused")
            if placed is not None and placed["calls"] > max_place_attempts:
                problems.append(f"{tag}: {placed['calls']} place calls (at most {max_place_attempts})")
        else:
            if placed is None or not placed.get("created") or at_vendor is None:
                problems.append(f"{tag}: never recorded at the vendor")
            else:
                want_vendor = {"completed": "Succeeded", "failed": "Failed",
                               "partially_completed": "PartialFailed"}[status]
                if outcome == "partial":
                    want_vendor = "PartialFailed"
                if at_vendor["status"] != want_vendor:
                    problems.append(f"{tag}: vendor says {at_vendor['status']}, expected {want_vendor}")
                if at_vendor["status"] == "Succeeded" and r["status"] != "completed":
                    problems.append(f"{tag}: Bamboo delivered (and charged) every card, the order says "
                                    f"{r['status']}: money lost")
        if placed is not None and placed.get("duplicates"):
            problems.append(f"{tag}: requestId placed again after it was recorded "
                            f"({placed['duplicates']} OrderAlreadyExists)")
    strangers = [rid for rid in sim_orders if rid not in known_ids]
    if strangers:
        problems.append(f"{len(strangers)} vendor order(s) with a requestId no order has, e.g. {strangers[:3]}")
    for r in await conn.execute_query_dict(_SETTLE_OPS_SQL):
        problems.append(f"{r['reference']}: {r['n']} {r['kind']} operations (at most one)")
    dup_ids = stats.get("duplicate_place_request_ids", [])
    if dup_ids:
        problems.append(f"simulator duplicate_place_request_ids: {len(dup_ids)} (e.g. {dup_ids[:3]})")

    created_at_vendor = sum(1 for p in placements.values() if p.get("created"))
    v.vendor = {
        "place_calls": sum(p["calls"] for p in placements.values()),
        "request_ids": len(placements),
        "orders_recorded": created_at_vendor,
        "max_place_calls_per_request_id": stats.get("max_place_calls_per_request_id", 0),
        "duplicate_place_request_ids": len(dup_ids),
        "rejections": dict(sum((Counter(p.get("rejections", {})) for p in placements.values()), Counter())),
        "rate_limited_total": stats.get("rate_limited_total", 0),
        # 429s from the simulator's own limits (Bamboo's), not the injected storm ones
        "own_429s": stats.get("rate_limited_total", 0) - sum(
            int(c.get("429", 0)) for c in stats.get("faults_injected", {}).values()),
        "faults_injected": stats.get("faults_injected", {}),
        "down_rejections": stats.get("down_rejections", 0),
        "requests": stats.get("requests", {}),
    }
    v.ledger_violations = [str(x) for x in await check_ledger()]
    if len(problems) > limit_listed:
        problems = problems[:limit_listed] + [f"… and {len(problems) - limit_listed} more"]
    v.violations = problems
    return v


def print_verdict(label: str, v: Verdict, seconds: float) -> None:
    print(f"{label}: {v.orders} orders in {seconds:.1f} s — " + ", ".join(f"{k} {n}" for k, n in v.by_status.items()))
    vd = v.vendor
    print(f"{label}: vendor saw {vd.get('place_calls', 0)} place calls for {vd.get('request_ids', 0)} requestIds, "
          f"{vd.get('orders_recorded', 0)} orders recorded, max {vd.get('max_place_calls_per_request_id', 0)} "
          f"call(s) per requestId, {vd.get('duplicate_place_request_ids', 0)} placed twice, refusals "
          f"{vd.get('rejections', {})}, 429s from the simulator's own limits {vd.get('own_429s', 0)}")
    for line in v.ledger_violations[:20]:
        print(f"  ledger: {line}")
    for line in v.violations:
        print(f"  violation: {line}")


class RunDir:
    """Where the child processes log."""

    def __init__(self, label: str) -> None:
        import tempfile

        self.path = Path(tempfile.mkdtemp(prefix=f"steller-{label}-"))


if __name__ == "__main__":
    if sys.argv[1:] == ["fast-worker"]:
        run_fast_worker()
    else:
        sys.exit("usage: python bench/_harness.py fast-worker")


# --- a cheap HTTP load generator (api_throughput.py, catalog_p99.py, scale_out.py, pg_restart.py) ----


def http_request_bytes(method: str, path: str, *, port: int, headers: dict[str, str] | None = None,
                       body: bytes | None = None) -> bytes:
    """One HTTP/1.1 keep-alive request, encoded once and sent as is (no per-request client work)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class RawHttp:
    """One keep-alive connection speaking just enough HTTP/1.1 to time a server: the requests are
    pre-encoded bytes, the answer is read by Content-Length (or chunks). About 30–40 µs of client CPU
    per request under uvloop, against several ms for httpx, so the load generator takes little of
    the 2 cores it shares with the server (the benches print how much it took)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def connect(self) -> RawHttp:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def request(self, data: bytes) -> tuple[int, bytes, bytes]:
        """Send `data`, read one response: (status, head, body). Reconnects once if the server closed."""
        if self.writer is None:
            await self.connect()
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.find(b"\r\n", at + 2)
            body = await self.reader.readexactly(int(lower[at + 17:end]))
        elif b"transfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            body = b""
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, head, body


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def own_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def wait_http_ready(port: int, proc: Proc | None = None, *, path: str = "/health/ready",
                          seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    request = http_request_bytes("GET", path, port=port)
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive:
            raise RuntimeError(f"{proc.name} exited with {proc.proc.returncode} (see {proc.log_dir}/{proc.name}.log)")
        client = RawHttp(port)
        try:
            status, _, _ = await client.request(request)
            if status == 200:
                return
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            await client.close()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing ready on port {port}")
