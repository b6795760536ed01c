"""TARGETS R7: bot fuzz — 100 users sending random text, commands and forged callback data to the real bot
process: zero unhandled exceptions, zero state changes by anyone not entitled to them.

    .venv/bin/python bench/bot_fuzz.py [--users 100] [--actions 30] [--seed 1]

Processes: the stand-in Bot API in this process (loopback); `steller bot` (polling it, default settings:
throttling at 10 updates per 10 s per user); `steller simulator` and a worker, so that the network's
orders are real (delivered cards to reveal) and anything a fuzzer managed to order would really go through.
Scratch database `--database-url` (name must start with steller_bench; default …/steller_bench_bot), Redis
`--redis-url` (default DB 9, flushed).

The network being attacked ("victims"): 3 agents with 2 sub-agents each, funded, each with an owner
member, open invites, and completed orders with cards. Before the fuzz its owners use the bot for real
(/orders and an order opened, /subagents and a sub-agent opened, /invite and its list, /wallet, /report, an
allocation up to its summary, not confirmed): every callback data they were shown is harvested.

The fuzzers (--users, default 100): 60 % strangers (members of nothing), 25 % viewers of a victim party
(they may look, not act), 15 % owners of an agent of their own with no money and no sub-agents. Each
sends --actions updates, about one a second (sometimes a burst, to meet the throttle):
random text (junk, amounts, long, RTL, markup, format strings, fake invite payloads), commands with and
without (victim) arguments, admin commands, and callback data pressed on their own latest message —
harvested from the victims, synthesized for every CallbackData class of the bot (fields filled with
victim ids, huge or negative numbers, junk, wrong field counts), pure junk — and sometimes a real
button of their own (so they get into the flows and their typed-text states).

Afterwards, once every update is processed (the verdict):
- the bot is still running; no `bot_update_failed` (an unhandled exception in a handler) and no
  error-level line or traceback in its log;
- every button press was answered exactly once;
- nothing of the victims changed: their party rows, members (but a viewer's own language), invites and
  ledger accounts are identical; not one order, card, hold, transfer or ledger operation was added
  anywhere; no card list, discount or admin changed;
- the only new rows are what the fuzzers were entitled to: a stranger's own application as an agent
  (a pending agent with that stranger as its owner) and invites of a fuzzer's own agent;
- `check_ledger()` finds nothing.

Last line (exit status 1 on any violation):

    R7 bot fuzz: 100 users, 3000 updates (1020 forged presses), 0 unhandled exceptions, 0 unentitled changes …
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import random
import re
import string
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bot_harness as bh
import _harness as h

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/steller_bench_bot"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
VICTIM_OWNER_BASE = 8_100_000
FUZZ_BASE = 9_000_000
COMMANDS = ["start", "menu", "help", "language", "order", "orders", "wallet", "subagents", "invite", "allocate",
            "reclaim", "report", "settings", "cancel", "admin", "pending", "agent_invite", "credit", "adjust",
            "discount", "creditlimit", "cardlist", "freeze", "unfreeze", "party", "tree", "metrics", "vendor",
            "sync", "audit", "payout", "broadcast", "admins", "nonexistent"]
JUNK_TEXTS = ["", " ", "0", "-5", "1e3", "12,5", "12.345", "999999999999999999999", "NaN", "inf", "١٢", "٣٠٫٥",
              "'; DROP TABLE party; --", "{0} %s {$amount} { $x }", "<b>bold</b><script>", "*_[]()~`>#+-=|{}.!",
              "💸💸💸", "ممكن أطلب بطاقة؟", "\u202etxet", "/", "//", "/start inv_", "/start inv_AAAAAAAAAAAAAAAAAAAAAA",
              "/start inv_../../etc", "/start " + "x" * 64, "@steller_test_bot", "null", "None", "-0", "0.00",
              "10", "100", "1000000"]


# --- The network and the fuzzers -------------------------------------------------------------------


@dataclass
class Victims:
    agents: list[int]
    subs: list[int]
    owners: dict[int, int]  # telegram user → party
    orders: list[str] = field(default_factory=list)  # hex ids
    cards: list[int] = field(default_factory=list)
    invites: list[int] = field(default_factory=list)

    @property
    def parties(self) -> list[int]:
        return [*self.agents, *self.subs]


@dataclass
class Fuzzer:
    user_id: int
    kind: str  # stranger | viewer | owner
    party_id: int | None = None


async def seed(redis, users: int, rng: random.Random) -> tuple[Victims, list[Fuzzer]]:
    """The victims' network (funded, orders placed), and the fuzzers' own memberships."""
    from core.access.actor import Actor
    from core.db import atomic
    from core.parties import invites
    from core.parties import service as parties
    from core.parties.models import PartyKind

    actor = Actor.admin(label="bench")
    net = await h.build_network(agents=3, subs_per_agent=2, agent_funds=1_000_00, sub_funds=200_00,
                                products=[h.MAGIC_RANGE_PRODUCT], actor=actor)
    victims = Victims(agents=list(net.agents), subs=list(net.parent), owners={})
    async with atomic():
        for i, party_id in enumerate(victims.parties):
            tg = VICTIM_OWNER_BASE + i + 1
            await bh.bind(party_id, tg, name=f"Victim {party_id}")
            victims.owners[tg] = party_id
        for agent in victims.agents:
            created = await invites.create_invite(actor=actor, inviter_party_id=agent, max_uses=3)
            victims.invites.append(created.invite.id)
    for party_id in victims.parties:
        for q in (1, 2):
            created = await h.submit_order(redis, party_id=party_id, product_id=h.MAGIC_RANGE_PRODUCT,
                                           face=Decimal(f"{rng.randint(5, 20)}.00"), quantity=q,
                                           reference=f"victim-{party_id}-{q}", actor=actor)
            victims.orders.append(created.order.id.hex)

    fuzzers: list[Fuzzer] = []
    strangers, viewers = round(users * 0.60), round(users * 0.25)
    async with atomic():
        for i in range(users):
            tg = FUZZ_BASE + i + 1
            if i < strangers:
                fuzzers.append(Fuzzer(tg, "stranger"))
            elif i < strangers + viewers:
                party_id = rng.choice(victims.parties)
                await bh.bind(party_id, tg, role="viewer", name=f"Viewer {tg}")
                fuzzers.append(Fuzzer(tg, "viewer", party_id))
            else:
                own = await parties.create_party(kind=PartyKind.AGENT, name=f"Fuzz Agent {tg}", actor=actor)
                await bh.bind(own.id, tg, name=f"Fuzz Owner {tg}")
                fuzzers.append(Fuzzer(tg, "owner", own.id))
    return victims, fuzzers


async def collect_cards(victims: Victims) -> None:
    from tortoise.connection import get_connection

    rows = await get_connection("default").execute_query_dict("SELECT id FROM order_card ORDER BY id")
    victims.cards = [r["id"] for r in rows]


# --- Snapshots ----------------------------------------------------------------------------------------

COUNTED = ("party", "member", "invite", "invite_redemption", '"order"', "order_card", "ledger_transfer",
           "ledger_operation", "ledger_hold", "ledger_account", "card_list", "card_list_item", "pricing_discount",
           "admin_user")
UNCHANGED_ANYWHERE = ('"order"', "order_card", "ledger_transfer", "ledger_operation", "ledger_hold",
                      "card_list", "card_list_item", "pricing_discount", "admin_user", "invite_redemption")


async def snapshot(victims: Victims) -> dict:
    from tortoise.connection import get_connection

    conn = get_connection("default")
    ids = ",".join(str(p) for p in victims.parties)

    async def rows(sql: str) -> list[tuple]:
        return sorted(tuple(sorted(r.items())) for r in await conn.execute_query_dict(sql))

    return {
        "counts": {t.strip('"'): (await conn.execute_query_dict(f"SELECT COUNT(*) AS n FROM {t}"))[0]["n"]
                   for t in COUNTED},
        "parties": await rows(f"SELECT * FROM party WHERE id IN ({ids})"),
        # A viewer may change its own language; nothing else of a member.
        "members": await rows(f"SELECT id, telegram_user_id, role, status, display_name, party_id, created_at "
                              f"FROM member WHERE party_id IN ({ids})"),
        "invites": await rows(f"SELECT * FROM invite WHERE inviter_id IN ({ids})"),
        "accounts": await rows(f"SELECT * FROM ledger_account WHERE party_id IN ({ids}) OR party_id IS NULL"),
        "max_ids": {t: (await conn.execute_query_dict(f"SELECT COALESCE(MAX(id), 0) AS m FROM {t}"))[0]["m"]
                    for t in ("party", "member", "invite")},
    }


async def judge(before: dict, after: dict, fuzzers: list[Fuzzer]) -> tuple[list[str], Counter]:
    """What changed, and whether whoever changed it was entitled to."""
    from tortoise.connection import get_connection

    conn = get_connection("default")
    problems: list[str] = []
    for part in ("parties", "members", "invites", "accounts"):
        if before[part] != after[part]:
            changed = [r for r in after[part] if r not in before[part]][:3]
            problems.append(f"the victims' {part} changed: {changed}")
    for table in UNCHANGED_ANYWHERE:
        name = table.strip('"')
        if after["counts"][name] != before["counts"][name]:
            problems.append(f"{name}: {before['counts'][name]} rows before, {after['counts'][name]} after")

    strangers = {f.user_id for f in fuzzers if f.kind == "stranger"}
    own_parties = {f.party_id for f in fuzzers if f.kind == "owner"}
    entitled = Counter()
    new_parties = await conn.execute_query_dict(
        "SELECT p.id, p.kind, p.status, p.parent_id, m.telegram_user_id, m.role FROM party p "
        "LEFT JOIN member m ON m.party_id = p.id WHERE p.id > $1", [before["max_ids"]["party"]])
    for row in new_parties:
        if (row["kind"], row["status"], row["parent_id"], row["role"]) == ("agent", "pending", None, "owner") \
                and row["telegram_user_id"] in strangers:
            entitled["applications"] += 1
        else:
            problems.append(f"a party nobody was entitled to create: {row}")
    new_members = await conn.execute_query_dict(
        "SELECT m.id, m.telegram_user_id, m.party_id, m.role, p.status FROM member m JOIN party p ON p.id = m.party_id "
        "WHERE m.id > $1", [before["max_ids"]["member"]])
    new_party_ids = {r["id"] for r in new_parties}
    for row in new_members:
        if row["party_id"] not in new_party_ids:
            problems.append(f"a member nobody was entitled to add: {row}")
    new_invites = await conn.execute_query_dict("SELECT id, inviter_id, created_by FROM invite WHERE id > $1",
                                                [before["max_ids"]["invite"]])
    for row in new_invites:
        if row["inviter_id"] in own_parties:
            entitled["own invites"] += 1
        else:
            problems.append(f"an invite nobody was entitled to create: {row}")
    expected_parties = before["counts"]["party"] + len(new_parties)
    if after["counts"]["party"] != expected_parties:
        problems.append(f"parties: {after['counts']['party']} now, {expected_parties} expected (one vanished?)")
    return problems, entitled


# --- What fuzzers send --------------------------------------------------------------------------------


def callback_classes() -> list[tuple[str, list[tuple[str, type]]]]:
    """Every CallbackData class of the bot: (prefix, [(field, type), …])."""
    from aiogram.filters.callback_data import CallbackData

    import bot.flows

    for module in pkgutil.walk_packages(bot.flows.__path__, "bot.flows."):
        importlib.import_module(module.name)
    found, todo = {}, list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        prefix = getattr(cls, "__prefix__", None)
        if prefix:
            found[prefix] = [(name, f.annotation) for name, f in cls.model_fields.items()]
    return sorted(found.items())


def literal_vocabulary() -> list[str]:
    """Short string literals of the bot's flows: the actions, steps, areas and periods its buttons carry."""
    words: set[str] = set()
    for path in (h.ROOT / "bot" / "flows").rglob("*.py"):
        words.update(re.findall(r'"([a-z][a-z0-9_.]{0,15})"', path.read_text()))
    return sorted(words)


