"""The bot end to end, as people meet it: `steller up` (API, worker, simulator, bot) on a fresh database, its
bot polling a stand-in Bot API in this process, four Telegram users typing and pressing buttons, an operator
at the `steller` CLI.

The journey: an admin-made agent invite → a new user joins as agent → admin top-up → the agent invites a
sub-agent, who joins → the agent allocates to the sub-agent → the sub-agent orders a card from the list →
the order message updates itself to delivered with masked codes → Reveal shows a code, and that message is
deleted later → the agent's /report shows the sub-agent's sale and the commission → `steller check` clean.
On the way, the refusals: a sub-agent pressing the agent's (forged) callback data, an expired invite, a
double-pressed Confirm, an amount that is not a number, a frozen party ordering, a viewer allocating.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from bot.flows.subagents.callbacks import PickCb, SubCb
from tests.e2e.bot_platform import (
    Chat,
    Platform,
    link_payload,
    running_platform,
    text_of,
)
from tests.support.telegram_api import running_telegram_api
from tests.support.vendor import MAGIC_RANGE_PRODUCT

E2E_DB = os.environ.get("TEST_BOT_E2E_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/steller_bot_e2e")
E2E_REDIS = os.environ.get("TEST_BOT_E2E_REDIS_URL", "redis://127.0.0.1:6379/8")
REVEAL_SECONDS = 2  # BOT_REVEAL_SECONDS for the platform: the revealed code's message goes after 2 s
AGENT, SUB, VIEWER, LATECOMER = 1001, 1002, 1003, 1004


@pytest.fixture(scope="module")
async def telegram():
    async with running_telegram_api() as api:
        yield api


@pytest.fixture(scope="module")
async def up(telegram):
    # People take seconds between presses; the journey takes milliseconds, so the per-user throttle
    # (10 updates in 10 s) is widened here. The fuzz bench (bench/bot_fuzz.py) runs with the default.
    async with running_platform(telegram, database_url=E2E_DB, redis_url=E2E_REDIS,
                                BOT_REVEAL_SECONDS=str(REVEAL_SECONDS), BOT_THROTTLE_UPDATES="100") as platform:
        yield platform


def wallet(up: Platform, party_id: int) -> dict:
    return json.loads(up.steller("wallet", str(party_id), "--json"))


def party_named(up: Platform, name: str) -> dict:
    [party] = [p for p in json.loads(up.steller("party", "list", "--json")) if p["name"] == name]
    return party


async def counts(up: Platform) -> dict[str, int]:
    """Rows that only change when someone acts: what a refusal must leave alone."""
    tables = ("party", "member", "invite", '"order"', "ledger_transfer")
    return {t.strip('"'): (await up.sql(f"SELECT COUNT(*) AS n FROM {t}"))[0]["n"] for t in tables}


async def test_agent_to_sub_agent_to_delivered_card_and_the_report(up: Platform, telegram):
    started = time.monotonic()
    agent = Chat(telegram, AGENT, "Amira")
    sub = Chat(telegram, SUB, "Sami")
    viewer = Chat(telegram, VIEWER, "Vera")
    latecomer = Chat(telegram, LATECOMER, "Lina")

    # The operator sets up the shop: the catalog, the agents' card list, the discounts.
    assert "0 pages" not in up.steller("catalog", "sync", "--full")
    up.steller("cardlist", "add", str(MAGIC_RANGE_PRODUCT), "--range", "1-1000")
    up.steller("discount", "set", "5", "--kind", "agent")
    up.steller("discount", "set", "3", "--kind", "subagent")

    # An admin-made agent invite; a new user opens it and joins as an agent.
    link = up.steller("invite", "create").strip().splitlines()[-1]
    await agent.send(f"/start {link_payload(link)}", expect="invites you to join Steller as an agent")
    await agent.press("Join", expect="what would you like to do")
    amira = party_named(up, "Amira")
    assert (amira["kind"], amira["status"], amira["parent_id"]) == ("agent", "active", None)

    # The admin tops the agent up. The CLI writes the agent's notification with the money; it does not
    # enqueue it, so the worker's sweeper (once a minute) delivers it: checked at the end.
    assert "topped up 100.00 USD" in up.steller("topup", str(amira["id"]), "100", "--reference", "wire-1")
    topped_up = time.monotonic()

    # The agent invites a sub-agent, who joins; the agent is told.
    await agent.send("/invite", expect="Invites for Amira")
    created = await agent.press("New single-use link", expect="invite link for one new sub-agent")
    assert created == ""
    await sub.send(f"/start {link_payload(agent.find('invite link for one new sub-agent')['text'])}",
                   expect="Amira invites you to join Steller as a sub-agent")
    await sub.press("Join", expect="what would you like to do")
    sami = party_named(up, "Sami")
    assert (sami["kind"], sami["parent_id"]) == ("subagent", amira["id"])
    await agent.wait_for("Sami joined as your")

    # A viewer joins the agent's team through a team link.
    await agent.send("/invite", expect="Invites for Amira")
    await agent.press("Invite a team member", expect="As what?")
    await agent.press("Viewer", expect="team link")
    await viewer.send(f"/start {link_payload(agent.find('team link')['text'])}", expect="Amira invites you")
    await viewer.press("Join", expect="what would you like to do")

    # Refused: an expired invite creates nothing.
    printed = up.steller("invite", "create", "--parent", str(amira["id"])).strip().splitlines()
    invite_id = int(printed[0].split()[1])  # "invite <id> (<hint>): …"
    await up.sql("UPDATE invite SET expires_at = now() - interval '1 minute' WHERE id = $1", invite_id)
    stale = printed[-1]
    before = await counts(up)
    await latecomer.send(f"/start {link_payload(stale)}", expect="This invite link has expired")
    assert not latecomer.has_button("Join")
    assert await counts(up) == before

    # The agent allocates to the sub-agent: a typed amount that is not a number moves nothing.
    await agent.send("/allocate", expect="Send money to which sub-agent?")
    await agent.press("Sami", expect="How much do you want to send to Sami?")
    await agent.send("ten dollars", expect="That is not an amount")
    assert await counts(up) == before
    summary = await agent.send("30", expect="Send 30.00 USD from Amira to Sami?")
    assert "Your balance after: 70.00 USD" in text_of(summary)

    # Refused: the sub-agent presses the agent's buttons (forged callback data): its Confirm, a pick of
    # itself as the agent's child, freezing itself.
    _, confirm = agent.button("Confirm", message=summary)
    toast = await sub.press_data(confirm, message_id=summary["message_id"], chat_id=AGENT)
    assert "already used or has expired" in toast
    for forged in (PickCb(kind="allocate", child=sami["id"]).pack(), SubCb(action="freeze", child=sami["id"]).pack()):
        toast = await sub.press_data(forged)
        assert "not one of your direct sub-agents" in toast, (forged, toast)
    assert await counts(up) == before
    assert party_named(up, "Sami")["status"] == "active"

    # The agent's own Confirm works, once: the second press moves nothing.
    await agent.press("Confirm", message=summary, expect="Sent 30.00 USD to Sami")
    again = await agent.press_data(confirm, message_id=summary["message_id"])
    assert "already used" in again
    assert (wallet(up, amira["id"])["available"], wallet(up, sami["id"])["available"]) == ("70.00", "30.00")
    await sub.wait_for("Your agent sent you 30.00 USD")

    # Refused: a viewer may look, not move money — neither from the menu nor with the agent's buttons.
    before = await counts(up)
    await viewer.send("/allocate", expect="Your role in this account does not allow that")
    toast = await viewer.press_data(PickCb(kind="allocate", child=sami["id"]).pack())
    assert "Your role in this account does not allow that" in toast
    assert not viewer.find("How much")
    assert await counts(up) == before

    # The sub-agent orders a card from the list: a range card, a typed value, one card.
    await sub.send("/order", expect="Which card?")
    await sub.press("Magic", expect="type the value")
    await sub.send("10", expect="how many cards?")
    await sub.press("1", expect="Total: 9.70 USD")
    summary = sub.find("Total: 9.70 USD")
    assert "Your balance after: 20.30 USD" in text_of(summary)
    order_message_id = summary["message_id"]
    _, confirm = sub.button("Confirm", message=summary)
    await sub.press_data(confirm, message_id=order_message_id, expect="Order")
    # A double-pressed Confirm: one order, one hold.
    toast = await sub.press_data(confirm, message_id=order_message_id)
    assert "already used" in toast
    assert [r["n"] for r in await up.sql('SELECT COUNT(*) AS n FROM "order"')] == [1]

    # The order message (the summary the sub-agent confirmed) updates itself to delivered, codes masked.
    delivered = await sub.wait_for(
        lambda m: m["message_id"] == order_message_id and "delivered" in text_of(m) and "****" in text_of(m),
        timeout=60)
    assert "Order" in text_of(delivered)
    assert wallet(up, sami["id"])["available"] == "20.30"

    # Reveal shows the code in a message of its own, which is deleted BOT_REVEAL_SECONDS later.
    await sub.press("Reveal", message=delivered, expect="Code:")
    revealed = sub.find("Code:")
    masked = next(line for line in text_of(delivered).splitlines() if "****" in line)
    assert masked.strip("• ").replace("*", "")[-4:] in text_of(revealed)
    await telegram.wait_for(lambda: any(m["message_id"] == revealed["message_id"]
                                        for m in telegram.deleted_messages(SUB)), timeout=REVEAL_SECONDS + 15)
    code = text_of(revealed).split("Code:", 1)[1].split()[0]
    assert not any(code in text_of(m) for m in sub.messages)  # the code is nowhere in the chat any more

    # The agent's /report shows the sub-agent's sale and the commission accrued on it (5 % − 3 % of 10).
    report = await agent.send("/report", expect="Sub-agents")
    assert "Sami: one order, one card" in text_of(report)
    assert "your commission 0.20 USD" in text_of(report)
    assert "Commission earned: 0.20 USD" in text_of(report)

    # Refused: a frozen party reads, but cannot order.
    assert "is frozen" in up.steller("party", "freeze", str(sami["id"]))
    before = await counts(up)
    await sub.send("/order", expect="This account is not active right now")
    await sub.send("/wallet", expect="Balance: 20.30 USD")
    assert await counts(up) == before

    await agent.wait_for("100.00 USD was added to your wallet", timeout=max(5.0, 65 - (time.monotonic() - topped_up)))

    # The books balance, and no update ended in an unhandled exception.
    assert "ledger ok" in up.steller("check")
    assert up.events_named("bot_update_failed") == []
    assert time.monotonic() - started < 150

