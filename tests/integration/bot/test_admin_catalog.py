"""/discount and /cardlist through the real dispatcher: a discount confirmed once with an example price before
and after, the guided way from the /admin menu, card lists viewed, reordered, added to by search and
removed from — and every refusal: non-admins (typed or forged), junk arguments, a discount above the
parent's, a second press, a shape that does not fit the card."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.flows.admin.common import AdminCb
from bot.flows.admin_catalog.callbacks import CardListCb, DiscountCb
from core.audit.models import AuditEntry
from core.catalog import cardlists
from core.catalog.models import CardList, CardListItem, CardMode
from core.db import atomic
from core.parties import service as parties
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.pricing.models import Discount
from tests.factories import ADMIN, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, SUB_OWNER = 7201, 7211, 7212
STEAM, APPLE, XBOX = 9001, 9002, 9003


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
async def shop():
    """Steam (fixed 10), Apple (5–200) and Xbox (1–100) on the default list, in that order; an agent "Top
    Agent" (owner OWNER) with a sub-agent (owner SUB_OWNER)."""
    await make_product(STEAM, face="10", brand_name="Steam")
    await make_product(APPLE, face=("5", "200"), brand_name="Apple")
    await make_product(XBOX, face=("1", "100"), brand_name="Xbox")
    async with atomic():
        default = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=default, product_id=STEAM, actor=ADMIN, denominations=["10"])
        await cardlists.put_item(card_list=default, product_id=APPLE, actor=ADMIN, denominations=["100"])
        await cardlists.put_item(card_list=default, product_id=XBOX, actor=ADMIN)
    agent = await make_party(PartyKind.AGENT, name="Top Agent", funds=500_00)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent, name="Little Shop", funds=100_00)
    await make_member(agent, telegram_user_id=OWNER)
    await make_member(sub, telegram_user_id=SUB_OWNER)
    return agent, sub


def data_of(harness, prefix: str, action: str, user: int = ADMIN_ID) -> str:
    return next(data for _, data in harness.buttons(user) if data.startswith(f"{prefix}:{action}:"))


async def discounts() -> list[tuple]:
    return [(d.party_kind, d.party_id, d.brand_id, d.product_id, d.rate)
            for d in await Discount.all().order_by("id")]


async def default_order() -> list[int]:
    return [i.product_id for i in await cardlists.list_items(await cardlists.default_list(actor=ADMIN))]


# --- /discount --------------------------------------------------------------------------------------


async def test_a_kind_discount_is_confirmed_with_an_example_price_and_set_once(harness, admin, shop):
    await harness.send(ADMIN_ID, "/discount agent 5")
    summary = harness.last_text(ADMIN_ID)
    assert "agents (the default) on all cards to 5 % off face value" in summary
    assert "Top Agent pays 10.00 USD now for Steam 10 (10 USD)" in summary
    assert await discounts() == []
    confirm = data_of(harness, "adc", "ok")
    update = await harness.press(ADMIN_ID, confirm)
    done = harness.last_text(ADMIN_ID)
    assert "The discount of agents (the default) on all cards is 5 %" in done
    assert "Top Agent pays for Steam 10 (10 USD): 10.00 USD → 9.50 USD" in done
    assert await discounts() == [("agent", None, None, None, Decimal("0.0500"))]
    entry = await AuditEntry.get(action="pricing.discount")
    assert entry.actor == f"tg:{ADMIN_ID}"
    assert entry.request_id == f"tg:{ADMIN_ID}:{update['update_id']}"

    await harness.press(ADMIN_ID, confirm)  # the same Confirm again: nothing more happens
    assert "already used" in harness.toasts()[-1]
    assert await AuditEntry.filter(action="pricing.discount").count() == 1


async def test_a_partys_discount_on_one_brand_by_name(harness, admin, shop):
    agent, _ = shop
    await harness.send(ADMIN_ID, '/discount "Top Agent" 3.5 brand:apple')
    summary = harness.last_text(ADMIN_ID)
    assert "Top Agent (#" in summary and "brand Apple" in summary and "3.5 %" in summary
    assert "pays 100.00 USD now for Apple" in summary
    await harness.press(ADMIN_ID, data_of(harness, "adc", "ok"))
    apple = await make_product_brand(APPLE)
    assert await discounts() == [(None, agent.id, apple, None, Decimal("0.0350"))]
    assert "100.00 USD → 96.50 USD" in harness.last_text(ADMIN_ID)


async def make_product_brand(product_id: int) -> int:
    from core.catalog.models import Product

    return (await Product.get(id=product_id)).brand_id


