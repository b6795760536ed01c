"""TARGETS S6: `/wallet` round trips (update in → reply sent) through the real bot process against the
stand-in Bot API: updates/s at saturation (target ≥ 300 per bot process) and p95 at 100 updates/s (target
≤ 50 ms); then the bot process's resident memory.

    .venv/bin/python bench/bot_wallet.py [--users 1000] [--concurrency 4,16,64] [--seconds 8] [--rate 100]

Setup: a scratch database (`--database-url`, name must start with steller_bench; default
…/steller_bench_bot) with `--users` agents, each funded by two top-ups (so /wallet shows lines) and bound
to its own Telegram user as owner; Redis `--redis-url` (default DB 9, flushed). The stand-in Bot API runs
in this process on loopback; `steller bot` (the shipped bot, polling, default settings: throttling on,
the default database pool) runs as a child process.

A round trip starts when the update is queued at the stand-in (the bot's long poll picks it up) and ends
when the bot's sendMessage with the wallet arrives there. Every reply must be the wallet.

- Saturation: closed loop, for each `--concurrency` C in turn, C updates in flight at a time for `--seconds`;
  the best rate is the figure. Users take turns (each Telegram user has at most one update in flight and,
  with 1,000 users, sends well under the throttle's 10 updates per 10 s).
- Latency: open loop, one update every 1/`--rate` s for `--rate-seconds`; p50/p95/p99.

Last line (exit status 1 when a target is missed, a reply was wrong or missing, or the bot logged an
unhandled exception):

    S6 /wallet: 412 updates/s at saturation (≥ 300 ok), p95 21.3 ms at 100 updates/s (≤ 50 ms ok); bot RSS 98 MB
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bot_harness as bh
import _harness as h

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/steller_bench_bot"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
FIRST_USER = 7_000_001
TARGET_RATE, TARGET_P95_MS = 300.0, 50.0
REPLY_TIMEOUT = 15.0


async def seed(users: int) -> list[int]:
    """`users` agents with two top-ups each, each bound to its own Telegram user; returns the user ids."""
    from core.access.actor import Actor
    from core.db import atomic
    from core.ledger import service as ledger
    from core.parties import service as parties
    from core.parties.models import PartyKind

    actor = Actor.admin(label="bench")
    ids = [FIRST_USER + i for i in range(users)]
    for start in range(0, users, 50):
        async with atomic():
            for tg in ids[start:start + 50]:
                party = await parties.create_party(kind=PartyKind.AGENT, name=f"Shop {tg}", actor=actor)
                await ledger.topup(party_id=party.id, amount=250_00, reference=f"seed-{tg}-1", actor=actor)
                await ledger.topup(party_id=party.id, amount=12_50, reference=f"seed-{tg}-2", actor=actor)
                await bh.bind(party.id, tg, name=f"Shop {tg}")
    return ids


class Driver:
    """Pushes /wallet for a user and waits for the bot's reply in that user's chat."""

    def __init__(self, api) -> None:
        self.api = api
        self.waiting: dict[int, asyncio.Future] = {}
        self.wrong: list[str] = []
        self.timeouts = 0
        api.listeners.append(self._on_call)

    def _on_call(self, call) -> None:
        if call.method.lower() != "sendmessage" or not call.ok:
            return
        future = self.waiting.pop(call.chat_id, None)
        if future is not None and not future.done():
            future.set_result(call)

    async def round_trip(self, user: int) -> float | None:
        """Seconds from the update queued to the wallet reply arriving; None when it did not come."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[user] = future
        update = self.api.push_message(user, "/wallet")
        try:
            call = await asyncio.wait_for(future, REPLY_TIMEOUT)
        except TimeoutError:
            self.waiting.pop(user, None)
            self.timeouts += 1
            return None
        text = (call.result or {}).get("text", "")
        if "wallet" not in text or "Balance:" not in text:
            self.wrong.append(text[:120])
        return call.at - self.api.pushed_at[update["update_id"]]


async def saturation(driver: Driver, users: list[int], concurrency: int, seconds: float) -> tuple[float, int]:
    """Closed loop: `concurrency` in flight; the rate of round trips completed within the window."""
    idle = deque(users)
    done = 0
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            user = idle.popleft()
            took = await driver.round_trip(user)
            idle.append(user)
            if took is not None and time.monotonic() <= stop_at:
                done += 1

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (min(time.monotonic(), stop_at) - started), done