class Generator:
    def __init__(self, rng: random.Random, victims: Victims, fuzzers: list[Fuzzer], harvested: list[str]):
        self.rng, self.victims, self.harvested = rng, victims, harvested
        self.classes = callback_classes()
        self.words = literal_vocabulary()
        self.own_parties = [f.party_id for f in fuzzers if f.party_id]

    def _int(self) -> str:
        r = self.rng.random()
        v = self.victims
        if r < 0.5:
            pool = v.parties + v.cards + v.invites + self.own_parties
            return str(self.rng.choice(pool))
        return str(self.rng.choice([0, -1, 1, 2, 999_999, 2**31, 2**63, -2**63, 10**30]))

    def _str(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return self.rng.choice(self.words)
        if r < 0.75:
            return self.rng.choice(self.victims.orders)
        if r < 0.85:
            return "".join(self.rng.choices(string.ascii_letters + string.digits + "-_", k=self.rng.randint(1, 16)))
        return self.rng.choice(["", "-", "0", "ok", "../", "%00", "é", "💥", "None", "true", "1.5", "-10", "1e9"])

    def synthesized(self) -> str:
        prefix, fields = self.rng.choice(self.classes)
        values = [self._int() if annotation is int else self._str() for _, annotation in fields]
        if self.rng.random() < 0.1:  # a wrong number of fields
            values = values[:-1] if values and self.rng.random() < 0.5 else [*values, self._str()]
        return _fit(":".join([prefix, *values]))

    def junk_data(self) -> str:
        choice = self.rng.random()
        if choice < 0.4:
            return _fit("".join(self.rng.choices(string.printable.strip(), k=self.rng.randint(1, 64))))
        if choice < 0.7:
            return self.rng.choice(["x", ":", "::::", "o", "o:", "o:ok", "mv:allocate:ok", "m:admin", "m:",
                                    "sa:freeze:1", "rp:show:7d:1", "w:csv", "lang:xx", "lang:ar", "ap:ok:-"])
        return _fit(self.rng.choice(self.harvested or ["m:home"]) + self.rng.choice(["", ":", ":1", "x", ":-1"]))

    def text(self) -> str:
        r = self.rng.random()
        if r < 0.35:
            return self.rng.choice(JUNK_TEXTS) or "?"
        if r < 0.55:
            return str(Decimal(self.rng.randint(-10_000, 10_000_000)) / self.rng.choice([1, 10, 100, 1000]))
        if r < 0.7:
            return "".join(self.rng.choices(string.printable + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي€£¥", k=self.rng.randint(1, 300))).strip() or "."
        if r < 0.8:
            return "A" * self.rng.choice([1000, 4000, 4096])
        return "/start inv_" + "".join(self.rng.choices(string.ascii_letters + string.digits + "_-", k=22))

    def command(self) -> str:
        name = self.rng.choice(COMMANDS)
        if self.rng.random() < 0.5:
            return f"/{name}"
        args = [self._int() if self.rng.random() < 0.6 else self._str() for _ in range(self.rng.randint(1, 3))]
        return f"/{name} " + " ".join(args)


def _fit(data: str) -> str:
    """Telegram carries at most 64 bytes of callback data, at least 1."""
    encoded = (data or "x").encode()[:64]
    return encoded.decode(errors="ignore") or "x"


# --- Driving -----------------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.kinds: Counter = Counter()
        self.callback_ids: list[str] = []
        self.sent: dict[int, str] = {}  # update_id → what it was (to name the input behind a failure)

    def note(self, update: dict, kind: str) -> None:
        self.kinds[kind] += 1
        if "callback_query" in update:
            query = update["callback_query"]
            self.callback_ids.append(query["id"])
            self.sent[update["update_id"]] = f"user {query['from']['id']} pressed {query['data']!r} ({kind})"
        else:
            message = update["message"]
            self.sent[update["update_id"]] = f"user {message['from']['id']} sent {message['text'][:80]!r} ({kind})"

    @property
    def updates(self) -> int:
        return sum(self.kinds.values())


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row if b.get("callback_data")]


def all_shown_data(api, chat_ids) -> list[str]:
    """Every callback data the bot ever showed in these chats (edited-away keyboards too)."""
    seen: list[str] = []
    for call in api.calls:
        if call.ok and call.chat_id in chat_ids and isinstance(call.result, dict):
            for data in buttons(call.result):
                if data not in seen:
                    seen.append(data)
    return seen


async def wait_quiet(api, *, quiet: float = 2.0, timeout: float = 120.0) -> None:
    """Until the bot fetched every update and has made no call (but its long poll) for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [c for c in api.calls if c.method.lower() != "getupdates"]
        last = max((c.answered_at or c.at for c in busy), default=0)
        if not api.pending_updates and time.time() - last >= quiet:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not go quiet")


async def press(api, stats: Stats, user_id: int, data: str, kind: str, *, message_id: int | None = None) -> None:
    """A press with `data` on `message_id` (a real button's message), else on the user's latest bot message."""
    mine = api.sent_messages(user_id)
    if not mine:  # nothing to press on yet: say something first
        stats.note(api.push_message(user_id, "/start"), "command")
        return
    stats.note(api.push_callback(user_id, data, message_id=message_id or mine[-1]["message_id"]), kind)


SHOWING = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument", "sendphoto"})


async def answered(api, user: int, mark: int, query_id: str | None, timeout: float = 30.0) -> None:
    """The bot dealt with a user's update: its press answered, or something shown in reply to its text."""
    def done() -> bool:
        for call in api.calls[mark:]:
            method = call.method.lower()
            if query_id is not None and method == "answercallbackquery" \
                    and str(call.params.get("callback_query_id")) == query_id:
                return True
            if query_id is None and method in SHOWING and call.chat_id == user and call.answered_at:
                return True
        return False

    await api.wait_for(done, timeout)


async def harvest(api, victims: Victims) -> list[str]:
    """The victims' owners use the bot for real; every callback data they are shown is kept."""
    agents = {tg: p for tg, p in victims.owners.items() if p in victims.agents}

    async def step(user: int, text: str | None = None, button: str | None = None) -> None:
        mark, query_id = len(api.calls), None
        if text is not None:
            api.push_message(user, text)
        else:
            mine = [m for m in api.sent_messages(user) if any(button in d for d in buttons(m))]
            if not mine:
                return
            data = next(d for d in buttons(mine[-1]) if button in d)
            query_id = api.push_callback(user, data, message_id=mine[-1]["message_id"])["callback_query"]["id"]
        await answered(api, user, mark, query_id)
        await asyncio.sleep(1.1)  # the owners stay under the throttle

    async def journey(user: int) -> None:
        await step(user, "/orders")
        await step(user, button="os:open")
        await step(user, "/wallet")
        await step(user, "/report")
        if user in agents:
            await step(user, "/subagents")
            await step(user, button="sa:open")
            await step(user, "/invite")
            await step(user, button="iv:list")
            await step(user, "/allocate")
            await step(user, button="mp:allocate:")
            await step(user, "5")

    await asyncio.gather(*(journey(user) for user in victims.owners))
    return all_shown_data(api, set(victims.owners))


async def fuzz_user(api, gen: Generator, rng: random.Random, stats: Stats, fuzzer: Fuzzer, actions: int) -> None:
    user = fuzzer.user_id
    api.user(user, first_name=f"Fuzz {user}", language_code=rng.choice(["en", "ar", "de", None]))
    sent = 0
    while sent < actions:
        burst = rng.randint(5, 14) if rng.random() < 0.04 else 1
        for _ in range(min(burst, actions - sent)):
            r = rng.random()
            if r < 0.22:
                stats.note(api.push_message(user, gen.text()), "text")
            elif r < 0.42:
                stats.note(api.push_message(user, gen.command()), "command")
            elif r < 0.60:
                await press(api, stats, user, rng.choice(gen.harvested or ["m:home"]), "forged (harvested)")
            elif r < 0.78:
                await press(api, stats, user, gen.synthesized(), "forged (synthesized)")
            elif r < 0.85:
                await press(api, stats, user, gen.junk_data(), "forged (junk)")
            else:
                mine = [m for m in api.sent_messages(user) if buttons(m)]
                if mine:
                    await press(api, stats, user, rng.choice(buttons(mine[-1])), "own button",
                                message_id=mine[-1]["message_id"])
                else:
                    stats.note(api.push_message(user, "/start"), "command")
            sent += 1
        await asyncio.sleep(rng.uniform(0.6, 1.8) * (max(1, burst)))


def unanswered_presses(api, callback_ids: list[str]) -> tuple[list[str], list[str]]:
    answers = Counter(str(c.params.get("callback_query_id")) for c in api.calls_to("answerCallbackQuery"))
    never = [q for q in callback_ids if answers[q] == 0]
    twice = [q for q in callback_ids if answers[q] > 1]
    return never, twice


async def run(args: argparse.Namespace) -> int:
    from tests.support.telegram_api import running_telegram_api

    rng = random.Random(args.seed)
    run_dir = h.RunDir("bot-fuzz").path
    print(f"R7: logs in {run_dir}; seed {args.seed}", file=sys.stderr)
    started = time.monotonic()
    async with running_telegram_api() as api:
        sim_port = h.free_port()
        # INFO: the bot logs each core refusal (bot_refused) and throttled update (bot_throttled) it counts.
        env = bh.bot_env(api, database_url=args.database_url, redis_url=args.redis_url, LOG_LEVEL="INFO",
                         BAMBOO_BASE_URL=f"http://127.0.0.1:{sim_port}", BAMBOO_TIMEOUT_SECONDS="2")
        h.adopt_env(env)
        from core.db import close_db, init_db
        from core.ledger.invariants import check_ledger

        await h.fresh_database(args.database_url)
        await h.flush_redis(args.redis_url)
        sim = h.Simulator(env, run_dir, port=sim_port)
        worker = h.Worker("worker", env, run_dir, mode="fast")
        bot = bh.BotProcess(env, run_dir)
        redis = await h.arq_pool(args.redis_url)
        try:
            sim.start()
            await sim.wait_ready()
            await h.prepare_simulator(sim)
            await init_db(h.with_pool(args.database_url, 10))
            victims, fuzzers = await seed(redis, args.users, rng)
            worker.start()
            bot.start()
            await bot.wait_polling(api)
            counts, _ = await h.wait_terminal(60, label="victims' orders ", quiet=True)
            await collect_cards(victims)
            harvested = await harvest(api, victims)
            await wait_quiet(api)
            print(f"R7: victims {len(victims.parties)} parties, {len(victims.orders)} orders "
                  f"({dict(counts)}), {len(victims.cards)} cards; {len(harvested)} callback data harvested",
                  file=sys.stderr)
            before = await snapshot(victims)

            gen = Generator(rng, victims, fuzzers, harvested)
            stats = Stats()
            fuzz_started = time.monotonic()
            await asyncio.gather(*(fuzz_user(api, gen, random.Random(rng.random()), stats, f, args.actions)
                                   for f in fuzzers))
            await wait_quiet(api, quiet=3.0)
            await asyncio.sleep(2)  # the worker's after-commit jobs (notifications) finish
            fuzz_seconds = time.monotonic() - fuzz_started

            after = await snapshot(victims)
            problems, entitled = await judge(before, after, fuzzers)
            ledger = [str(v) for v in await check_ledger()]
            problems += [f"ledger: {v}" for v in ledger[:10]]
            never, twice = unanswered_presses(api, stats.callback_ids)
            alive = bot.alive
        finally:
            bot.stop()
            worker.stop()
            sim.stop()
            await sim.aclose()
            await redis.aclose()
            await close_db()

    failed = bot.events_named("bot_update_failed")
    errors = [e for e in bot.events() if e.get("level") in ("error", "critical") and e.get("event") != "bot_update_failed"]
    tracebacks = bot.tracebacks()
    throttled = len(bot.events_named("bot_throttled"))
    refused = Counter(e.get("code") for e in bot.events_named("bot_refused"))
    print(f"R7: {stats.updates} updates in {fuzz_seconds:.1f} s from {len(fuzzers)} users "
          f"({Counter(f.kind for f in fuzzers)}): " + ", ".join(f"{k} {n}" for k, n in sorted(stats.kinds.items())))
    print(f"R7: {throttled} updates throttled; core refusals logged: {sum(refused.values())} "
          f"({', '.join(f'{c} {n}' for c, n in refused.most_common(8))})")
    print(f"R7: entitled changes by fuzzers: {dict(entitled) or 'none'}")
    print(f"R7: bot alive {alive}; {len(failed)} bot_update_failed, {len(errors)} other error lines, "
          f"{tracebacks} tracebacks; presses never answered {len(never)}, answered twice {len(twice)}")
    causes: dict[str, list[dict]] = {}
    for event in failed + errors:  # grouped by where it broke: one example input each
        lines = [line.strip() for line in str(event.get("exception", "")).strip().splitlines()]
        frames = [line for line in lines if line.startswith('File "')]
        key = f"{event.get('event')}: {lines[-1] if lines else event.get('error_type')} at {frames[-1] if frames else '?'}"
        causes.setdefault(key, []).append(event)
    for key, events in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        example = stats.sent.get(events[0].get("update_id"), f"update {events[0].get('update_id')}")
        print(f"  {len(events)} × {key}; e.g. after {example}")
    for problem in problems[:20]:
        print(f"  violation: {problem}")
    ok = alive and not failed and not errors and not tracebacks and not never and not twice and not problems
    forged = sum(n for k, n in stats.kinds.items() if k.startswith("forged"))
    print(f"R7 bot fuzz: {len(fuzzers)} users, {stats.updates} updates ({forged} forged presses), "
          f"{len(failed) + tracebacks} unhandled exceptions, {len(problems)} unentitled changes, "
          f"{len(never) + len(twice)} presses not answered exactly once — {'ok' if ok else 'FAILED'} "
          f"({time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--actions", type=int, default=30, help="updates per user")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_BOT_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_BOT_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    if not h.db_name(args.database_url).startswith("steller_bench"):
        parser.error("the scratch database is dropped first: its name must start with steller_bench")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