async def test_a_discount_above_the_parents_is_refused_and_the_confirm_can_be_pressed_again(harness, admin, shop):
    agent, sub = shop
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_id=agent.id)
    await harness.send(ADMIN_ID, f"/discount {sub.id} 7 {STEAM}")
    assert "card Steam 10" in harness.last_text(ADMIN_ID)
    confirm = data_of(harness, "adc", "ok")
    await harness.press(ADMIN_ID, confirm)
    assert "cannot be above its parent" in harness.toasts()[-1]
    assert len(await discounts()) == 1
    assert await AuditEntry.filter(action="pricing.discount").count() == 1
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.08", party_id=agent.id)
    await harness.press(ADMIN_ID, confirm)  # fixed meanwhile: the same Confirm now works
    assert (None, sub.id, None, STEAM, Decimal("0.0700")) in await discounts()


async def test_cancel_changes_nothing_and_its_confirm_is_gone(harness, admin, shop):
    await harness.send(ADMIN_ID, "/discount subagent 2")
    confirm = data_of(harness, "adc", "ok")
    await harness.press(ADMIN_ID, data_of(harness, "adc", "no"))
    assert "No discount was changed" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await discounts() == []


async def test_the_guided_discount_asks_whose_which_cards_and_how_much(harness, admin, shop):
    await harness.send(ADMIN_ID, "/discount")
    assert "whose discount" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, AdminCb(area="discount").pack())  # the /admin menu's button: the same start
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Sub-agents"))
    assert "Discount of sub-agents (the default): on which cards?" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "One card"))
    await harness.send(ADMIN_ID, "12345")  # no such card: told, the question stays
    assert "No card has the id" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, str(XBOX))
    assert "type the percentage" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "two")
    assert "not a percentage" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "2,5")
    assert "card Xbox" in harness.last_text(ADMIN_ID) and "2.5 %" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, data_of(harness, "adc", "ok"))
    assert await discounts() == [("subagent", None, None, XBOX, Decimal("0.0250"))]
    await harness.press(ADMIN_ID, data_of(harness, "adc", "list"))
    assert "One discount is set" in harness.last_text(ADMIN_ID)
    assert "sub-agents (the default), card Xbox" in harness.last_text(ADMIN_ID)


async def test_the_guided_discount_for_one_party_on_one_brand(harness, admin, shop):
    agent, _ = shop
    await harness.send(ADMIN_ID, "/discount")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "One party"))
    await harness.send(ADMIN_ID, "Nobody Here")
    assert "No party has the id or the name" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "Top Agent")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "One brand"))
    await harness.send(ADMIN_ID, "Steam")
    await harness.send(ADMIN_ID, "4")
    await harness.press(ADMIN_ID, data_of(harness, "adc", "ok"))
    assert await discounts() == [(None, agent.id, await make_product_brand(STEAM), None, Decimal("0.0400"))]


@pytest.mark.parametrize("text, answer", [
    ("/discount agent five", "not a percentage"),
    ("/discount agent 100", "not a percentage"),
    ("/discount agent -3", "not a percentage"),
    ("/discount nobody 5", "No party has the id or the name"),
    ("/discount agent 5 brand:Nope", "No brand has the id or the name"),
    ("/discount agent 5 product:77", "No card has the id"),
    ("/discount agent 5 Steam extra", "Use: /discount"),
    ('/discount "agent 5', "Use: /discount"),
])
async def test_arguments_that_cannot_be_read_get_a_clear_answer_and_set_nothing(harness, admin, shop, text, answer):
    await harness.send(ADMIN_ID, text)
    assert answer in harness.last_text(ADMIN_ID)
    assert await discounts() == [] and not await AuditEntry.filter(action="pricing.discount").exists()


async def test_non_admins_get_the_unknown_answer_and_forged_discount_buttons_change_nothing(harness, admin, shop):
    await harness.send(OWNER, "/nonsense")
    unknown = harness.last_text(OWNER)
    for text in ("/discount agent 5", "/discount", "/cardlist", "/cardlist default"):
        await harness.send(OWNER, text)
        assert harness.last_text(OWNER) == unknown
    await harness.send(ADMIN_ID, "/discount agent 5")
    confirm = data_of(harness, "adc", "ok")
    await harness.send(OWNER, "/menu")
    for data in (confirm, DiscountCb(action="kind", kind="agent").pack(), AdminCb(area="discount").pack()):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert await discounts() == []
    await harness.press(ADMIN_ID, confirm)  # the admin's own confirmation still works
    assert len(await discounts()) == 1


