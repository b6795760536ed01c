"""/party, /tree, /freeze and /unfreeze through the real dispatcher: a party's card (place in the tree,
balances, latest orders), the hierarchy paged with balances, freezing and unfreezing once per confirmation
— and non-admins, typed or with forged buttons, changing nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.flows.admin.callbacks import ConfirmCb, PartyCb
from bot.flows.admin.common import AdminCb
from core.audit.models import AuditEntry
from core.catalog import cardlists
from core.db import atomic
from core.orders import service as orders
from core.parties import service as parties
from core.parties.models import Party, PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, STRANGER = 7001, 7101, 7199


@pytest.fixture(autouse=True)
def roomy_throttle(monkeypatch):
    """Admin journeys press many buttons; throttling has its own tests."""
    monkeypatch.setenv("BOT_THROTTLE_UPDATES", "100")


@pytest.fixture
async def admin():
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=ADMIN_ID)
    return ADMIN_ID


@pytest.fixture
async def network():
    agent = await make_party(PartyKind.AGENT, name="Top Agent", funds=100_00)
    sara = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sara")
    leaf = await make_party(PartyKind.SUBAGENT, parent=sara, name="Leaf Shop")
    await make_member(agent, telegram_user_id=OWNER)
    return agent, sara, leaf


async def status_of(party: Party) -> PartyStatus:
    return (await Party.get(id=party.id)).status


# --- The card ----------------------------------------------------------------------------------


async def test_the_card_shows_place_balances_members_and_latest_orders(harness, admin, network):
    agent, sara, leaf = network
    await make_product(9401, face=("1", "500"), brand_name="Gift")
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await cardlists.put_item(card_list=await cardlists.default_agent_list(actor=ADMIN), product_id=9401,
                                 actor=ADMIN)
        await orders.create_order(actor=ADMIN, party_id=agent.id, product_id=9401, face_value=Decimal(20),
                                  quantity=2)
    await harness.send(ADMIN_ID, "/party Top Agent")
    card = harness.last_text(ADMIN_ID)
    assert card.startswith(f"🔎 Top Agent · #{agent.id}") and "agent · ✅ active · level 1 · USD" in card
    assert "Place: Steller › Top Agent" in card and "Below it: one account · members: 1" in card
    assert "Available: 62.00 USD · held: 38.00 USD" in card  # the order's hold
    assert "Latest orders:" in card and "2 × Gift" in card and "38.00 USD" in card
    labels = [label for label, _ in harness.buttons(ADMIN_ID)]
    assert labels == ["❄️ Freeze", "💰 Credit", "🧾 Adjust", "💳 Limit", "👥 Children (1)", "🛠 Admin menu"]
    await harness.send(ADMIN_ID, f"/party {leaf.id}")
    card = harness.last_text(ADMIN_ID)
    assert "Place: Steller › Top Agent › Sara › Leaf Shop" in card and "No orders yet." in card
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "⬆️ Sara"))
    assert harness.last_text(ADMIN_ID).startswith(f"🔎 Sara · #{sara.id}")


async def test_the_card_from_the_menu_asks_for_the_party_and_unknown_names_are_said(harness, admin, network):
    agent, _, _ = network
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="party").pack())
    await harness.send(ADMIN_ID, "Nobody")
    assert "No party has the id or the name “Nobody”" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, f"#{agent.id}")
    assert harness.last_text(ADMIN_ID).startswith(f"🔎 Top Agent · #{agent.id}")
    await harness.send(ADMIN_ID, "/party 424242")
    assert "No party has the id or the name “424242”" in harness.last_text(ADMIN_ID)


# --- The tree ----------------------------------------------------------------------------------


async def test_the_tree_pages_the_top_level_and_opens_children_with_balances(harness, admin, network):
    agent, sara, leaf = network
    for i in range(8):
        await make_party(PartyKind.AGENT, name=f"Agent {i}")
    await harness.send(ADMIN_ID, "/tree")
    text = harness.last_text(ADMIN_ID)
    assert text.startswith("🌳 Top level: 9 accounts") and "Page 1 of 2" in text
    assert f"1. Top Agent #{agent.id} · agent · ✅ active · 100.00 USD · 1 below" in text
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Next"))
    assert "Page 2 of 2" in harness.last_text(ADMIN_ID) and "9. Agent 7" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, PartyCb(action="tree", party=agent.id).pack())
    text = harness.last_text(ADMIN_ID)
    assert text.startswith(f"🌳 Under Top Agent (#{agent.id}): one account") and "1. Sara" in text
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "▾ 1"))
    assert "Under Sara" in harness.last_text(ADMIN_ID) and "Leaf Shop" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Up"))
    assert "Under Top Agent" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "1. Sara"))
    assert harness.last_text(ADMIN_ID).startswith(f"🔎 Sara · #{sara.id}")
    assert len(harness.api.sent_messages(ADMIN_ID)) == 1  # navigation edits the one message
    await harness.send(ADMIN_ID, "/tree Sara")
    assert "Under Sara" in harness.last_text(ADMIN_ID) and leaf.name in harness.last_text(ADMIN_ID)


# --- Freezing ----------------------------------------------------------------------------------


async def test_freeze_asks_first_works_once_and_unfreeze_lifts_it(harness, admin, network):
    agent, _, _ = network
    await harness.send(ADMIN_ID, f"/freeze {agent.id}")
    assert "Freeze Top Agent" in harness.last_text(ADMIN_ID)
    assert await status_of(agent) == PartyStatus.ACTIVE
    confirm = next(d for _, d in harness.buttons(ADMIN_ID) if d.startswith("acf:freeze:ok:"))
    update = await harness.press(ADMIN_ID, confirm)
    assert await status_of(agent) == PartyStatus.FROZEN
    text = harness.last_text(ADMIN_ID)
    assert text.startswith("❄️ Top Agent is frozen.") and "Frozen by Steller." in text
    await harness.press(ADMIN_ID, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    entries = await AuditEntry.filter(action="party.status.frozen", object_id=str(agent.id))
    assert [e.request_id for e in entries] == [f"tg:{ADMIN_ID}:{update['update_id']}"]
    await harness.send(ADMIN_ID, f"/freeze {agent.id}")  # frozen already: nothing to confirm
    assert "only an active account can be frozen" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/unfreeze Top Agent")
    await harness.press(ADMIN_ID, next(d for _, d in harness.buttons(ADMIN_ID) if d.startswith("acf:unfreeze:ok:")))
    assert await status_of(agent) == PartyStatus.ACTIVE and "active again" in harness.last_text(ADMIN_ID)


async def test_a_frozen_party_cannot_order_or_move_money_until_unfrozen_from_its_card(harness, admin, network):
    _agent, sara, _ = network
    await harness.send(ADMIN_ID, f"/party {sara.id}")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Freeze"))
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Freeze"))
    assert await status_of(sara) == PartyStatus.FROZEN
    await harness.send(ADMIN_ID, f"/credit {sara.id} 5 FRZ-CARD")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Confirm"))
    assert "not active" in harness.toasts()[-1]
    await harness.send(ADMIN_ID, f"/party {sara.id}")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Unfreeze"))
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Unfreeze"))
    assert await status_of(sara) == PartyStatus.ACTIVE


async def test_freeze_from_the_menu_offers_whichever_applies(harness, admin, network):
    agent, _, _ = network
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=agent.id)
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="freeze").pack())
    await harness.send(ADMIN_ID, "Top Agent")
    assert "Unfreeze Top Agent" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Cancel"))
    assert await status_of(agent) == PartyStatus.FROZEN


async def test_a_pending_party_cannot_be_frozen(harness, admin):
    async with atomic():
        applicant = await parties.apply_as_agent(telegram_user_id=7601, display_name="Waiting")
    await harness.send(ADMIN_ID, f"/freeze {applicant.id}")
    assert "Waiting is ⏳ pending: only an active account can be frozen." in harness.last_text(ADMIN_ID)


async def test_non_admins_typing_or_forging_party_commands_change_nothing(harness, admin, network):
    agent, sara, _ = network
    await harness.send(ADMIN_ID, f"/freeze {sara.id}")
    confirm = next(d for _, d in harness.buttons(ADMIN_ID) if d.startswith("acf:freeze:ok:"))
    await harness.send(OWNER, "/nonsense")
    unknown = harness.last_text(OWNER)
    for command in (f"/party {agent.id}", "/tree", f"/freeze {sara.id}", f"/unfreeze {sara.id}"):
        await harness.send(OWNER, command)
        assert harness.last_text(OWNER) == unknown
    for data in (confirm, ConfirmCb(kind="freeze", action="ok", token="abcdefabcdef").pack(),
                 PartyCb(action="card", party=agent.id).pack(), PartyCb(action="tree").pack(),
                 PartyCb(action="freeze", party=sara.id).pack()):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert await status_of(sara) == PartyStatus.ACTIVE
    await harness.press(ADMIN_ID, confirm)  # the admin's confirmation still works
    assert await status_of(sara) == PartyStatus.FROZEN
