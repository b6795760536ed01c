"""The admin side end to end, as an admin meets it: `steller up` (API, worker, simulator, bot) on a fresh
database, its bot polling a stand-in Bot API in this process; the admin is in ADMIN_TELEGRAM_IDS and
works only from Telegram.

The journey: the admin approves an application (from the alert's button), creates an agent invite that
a new user joins with, credits that agent after confirming (a second press moves nothing), sets a
discount and the agent's price in /order changes, edits the agent's card list, freezes the agent (its
order is refused) and unfreezes it, runs /sync and watches the progress message reach done, broadcasts
to three agents (one has blocked the bot: counted, tried once, never again), and reads the audit entries
of all of it. Then a non-admin sends every admin command and forged admin callback data: the answer is
the one for anything not understood, and nothing changes.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from bot.flows.admin.common import AREAS, AdminCb
from tests.e2e.bot_platform import (
    Chat,
    Platform,
    buttons_of,
    link_payload,
    running_platform,
    text_of,
)
from tests.support.telegram_api import running_telegram_api
from tests.support.vendor import MAGIC_RANGE_PRODUCT

E2E_DB = os.environ.get("TEST_ADMIN_E2E_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_admin_e2e")
E2E_REDIS = os.environ.get("TEST_ADMIN_E2E_REDIS_URL", "redis://127.0.0.1:6379/3")
ADMIN, AMIRA, BADR, CARIM = 9001, 9101, 9102, 9103
BROADCAST = "Eid sale: 10% off <b>every</b> card until Friday. Reply with /order"
# Every admin command, with arguments where it takes some.
ADMIN_COMMANDS = ("/admin", "/pending", "/agent_invite", "/agent_invite partner 5", "/credit Badr 5 X-1",
                  "/adjust Badr +5 fix", "/discount agent 9", "/creditlimit Badr 50", "/cardlist", "/freeze Badr",
                  "/unfreeze Badr", "/party Badr", "/tree", "/metrics", "/vendor", "/sync", "/sync full",
                  "/audit", "/payout", "/broadcast Hello", "/broadcast", "/admins", f"/grant_admin {AMIRA}",
                  f"/revoke_admin {ADMIN}")


@pytest.fixture(scope="module")
async def telegram():
    async with running_telegram_api() as api:
        yield api


@pytest.fixture(scope="module")
async def up(telegram):
    async with running_platform(telegram, database_url=E2E_DB, redis_url=E2E_REDIS, ADMIN_TELEGRAM_IDS=str(ADMIN),
                                BOT_THROTTLE_UPDATES="1000") as platform:
        yield platform


def party_named(up: Platform, name: str) -> dict:
    [party] = [p for p in json.loads(up.steller("party", "list", "--json")) if p["name"] == name]
    return party


def available(up: Platform, party_id: int) -> str:
    return json.loads(up.steller("wallet", str(party_id), "--json"))["available"]


async def counts(up: Platform) -> dict[str, int]:
    """Rows that change only when someone acts: what a non-admin's attempts must leave alone."""
    tables = ("party", "member", "invite", "ledger_transfer", "pricing_discount", "card_list_item", "broadcast",
              "broadcast_delivery", "admin_user", "audit_entry")
    found = {}
    for table in tables:
        found[table] = (await up.sql(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"]
    found["statuses"] = [tuple(r) for r in await up.sql("SELECT id, status FROM party ORDER BY id")]
    return found


async def committed(up: Platform, count_sql: str, *args, at_least: int = 1, timeout: float = 10.0) -> None:
    """Wait until `count_sql` counts `at_least` rows. A reply is sent from inside its update's transaction:
    what the update wrote is visible to others (and to the next update) only once it committed."""
    deadline = time.monotonic() + timeout
    while (await up.sql(count_sql, *args))[0]["n"] < at_least:
        assert time.monotonic() < deadline, f"not committed within {timeout:g} s: {count_sql}"
        await asyncio.sleep(0.05)


async def order_total(chat: Chat, value: str) -> str:
    """The total /order shows for one card of the magic range card at `value`."""
    await chat.send("/order", expect="Which card?")
    await chat.press("Magic", expect="type the value")
    await chat.send(value, expect="how many cards?")
    await chat.press("1", expect="Total:")
    message = chat.find("Total:")
    return text_of(message).split("Total:", 1)[1].split()[0]


async def test_an_admin_runs_steller_from_telegram(up: Platform, telegram):
    started = time.monotonic()
    admin = Chat(telegram, ADMIN, "Ada")
    amira, badr, carim = Chat(telegram, AMIRA, "Amira"), Chat(telegram, BADR, "Badr"), Chat(telegram, CARIM, "Carim")

    # The operator's part: the catalog and the default agent card list (the magic card, 1–1000).
    assert "0 pages" not in up.steller("catalog", "sync", "--full")
    up.steller("cardlist", "add", str(MAGIC_RANGE_PRODUCT), "--range", "1-1000")

    # Amira applies; the admin is alerted with a button to the applications, and approves her there.
    await amira.send("/start", expect="invite link")
    await amira.press("Apply", expect="Apply as an agent under")
    await amira.press("Yes, apply", expect="Your application")
    alert = await admin.wait_for("New agent application: Amira", timeout=30)
    await admin.press("Open applications", message=alert, expect="Amira")
    await admin.press("1. Amira", expect="Amira is approved")
    await amira.wait_for("was approved", timeout=30)
    assert party_named(up, "Amira")["status"] == "active"

    # An agent invite from /agent_invite; Badr joins with it as a top-level agent.
    invite = await admin.send("/agent_invite", expect="A link for a new")
    # The link is shown from inside the admin's update; the invite exists once that update committed.
    await committed(up, "SELECT COUNT(*) AS n FROM invite WHERE inviter_id IS NULL")
    await badr.send(f"/start {link_payload(text_of(invite))}", expect="invites you to join Steller as an agent")
    await badr.press("Join", expect="what would you like to do")
    await committed(up, "SELECT COUNT(*) AS n FROM member WHERE telegram_user_id = $1", BADR)
    badr_party = party_named(up, "Badr")
    assert (badr_party["kind"], badr_party["status"], badr_party["parent_id"]) == ("agent", "active", None)

    # Credit after a summary; the second press of Confirm moves nothing.
    summary = await admin.send("/credit Badr 100 WIRE-7731", expect="Credit Badr")
    assert "Available: 0.00 USD → 100.00 USD" in text_of(summary)
    _, confirm = admin.button("Confirm", message=summary)
    await admin.press_data(confirm, message_id=summary["message_id"], expect="100.00 USD credited to Badr")
    await badr.wait_for("100.00 USD was added to your wallet", timeout=30)  # told after the credit committed
    assert "already used" in await admin.press_data(confirm, message_id=summary["message_id"])
    assert available(up, badr_party["id"]) == "100.00"

    # A discount for Badr, and the price Badr sees in /order follows it.
    assert await order_total(badr, "10") == "10.00"
    summary = await admin.send("/discount Badr 5", expect="to 5 % off face value")
    await admin.press("Confirm", message=summary, expect="is 5 %")
    await committed(up, "SELECT COUNT(*) AS n FROM pricing_discount WHERE party_id = $1", badr_party["id"])
    assert await order_total(badr, "10") == "9.50"

    # Badr's own card list, copied from the default, with a narrower range for the magic card.
    await admin.send("/cardlist Badr", expect="has no list of its own")
    await admin.press("Start from a copy of the default list", expect="Own list of Badr")
    await admin.press("Magic", expect="Place 1 of 1")
    await admin.press("Change the amounts", expect="How may parties buy it?")
    await admin.press("A narrower range", expect="type the range")
    await admin.send("5-50", expect="is on the list")
    await committed(up, "SELECT COUNT(*) AS n FROM card_list_item i JOIN card_list l ON l.id = i.card_list_id "
                        "WHERE l.party_id = $1 AND i.max_face = 50", badr_party["id"])
    await badr.send("/order", expect="Which card?")
    await badr.press("Magic", expect="type the value")
    assert "50" in text_of(badr.find("type the value")) and "1,000" not in text_of(badr.find("type the value"))

    # Frozen, Badr can read but not order; unfrozen, he can again.
    summary = await admin.send("/freeze Badr", expect="Freeze Badr")
    await admin.press("Freeze", message=summary, expect="Badr is frozen")
    await committed(up, "SELECT COUNT(*) AS n FROM party WHERE id = $1 AND status = 'frozen'", badr_party["id"])
    await badr.send("/order", expect="This account is not active right now")
    await badr.send("/wallet", expect="100.00 USD")
    summary = await admin.send("/unfreeze Badr", expect="Unfreeze Badr")
    await admin.press("Unfreeze", message=summary, expect="Badr is active again")
    await committed(up, "SELECT COUNT(*) AS n FROM party WHERE id = $1 AND status = 'active'", badr_party["id"])

    # /sync: one message follows the worker's sync to the end.
    queued = await admin.send("/sync", expect="Catalog sync")
    await admin.wait_for(lambda m: m["message_id"] == queued["message_id"] and "done in" in text_of(m), timeout=60)

    # Carim joins through an operator's invite, then blocks the bot. The broadcast goes to the three agents.
    link = up.steller("invite", "create").strip().splitlines()[-1]
    await carim.send(f"/start {link_payload(link)}", expect="invites you")
    await carim.press("Join", expect="what would you like to do")
    await committed(up, "SELECT COUNT(*) AS n FROM member WHERE telegram_user_id = $1", CARIM)
    telegram.block(CARIM)
    await admin.send("/broadcast", expect="Type the message")
    question = await admin.send(BROADCAST, expect="It goes to 3 people")
    assert admin.messages[-2]["text"] == BROADCAST  # the preview: the text alone, as the agents get it
    _, send = admin.button("Send to 3 people", message=question)
    await admin.press_data(send, message_id=question["message_id"], expect="is on its way to 3 people")
    assert "already used" in await admin.press_data(send, message_id=question["message_id"])
    done = await admin.wait_for("Delivered: 2 of 3. Blocked the bot: 1.", timeout=60)
    for agent in (amira, badr):
        assert [text_of(m) for m in agent.messages if text_of(m) == BROADCAST] == [BROADCAST]
    tries = lambda: [c for c in telegram.calls_to("sendMessage", chat_id=CARIM) if c.params.get("text") == BROADCAST]
    assert len(tries()) == 1
    await asyncio.sleep(3)  # the worker keeps running: a blocked user is never tried again
    assert len(tries()) == 1
    assert [r["status"] for r in await up.sql("SELECT status FROM broadcast")] == ["done"]
    assert "Broadcast #" in text_of(done)

    # The audit log in the bot has every admin action of this journey, with the admin and the update.
    done_by_admin = {r["id"]: r["action"] for r in await up.sql(
        "SELECT id, action FROM audit_entry WHERE actor = $1 ORDER BY id", f"tg:{ADMIN}")}
    actions = set(done_by_admin.values())
    for expected in ("party.status.active", "invite.create", "ledger.topup", "pricing.discount", "party.status.frozen",
                     "party.status.active", "catalog.sync_requested", "broadcast.create"):
        assert expected in actions, (expected, actions)
    assert any(a.startswith("cardlist.") for a in actions), actions
    page = await admin.send(f"/audit actor:tg:{ADMIN}", expect="Audit log")
    shown = text_of(page)
    while admin.has_button("Older", message=admin.message(page["message_id"])):
        before = text_of(admin.message(page["message_id"]))
        await admin.press("Older", message=admin.message(page["message_id"]),
                          expect=lambda m, before=before: m["message_id"] == page["message_id"] and text_of(m) != before)
        shown += text_of(admin.message(page["message_id"]))
    for entry_id, action in done_by_admin.items():
        assert f"#{entry_id} ·" in shown and action in shown, (entry_id, action)
    assert f"tg:{ADMIN}:" in shown  # each entry names the chat and update it came from

    assert up.events_named("bot_update_failed") == []
    assert time.monotonic() - started < 150


async def test_a_non_admin_changes_nothing_with_admin_commands_or_forged_admin_buttons(up: Platform, telegram):
    admin, amira = Chat(telegram, ADMIN, "Ada"), Chat(telegram, AMIRA, "Amira")
    # Real confirmations waiting in the admin's chat, for Amira to try to press.
    credit = await admin.send("/credit Amira 50 FORGE-1", expect="Credit Amira")
    grant = await admin.send(f"/grant_admin {AMIRA}", expect="an admin?")
    broadcast = await admin.send("/broadcast Forged?", expect="It goes to")
    targets = [(data, message["message_id"]) for message in (credit, grant, broadcast)
               for _, data in buttons_of(message)]
    before = await counts(up)

    not_understood = text_of(await amira.send("/nonsense"))
    for command in ADMIN_COMMANDS:
        reply = await amira.send(command)
        assert text_of(reply) == not_understood, command
    for data, message_id in targets:
        toast = await amira.press_data(data, message_id=message_id, chat_id=ADMIN)
        assert "no longer valid" in toast, data
    for area in AREAS:
        toast = await amira.press_data(AdminCb(area=area).pack())
        assert "no longer valid" in toast, area
    for forged in ("apd:approve:1:0", "acf:freeze:ok:guess", "abc:send:guess", "aad:ok:0:guess",
                   "adc:ok:guess", "asy:go:1", "aad:revoke:9001:-"):
        toast = await amira.press_data(forged)
        assert "no longer valid" in toast, forged
    assert await counts(up) == before

    # The admin's own confirmations were untouched by all of that: they still work, once.
    _, confirm = admin.button("Confirm", message=admin.message(credit["message_id"]))
    await admin.press_data(confirm, message_id=credit["message_id"], expect="50.00 USD credited to Amira")
    assert up.events_named("bot_update_failed") == []