async def test_an_admin_whose_rights_were_revoked_cannot_confirm_a_discount(harness, admin, shop):
    from core.access.actor import Actor

    await harness.send(ADMIN_ID, "/discount agent 5")
    confirm = data_of(harness, "adc", "ok")
    async with atomic():
        await parties.revoke_admin(actor=Actor.admin(label="other", telegram_user_id=1), telegram_user_id=ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert "no longer valid" in harness.toasts()[-1]
    assert await discounts() == []


# --- /cardlist ---------------------------------------------------------------------------------------


async def test_the_default_list_shows_its_cards_in_order_and_arrows_move_them(harness, admin, shop):
    await harness.send(ADMIN_ID, "/cardlist default")
    text = harness.last_text(ADMIN_ID)
    assert "Default agent list: 3 cards" in text
    assert text.index("1. Steam 10") < text.index("2. Apple") < text.index("3. Xbox")
    assert "10 USD" in text and "any amount 1–100 USD" in text
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    await harness.press(ADMIN_ID, CardListCb(action="down", party=0, product=STEAM).pack())
    assert await default_order() == [APPLE, STEAM, XBOX]
    assert len(harness.api.sent_messages(ADMIN_ID)) == 1  # edited in place
    assert harness.api.sent_messages(ADMIN_ID)[0]["message_id"] == message_id
    assert "1. Apple" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, CardListCb(action="up", party=0, product=APPLE).pack())
    assert "already the first card" in harness.toasts()[-1]
    assert await default_order() == [APPLE, STEAM, XBOX]
    assert await AuditEntry.filter(action="cardlist.move").count() == 1


async def test_an_agent_orders_from_the_list_in_the_order_the_admin_set(harness, admin, shop):
    await harness.send(ADMIN_ID, "/cardlist")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Default agent list"))
    await harness.press(ADMIN_ID, CardListCb(action="up", party=0, product=XBOX).pack())
    await harness.press(ADMIN_ID, CardListCb(action="up", party=0, product=XBOX).pack())
    await harness.send(OWNER, "/order")
    cards = [text for text, data in harness.buttons(OWNER) if data.startswith("o:card:")]
    assert cards == ["Xbox ('1', '100')", "Steam 10", "Apple ('5', '200')"]


async def test_adding_cards_by_search_fixed_range_and_amounts(harness, admin, shop):
    await make_product(9004, face=("10", "500"), brand_name="Netflix")
    await make_product(9005, face="25", brand_name="Netflix")
    await harness.send(ADMIN_ID, "/cardlist default")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Add a card"))
    await harness.send(ADMIN_ID, "zzz")
    assert "No card in the catalog matches" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "netfl")
    assert "Cards matching “netfl”" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, CardListCb(action="pick", party=0, product=9005).pack())  # fixed: added at once
    assert "Netflix 25 is on the list" in harness.last_text(ADMIN_ID)

    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Add a card"))
    await harness.send(ADMIN_ID, "9004")
    await harness.press(ADMIN_ID, CardListCb(action="pick", party=0, product=9004).pack())
    assert "any amount from 10 USD to 500 USD" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Fixed amounts"))
    await harness.send(ADMIN_ID, "ten, twenty")
    assert "not amounts" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "20, 1000")
    assert "every amount must lie within 10 USD–500 USD" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "20, 50, 100")
    assert "Netflix ('10', '500') is on the list" in harness.last_text(ADMIN_ID)
    item = await CardListItem.get(product_id=9004)
    assert (item.mode, item.denominations) == (CardMode.FIXED, ["20", "50", "100"])

    await harness.press(ADMIN_ID, CardListCb(action="pick", party=0, product=9004).pack())  # change it: a range
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "narrower range"))
    await harness.send(ADMIN_ID, "25 to 30")
    assert "not a range" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "25-300")
    item = await CardListItem.get(product_id=9004)
    assert (item.mode, item.min_face, item.max_face) == (CardMode.RANGE, Decimal(25), Decimal(300))
    assert await default_order() == [STEAM, APPLE, XBOX, 9005, 9004]  # new cards go last; a change keeps its place
    assert await AuditEntry.filter(action="cardlist.put").count() == 3 + 3


async def test_removing_a_card_asks_first_and_a_second_press_changes_nothing(harness, admin, shop):
    await harness.send(ADMIN_ID, "/cardlist default")
    await harness.press(ADMIN_ID, CardListCb(action="item", party=0, product=APPLE).pack())
    assert "Place 2 of 3" in harness.last_text(ADMIN_ID) and "Offered: 100 USD" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Remove"))
    assert "Remove Apple" in harness.last_text(ADMIN_ID)
    assert await default_order() == [STEAM, APPLE, XBOX]
    yes = harness.button(ADMIN_ID, "Yes, remove")
    await harness.press(ADMIN_ID, yes)
    assert "Removed" in harness.last_text(ADMIN_ID) and await default_order() == [STEAM, XBOX]
    await harness.press(ADMIN_ID, yes)
    assert "not on this list" in harness.toasts()[-1]
    assert await default_order() == [STEAM, XBOX]
    assert await AuditEntry.filter(action="cardlist.remove").count() == 1


