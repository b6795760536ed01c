"""/subagents, /allocate and /reclaim through the real dispatcher: the list and a sub-agent's card, its orders
and report, freezing, and money moving parent ↔ child once per confirmation — with every refusal:
forged and stale buttons, a viewer, a frozen party, junk amounts, too much, a second press."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.flows.subagents.callbacks import FreezeCb, PickCb, SubCb
from core.catalog import cardlists
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.models import Operation, TransferKind
from core.notifications.models import Notification
from core.orders import service as orders
from core.orders.models import Order
from core.parties import service as parties
from core.parties.models import Party, PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, balance, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")

OWNER, MANAGER, VIEWER, SARA_OWNER, OMAR_OWNER, STRANGER, OTHER_AGENT = 8001, 8002, 8003, 8011, 8012, 8099, 8050


@pytest.fixture
async def tree():
    agent = await make_party(PartyKind.AGENT, name="Top Agent", funds=100_00)
    sara = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sara")
    omar = await make_party(PartyKind.SUBAGENT, parent=agent, name="Omar")
    async with atomic():
        await ledger.allocate(actor=ADMIN, parent_id=agent.id, child_id=omar.id, amount=20_00, idempotency_key="seed")
    await make_member(agent, telegram_user_id=OWNER)
    await make_member(sara, telegram_user_id=SARA_OWNER)
    await make_member(omar, telegram_user_id=OMAR_OWNER)
    return agent, sara, omar


async def _allocations() -> int:
    return await Operation.filter(kind=TransferKind.ALLOCATION).count()


async def _to_summary(harness, user: int, kind: str, child: Party, amount: str) -> str:
    """From the child's card: Allocate / Reclaim, type the amount; returns the Confirm button's data."""
    await harness.send(user, "/subagents")
    await harness.press(user, SubCb(action="open", child=child.id).pack())
    await harness.press(user, PickCb(kind=kind, child=child.id).pack())
    await harness.send(user, amount)
    return next(data for _, data in harness.buttons(user) if data.startswith(f"mv:{kind}:ok:"))


# --- The list and the card ---------------------------------------------------------------------


async def test_the_list_shows_each_child_with_status_balance_and_sales_and_opens_its_card(harness, tree):
    _agent, sara, _omar = tree
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=sara.id)
    await harness.send(OWNER, "/subagents")
    text = harness.last_text(OWNER)
    assert text.startswith("👥 2 sub-agents:")
    assert "1. Sara — ❄️ frozen · available 0.00 USD · sold this month 0.00 USD" in text
    assert "2. Omar — ✅ active · available 20.00 USD" in text
    await harness.press(OWNER, harness.button(OWNER, "2. Omar"))
    card = harness.last_text(OWNER)
    assert card.startswith("👤 Omar (sub-agent)") and "Available: 20.00 USD" in card and "0 orders" in card
    labels = [label for label, _ in harness.buttons(OWNER)]
    assert labels == ["💸 Allocate", "↩️ Reclaim", "❄️ Freeze", "📦 Orders", "📈 Report", "‹ Sub-agents"]
    await harness.press(OWNER, harness.button(OWNER, "Sub-agents"))
    assert harness.last_text(OWNER).startswith("👥 2 sub-agents:")
    assert len(harness.api.sent_messages(OWNER)) == 1  # navigation edits the one message


async def test_the_menu_button_opens_the_list_and_a_long_list_has_pages(harness, tree):
    agent, _, _ = tree
    for i in range(8):
        await make_party(PartyKind.SUBAGENT, parent=agent, name=f"Shop {i}")
    await harness.send(OWNER, "/menu")
    await harness.press(OWNER, harness.button(OWNER, "Sub-agents"))
    text = harness.last_text(OWNER)
    assert text.startswith("👥 10 sub-agents:") and "Page 1 of 2" in text and "8. Shop 5" in text
    await harness.press(OWNER, harness.button(OWNER, "Next"))
    text = harness.last_text(OWNER)
    assert "Page 2 of 2" in text and "9. Shop 6" in text and "10. Shop 7" in text and "Sara" not in text
    assert [label for label, _ in harness.buttons(OWNER)][-2:] == ["‹ Previous", "‹ Back"]


async def test_no_sub_agents_yet_points_to_invite(harness):
    agent = await make_party(PartyKind.AGENT)
    await make_member(agent, telegram_user_id=OWNER)
    await harness.send(OWNER, "/subagents")
    assert "no sub-agents yet" in harness.last_text(OWNER)
    await harness.send(OWNER, "/allocate")
    assert "no sub-agents yet" in harness.last_text(OWNER)


async def test_a_viewer_sees_no_money_buttons_and_a_manager_no_freeze(harness, tree):
    agent, _sara, _ = tree
    await make_member(agent, role="viewer", telegram_user_id=VIEWER)
    await make_member(agent, role="manager", telegram_user_id=MANAGER)
    await harness.send(VIEWER, "/subagents")
    await harness.press(VIEWER, harness.button(VIEWER, "Sara"))
    assert [label for label, _ in harness.buttons(VIEWER)] == ["📦 Orders", "📈 Report", "‹ Sub-agents"]
    await harness.send(MANAGER, "/subagents")
    await harness.press(MANAGER, harness.button(MANAGER, "Sara"))
    labels = [label for label, _ in harness.buttons(MANAGER)]
    assert "💸 Allocate" in labels and "❄️ Freeze" not in labels


async def test_a_stranger_opening_a_child_card_by_forged_data_is_refused_and_sees_nothing(harness, tree):
    _, sara, _ = tree
    await harness.send(STRANGER, "/start")
    before = list(harness.api.texts(STRANGER))
    for data in (SubCb(action="open", child=sara.id).pack(), SubCb(action="orders", child=sara.id).pack(),
                 SubCb(action="report", child=sara.id).pack(), PickCb(kind="allocate", child=sara.id).pack()):
        await harness.press(STRANGER, data)
    assert harness.api.texts(STRANGER) == before
    assert len(harness.toasts()) == 4 and all("not a member" in t for t in harness.toasts())


async def test_another_agents_member_cannot_open_or_fund_this_agents_child(harness, tree):
    _, sara, _ = tree
    other = await make_party(PartyKind.AGENT, name="Other", funds=50_00)
    await make_member(other, telegram_user_id=OTHER_AGENT)
    await harness.send(OTHER_AGENT, "/wallet")
    before = list(harness.api.texts(OTHER_AGENT))
    await harness.press(OTHER_AGENT, SubCb(action="open", child=sara.id).pack())
    await harness.press(OTHER_AGENT, PickCb(kind="allocate", child=sara.id).pack())
    assert harness.api.texts(OTHER_AGENT) == before
    assert all("not one of your direct sub-agents" in t for t in harness.toasts()[-2:])
    await harness.send(OTHER_AGENT, "5")  # no amount was asked for: nothing to confirm
    assert "did not understand" in harness.last_text(OTHER_AGENT)
    assert await balance(other.id) == 50_00


# --- Orders and report of a child ----------------------------------------------------------------


async def test_the_card_shows_the_childs_orders_and_its_report_with_the_parents_commission(harness, tree):
    agent, sara, _ = tree
    await make_product(9301, face=("1", "500"), brand_name="Gift")
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await pricing.set_discount(actor=ADMIN, rate="0.03", party_kind=PartyKind.SUBAGENT)
        await cardlists.put_item(card_list=await cardlists.default_agent_list(actor=ADMIN), product_id=9301,
                                 actor=ADMIN)
        await ledger.allocate(actor=ADMIN, parent_id=agent.id, child_id=sara.id, amount=50_00, idempotency_key="o")
        created = await orders.create_order(actor=ADMIN, party_id=sara.id, product_id=9301,
                                            face_value=Decimal(20), quantity=2)
    await Order.filter(id=created.order.id).update(status="completed", cards_delivered=2,
                                                   completed_at=datetime.now(UTC))
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, SubCb(action="open", child=sara.id).pack())
    assert "This month: 38.80 USD sold · one order · 2 cards" in harness.last_text(OWNER)
    await harness.press(OWNER, harness.button(OWNER, "Orders"))
    text = harness.last_text(OWNER)
    assert text.startswith("📦 Recent orders of Sara:") and "✅ delivered" in text and "2 × Gift" in text
    assert "38.80 USD" in text
    await harness.press(OWNER, harness.button(OWNER, "Back"))
    await harness.press(OWNER, harness.button(OWNER, "Report"))
    text = harness.last_text(OWNER)
    assert text.startswith("📈 Sara — This month") and "Sold: 38.80 USD · one order · 2 cards" in text
    assert "Your commission on these sales: 0.80 USD" in text  # 2 % of 40.00 face
    await harness.press(OWNER, harness.button(OWNER, "Today"))
    assert harness.last_text(OWNER).startswith("📈 Sara — Today")
    assert "• Today" in [label for label, _ in harness.buttons(OWNER)]


async def test_a_forged_report_period_is_refused(harness, tree):
    _, sara, _ = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, SubCb(action="report", child=sara.id, period="year").pack())
    assert "no longer valid" in harness.toasts()[-1]


# --- Allocate ----------------------------------------------------------------------------------


async def test_allocating_from_the_command_moves_the_money_once_and_tells_the_child(harness, tree, redis):
    agent, sara, _ = tree
    await harness.send(OWNER, "/allocate")
    assert harness.last_text(OWNER).startswith("💸 Send money to which sub-agent?")
    await harness.press(OWNER, harness.button(OWNER, "Sara · 0.00 USD"))
    assert "How much do you want to send to Sara?" in harness.last_text(OWNER)
    assert "You have 80.00 USD available" in harness.last_text(OWNER)
    await harness.send(OWNER, "12,5")
    assert harness.last_text(OWNER) == ("💸 Send 12.50 USD from Top Agent to Sara?\n"
                                        "Your balance after: 67.50 USD")
    await harness.press(OWNER, harness.button(OWNER, "Confirm"))
    assert harness.last_text(OWNER).startswith("✅ Sent 12.50 USD to Sara")
    assert "Your available balance: 67.50 USD" in harness.last_text(OWNER)
    assert (await balance(agent.id), await balance(sara.id)) == (67_50, 12_50)
    [told] = await Notification.filter(telegram_user_id=SARA_OWNER)
    assert told.event_type == "wallet.credited.allocation"
    assert await redis.exists(f"arq:job:deliver_notification:{told.id}:0")  # enqueued after commit
    await harness.press(OWNER, harness.button(OWNER, "Sara"))
    assert "Available: 12.50 USD" in harness.last_text(OWNER)


async def test_a_double_pressed_confirm_moves_money_once(harness, tree):
    agent, sara, _ = tree
    confirm = await _to_summary(harness, OWNER, "allocate", sara, "10")
    allocations = await _allocations()
    await harness.press(OWNER, confirm)
    await harness.press(OWNER, confirm)
    assert (await balance(agent.id), await balance(sara.id)) == (70_00, 10_00)
    assert await _allocations() == allocations + 1
    assert "already used or has expired" in harness.toasts()[-1]


async def test_a_non_number_amount_moves_nothing_and_the_question_stays_open(harness, tree):
    agent, sara, _ = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, PickCb(kind="allocate", child=sara.id).pack())
    for junk in ("ten", "12.505", "-5", "0", "1e3"):
        await harness.send(OWNER, junk)
        assert harness.last_text(OWNER).startswith("That is not an amount"), junk
    assert await balance(agent.id) == 80_00
    await harness.send(OWNER, "٥")  # Arabic-Indic five
    assert harness.last_text(OWNER).startswith("💸 Send 5.00 USD from Top Agent to Sara?")
    assert await balance(agent.id) == 80_00  # nothing moves before Confirm


async def test_cancel_leaves_the_question_and_nothing_moves(harness, tree):
    agent, sara, _ = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, PickCb(kind="allocate", child=sara.id).pack())
    await harness.send(OWNER, "/cancel")
    assert harness.last_text(OWNER) == "Cancelled: no money moved."
    await harness.send(OWNER, "5")
    assert "did not understand" in harness.last_text(OWNER)
    await harness.press(OWNER, PickCb(kind="allocate", child=sara.id).pack())
    await harness.send(OWNER, "5")
    confirm = harness.button(OWNER, "Confirm")
    await harness.press(OWNER, harness.button(OWNER, "Cancel"))
    assert harness.last_text(OWNER) == "Cancelled: no money moved."
    await harness.press(OWNER, confirm)  # the cancelled summary's Confirm is spent
    assert "already used" in harness.toasts()[-1] and await balance(agent.id) == 80_00


async def test_the_questions_cancel_button_ends_it(harness, tree):
    _, sara, _ = tree
    await harness.send(OWNER, "/reclaim")
    await harness.press(OWNER, PickCb(kind="reclaim", child=sara.id).pack())
    await harness.press(OWNER, harness.button(OWNER, "Cancel"))
    assert harness.last_text(OWNER) == "Cancelled: no money moved."
    await harness.send(OWNER, "5")
    assert "did not understand" in harness.last_text(OWNER)


async def test_an_allocation_above_the_balance_is_refused_and_moves_nothing(harness, tree):
    agent, sara, _ = tree
    confirm = await _to_summary(harness, OWNER, "allocate", sara, "80.01")
    assert "You have only 80.00 USD available: this would be refused." in harness.last_text(OWNER)
    await harness.press(OWNER, confirm)
    assert "not enough money" in harness.toasts()[-1]
    assert (await balance(agent.id), await balance(sara.id)) == (80_00, 0)
    assert not await Operation.filter(idempotency_key__startswith="allocation:", kind=TransferKind.ALLOCATION,
                                      reference=f"party:{sara.id}").exists()
    async with atomic():  # once the money is there, the same Confirm works (the refusal rolled back)
        await ledger.topup(actor=ADMIN, party_id=agent.id, amount=1_00, reference="more")
    await harness.press(OWNER, confirm)
    assert (await balance(agent.id), await balance(sara.id)) == (99, 80_01)


async def test_a_sub_agent_pressing_its_agents_forged_confirm_moves_nothing(harness, tree):
    agent, sara, _ = tree
    confirm = await _to_summary(harness, OWNER, "allocate", sara, "25")
    summary = harness.api.sent_messages(OWNER)[-1]["message_id"]
    await harness.send(SARA_OWNER, "/menu")
    await harness.press(SARA_OWNER, confirm)  # the agent's token, under the sub-agent's user id
    await harness.press(SARA_OWNER, confirm, message_id=summary, chat_id=OWNER)
    assert all("already used or has expired" in t for t in harness.toasts()[-2:])
    assert (await balance(agent.id), await balance(sara.id)) == (80_00, 0)
    await harness.press(OWNER, confirm)  # the rightful press still works
    assert (await balance(agent.id), await balance(sara.id)) == (55_00, 25_00)


async def test_a_viewer_cannot_start_or_confirm_an_allocation(harness, tree):
    agent, sara, _ = tree
    await make_member(agent, role="viewer", telegram_user_id=VIEWER)
    await harness.send(VIEWER, "/allocate")
    assert harness.last_text(VIEWER) == "Your role in this account does not allow that."
    await harness.press(VIEWER, PickCb(kind="allocate", child=sara.id).pack())
    assert "does not allow" in harness.toasts()[-1]
    await harness.send(VIEWER, "5")
    assert "did not understand" in harness.last_text(VIEWER)  # no question was ever opened
    confirm = await _to_summary(harness, OWNER, "allocate", sara, "5")
    await harness.press(VIEWER, confirm)
    assert "already used" in harness.toasts()[-1] and await balance(sara.id) == 0


async def test_a_frozen_party_is_told_at_once_and_a_confirm_from_before_the_freeze_moves_nothing(harness, tree):
    agent, sara, _ = tree
    confirm = await _to_summary(harness, OWNER, "allocate", sara, "5")
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=agent.id, to=PartyStatus.FROZEN)
    await harness.press(OWNER, confirm)
    assert "not active right now" in harness.toasts()[-1]
    await harness.send(OWNER, "/allocate")
    assert "not active right now" in harness.last_text(OWNER)
    await harness.send(OWNER, "/wallet")  # a frozen party still reads
    assert "Balance: 80.00 USD" in harness.last_text(OWNER)
    assert (await balance(agent.id), await balance(sara.id)) == (80_00, 0)


async def test_frozen_while_typing_the_amount_is_refused_and_the_question_ends(harness, tree):
    agent, sara, _ = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, PickCb(kind="allocate", child=sara.id).pack())
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=agent.id, to=PartyStatus.FROZEN)
    await harness.send(OWNER, "5")
    assert "not active right now" in harness.last_text(OWNER)
    await harness.send(OWNER, "5")
    assert "did not understand" in harness.last_text(OWNER)
    await harness.press(OWNER, PickCb(kind="allocate", child=sara.id).pack())
    assert "not active right now" in harness.toasts()[-1]


async def test_money_to_a_frozen_child_is_refused(harness, tree):
    agent, _, omar = tree
    confirm = await _to_summary(harness, OWNER, "allocate", omar, "5")
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=omar.id)
    await harness.press(OWNER, confirm)
    assert "not active right now" in harness.toasts()[-1]
    assert (await balance(agent.id), await balance(omar.id)) == (80_00, 20_00)


# --- Reclaim -----------------------------------------------------------------------------------


async def test_reclaiming_moves_money_back_and_tells_the_parents_team(harness, tree):
    agent, _, omar = tree
    await harness.send(OWNER, "/reclaim")
    await harness.press(OWNER, harness.button(OWNER, "Omar · 20.00 USD"))
    assert "Omar has 20.00 USD available" in harness.last_text(OWNER)
    await harness.send(OWNER, "7.25")
    assert harness.last_text(OWNER) == ("↩️ Take 7.25 USD back from Omar to Top Agent?\n"
                                        "Omar keeps: 12.75 USD\nYour balance after: 87.25 USD")
    await harness.press(OWNER, harness.button(OWNER, "Confirm"))
    assert harness.last_text(OWNER).startswith("✅ Took 7.25 USD back from Omar")
    assert (await balance(agent.id), await balance(omar.id)) == (87_25, 12_75)
    assert await Notification.filter(telegram_user_id=OWNER).values_list("event_type", flat=True) == [
        "wallet.credited.reclaim"]


async def test_reclaim_never_takes_more_than_the_childs_available_balance(harness, tree):
    agent, _, omar = tree
    confirm = await _to_summary(harness, OWNER, "reclaim", omar, "20.01")
    assert "Omar has only 20.00 USD available: this would be refused." in harness.last_text(OWNER)
    await harness.press(OWNER, confirm)
    assert "not enough money" in harness.toasts()[-1]
    assert (await balance(agent.id), await balance(omar.id)) == (80_00, 20_00)


# --- Freeze / Unfreeze ---------------------------------------------------------------------------


async def test_freezing_and_unfreezing_a_child_from_its_card(harness, tree):
    _, _, omar = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, SubCb(action="open", child=omar.id).pack())
    await harness.press(OWNER, harness.button(OWNER, "Freeze"))
    assert harness.last_text(OWNER).startswith("❄️ Freeze Omar?")
    assert (await Party.get(id=omar.id)).status == PartyStatus.ACTIVE  # nothing before Confirm
    confirm = harness.button(OWNER, "Confirm")
    await harness.press(OWNER, confirm)
    assert (await Party.get(id=omar.id)).status == PartyStatus.FROZEN
    assert harness.last_text(OWNER).startswith("❄️ Omar is frozen.") and "Status: ❄️ frozen" in harness.last_text(OWNER)
    await harness.press(OWNER, confirm)
    assert "already used" in harness.toasts()[-1]
    await harness.press(OWNER, harness.button(OWNER, "Unfreeze"))
    await harness.press(OWNER, harness.button(OWNER, "Cancel"))
    assert (await Party.get(id=omar.id)).status == PartyStatus.FROZEN and "👤 Omar" in harness.last_text(OWNER)
    await harness.press(OWNER, harness.button(OWNER, "Unfreeze"))
    await harness.press(OWNER, harness.button(OWNER, "Confirm"))
    assert (await Party.get(id=omar.id)).status == PartyStatus.ACTIVE
    assert harness.last_text(OWNER).startswith("🔓 Omar is active again.")


async def test_a_manager_cannot_freeze_and_nobody_lifts_steller_s_freeze(harness, tree):
    agent, sara, omar = tree
    await make_member(agent, role="manager", telegram_user_id=MANAGER)
    await harness.send(MANAGER, "/subagents")
    await harness.press(MANAGER, SubCb(action="freeze", child=omar.id).pack())
    assert "does not allow" in harness.toasts()[-1]
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=sara.id)
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, SubCb(action="unfreeze", child=sara.id).pack())
    await harness.press(OWNER, harness.button(OWNER, "Confirm"))
    assert "only Steller can unfreeze it" in harness.toasts()[-1]
    assert (await Party.get(id=sara.id)).status == PartyStatus.FROZEN
    assert (await Party.get(id=omar.id)).status == PartyStatus.ACTIVE


async def test_a_forged_freeze_confirm_from_another_user_changes_nothing(harness, tree):
    _, _, omar = tree
    await harness.send(OWNER, "/subagents")
    await harness.press(OWNER, SubCb(action="freeze", child=omar.id).pack())
    token = FreezeCb.unpack(harness.button(OWNER, "Confirm")).token
    await harness.send(OMAR_OWNER, "/menu")
    await harness.press(OMAR_OWNER, FreezeCb(action="ok", child=omar.id, token=token).pack())
    assert "already used or has expired" in harness.toasts()[-1]
    assert (await Party.get(id=omar.id)).status == PartyStatus.ACTIVE


async def test_the_arabic_summary_names_both_parties_and_formats_the_money(harness, tree):
    _agent, sara, _ = tree
    from core.parties.models import Member

    await Member.filter(telegram_user_id=OWNER).update(language="ar")
    await _to_summary(harness, OWNER, "allocate", sara, "12.50")
    text = harness.last_text(OWNER)
    assert "إرسال" in text and "12.50 USD" in text and "Top Agent" in text and "Sara" in text


def test_every_text_the_flows_build_by_name_exists_in_every_language():
    from bot.flows.subagents.router import PERIODS
    from bot.i18n import available_languages, has_message
    from core.orders.models import OrderStatus

    keys = [f"subagents.{kind}.{step}" for kind in ("allocate", "reclaim") for step in ("pick", "ask", "summary",
                                                                                        "not_enough", "done")]
    keys += [f"subagents.{action}.{step}" for action in ("freeze", "unfreeze") for step in ("confirm", "done")]
    keys += [f"subagents.button.{action}" for action in ("freeze", "unfreeze")]
    keys += [f"subagents.status.{status.value}" for status in PartyStatus]
    keys += [f"subagents.kind.{kind.value}" for kind in PartyKind]
    keys += [f"subagents.order_status.{status.value}" for status in OrderStatus]
    keys += [f"subagents.period.{period}" for period in PERIODS]
    for language in available_languages():
        assert [key for key in keys if not has_message(key, language)] == [], language