async def fixed_rate(driver: Driver, users: list[int], rate: float, seconds: float) -> list[float]:
    """Open loop: one update every 1/rate s, whatever the replies do; the round trips in seconds."""
    cycle = itertools.cycle(users)
    tasks = []
    started = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(driver.round_trip(next(cycle))))
    results = await asyncio.gather(*tasks)
    return [r for r in results if r is not None]


async def run(args: argparse.Namespace) -> int:
    from tests.support.telegram_api import running_telegram_api

    run_dir = h.RunDir("bot-wallet").path
    print(f"S6: logs in {run_dir}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    async with running_telegram_api() as api:
        env = bh.bot_env(api, database_url=args.database_url, redis_url=args.redis_url)
        h.adopt_env(env)
        if args.bot_pool:  # a diagnostic: the bot's own database pool size (default: Tortoise's, as shipped)
            env["DATABASE_URL"] = h.with_pool(args.database_url, args.bot_pool)
        from core.db import close_db, init_db

        await h.fresh_database(args.database_url)
        await h.flush_redis(args.redis_url)
        await init_db(h.with_pool(args.database_url, 10))
        t = time.monotonic()
        users = await seed(args.users)
        await close_db()
        print(f"S6: {len(users)} agents with members seeded in {time.monotonic() - t:.1f} s", file=sys.stderr)

        bot = bh.BotProcess(env, run_dir).start()
        try:
            await bot.wait_polling(api)
            driver = Driver(api)
            rss_start = bot.rss_mb()
            # Warm-up: every user once (first reads of each member, connection pool filled).
            warm_rate, _ = await saturation(driver, users, 16, args.warmup_seconds)
            print(f"S6: warm-up {warm_rate:.0f} updates/s", file=sys.stderr)

            best = 0.0
            for concurrency in args.concurrency:
                cpu_bot, cpu_own = bot.cpu_seconds(), bh.own_cpu_seconds()
                rate, done = await saturation(driver, users, concurrency, args.seconds)
                cpu_bot, cpu_own = bot.cpu_seconds() - cpu_bot, bh.own_cpu_seconds() - cpu_own
                print(f"S6 saturation: {concurrency} in flight → {rate:.0f} updates/s ({done} round trips "
                      f"in {args.seconds:g} s; CPU: bot {100 * cpu_bot / args.seconds:.0f} %, this process with "
                      f"the stand-in {100 * cpu_own / args.seconds:.0f} %)")
                best = max(best, rate)
            await asyncio.sleep(2)  # let the last window's stragglers finish
            latencies = [s * 1000 for s in await fixed_rate(driver, users, args.rate, args.rate_seconds)]
            p50, p95, p99 = (bh.percentile(latencies, f) for f in (0.50, 0.95, 0.99))
            print(f"S6 at {args.rate:g} updates/s for {args.rate_seconds:g} s: {len(latencies)} round trips, "
                  f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies or [0]):.1f} ms")
            rss = bot.rss_mb()
            failed = bot.events_named("bot_update_failed")
            print(f"S6: bot RSS {rss_start:.0f} MB after start, {rss:.0f} MB after the run; "
                  f"{driver.timeouts} replies missing, {len(driver.wrong)} wrong (a throttled update gets "
                  f"\"Slow down\" or nothing), {len(failed)} unhandled exceptions")
            for text in driver.wrong[:5]:
                print(f"  wrong reply: {text!r}")
        finally:
            bot.stop()

    rate_ok, p95_ok = best >= TARGET_RATE, p95 <= TARGET_P95_MS
    clean = not driver.timeouts and not driver.wrong and not failed
    print(f"S6 /wallet: {best:.0f} updates/s at saturation (≥ {TARGET_RATE:.0f} {'ok' if rate_ok else 'MISSED'}), "
          f"p95 {p95:.1f} ms at {args.rate:g} updates/s (≤ {TARGET_P95_MS:.0f} ms {'ok' if p95_ok else 'MISSED'}); "
          f"bot RSS {rss:.0f} MB" + ("" if clean else " — replies missing or wrong, see above"))
    return 0 if rate_ok and p95_ok and clean else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[4, 16, 64],
                        help="in-flight updates for the saturation runs, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="each saturation run")
    parser.add_argument("--warmup-seconds", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    parser.add_argument("--bot-pool", type=int, default=None,
                        help="the bot's database pool size (default: as shipped, Tortoise's maxsize 5)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_BOT_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_BOT_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    if not h.db_name(args.database_url).startswith("steller_bench"):
        parser.error("the scratch database is dropped first: its name must start with steller_bench")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