async def test_a_party_starts_its_own_list_from_a_copy_of_the_default_and_can_drop_it(harness, admin, shop):
    agent, _ = shop
    await harness.send(ADMIN_ID, '/cardlist "Top Agent"')
    assert "has no list of its own: it buys from the default agent list (3 cards)" in harness.last_text(ADMIN_ID)
    copy = harness.button(ADMIN_ID, "copy of the default")
    await harness.press(ADMIN_ID, copy)
    assert "Own list of Top Agent" in harness.last_text(ADMIN_ID)
    own = await CardList.get(party_id=agent.id)
    assert [i.product_id for i in await cardlists.list_items(own)] == [STEAM, APPLE, XBOX]
    await harness.press(ADMIN_ID, CardListCb(action="rmok", party=agent.id, product=STEAM).pack())
    await harness.send(OWNER, "/order")
    assert [t for t, d in harness.buttons(OWNER) if d.startswith("o:card:")] == ["Apple ('5', '200')",
                                                                                 "Xbox ('1', '100')"]
    await harness.press(ADMIN_ID, copy)  # pressed again: its list stays as it is
    assert "already has a list of its own" in harness.toasts()[-1]
    assert len(await cardlists.list_items(own)) == 2

    await harness.press(ADMIN_ID, CardListCb(action="open", party=agent.id).pack())
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Drop its own list"))
    drop = harness.button(ADMIN_ID, "Yes, drop")
    await harness.press(ADMIN_ID, drop)
    assert not await CardList.filter(party_id=agent.id).exists()
    await harness.press(ADMIN_ID, drop)
    assert "has no list of its own" in harness.toasts()[-1]


async def test_a_refused_first_card_leaves_the_party_on_the_default_list(harness, admin, shop):
    agent, _ = shop
    await harness.send(ADMIN_ID, f"/cardlist {agent.id}")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "starts its own list"))
    await harness.send(ADMIN_ID, "apple")
    await harness.press(ADMIN_ID, CardListCb(action="pick", party=agent.id, product=APPLE).pack())
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "narrower range"))
    await harness.send(ADMIN_ID, "1-1000")
    assert "every amount must lie within" in harness.last_text(ADMIN_ID)
    assert not await CardList.filter(party_id=agent.id).exists()  # no empty own list hiding the default
    await harness.send(ADMIN_ID, "5-50")
    own = await CardList.get(party_id=agent.id)
    assert [i.product_id for i in await cardlists.list_items(own)] == [APPLE]


async def test_forged_card_list_buttons_from_a_non_admin_change_nothing(harness, admin, shop):
    agent, _ = shop
    await harness.send(OWNER, "/menu")
    forged = [CardListCb(action="rmok", party=0, product=STEAM).pack(),
              CardListCb(action="down", party=0, product=STEAM).pack(),
              CardListCb(action="copy", party=agent.id).pack(),
              CardListCb(action="full", party=0, product=APPLE).pack(),
              AdminCb(area="cardlist").pack()]
    for data in forged:
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    await harness.send(7299, "/start")
    await harness.press(7299, forged[0])
    assert "no longer valid" in harness.toasts()[-1]
    assert await default_order() == [STEAM, APPLE, XBOX]
    assert not await CardList.filter(party_id=agent.id).exists()
    assert not await AuditEntry.filter(action__startswith="cardlist.").exclude(action="cardlist.put").exclude(
        action="cardlist.create").exists()


async def test_a_stale_card_button_is_refused_politely(harness, admin, shop):
    await harness.send(ADMIN_ID, "/cardlist default")
    await harness.press(ADMIN_ID, CardListCb(action="up", party=0, product=424242).pack())
    assert "not on this list" in harness.toasts()[-1]
    await harness.press(ADMIN_ID, CardListCb(action="open", party=987654).pack())
    assert harness.toasts()[-1]  # a party that does not exist: refused, nothing shown
    await harness.press(ADMIN_ID, CardListCb(action="more", party=0, page=5).pack())  # no search running
    assert "no longer valid" in harness.toasts()[-1]
    assert await default_order() == [STEAM, APPLE, XBOX]
