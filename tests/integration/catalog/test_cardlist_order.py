"""Card lists keep the order admins give them: new cards go last, move_item swaps neighbours (audited),
and what a party sees — its offers and its priced catalog, page by page — follows that order."""

from __future__ import annotations

import importlib

import pytest
from tortoise.connection import get_connection

from core.access.errors import NotAdmin
from core.audit.models import AuditEntry
from core.catalog import cardlists
from core.catalog.cardlists import InvalidCardListItem
from core.catalog.models import CardListItem
from core.catalog.offers import priced_catalog
from core.db import atomic
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party, make_product, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def _default_list_with(*product_ids: int):
    async with atomic():
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        for product_id in product_ids:
            await cardlists.put_item(card_list=card_list, product_id=product_id, actor=ADMIN,
                                     denominations=["10"])
    return card_list


async def _move(card_list, product_id: int, *, up: bool) -> bool:
    async with atomic():
        return await cardlists.move_item(actor=ADMIN, card_list=card_list, product_id=product_id, up=up)


async def _order(card_list) -> list[int]:
    return [item.product_id for item in await cardlists.list_items(card_list)]


async def test_new_cards_go_to_the_end_of_the_list_whatever_their_id():
    for product_id in (30, 10, 20):
        await make_product(product_id, face="10")
    card_list = await _default_list_with(30, 10, 20)
    assert await _order(card_list) == [30, 10, 20]
    items = await cardlists.list_items(card_list)
    assert [i.position for i in items] == [0, 1, 2] and items[0].product.name  # the product comes along


async def test_moving_a_card_swaps_it_with_its_neighbour_and_is_audited():
    for product_id in (1, 2, 3):
        await make_product(product_id, face="10")
    card_list = await _default_list_with(1, 2, 3)
    assert await _move(card_list, 3, up=True)
    assert await _order(card_list) == [1, 3, 2]
    assert await _move(card_list, 1, up=False)
    assert await _order(card_list) == [3, 1, 2]
    entry = await AuditEntry.filter(action="cardlist.move").order_by("-id").first()
    assert entry.object_id == str(card_list.id)
    assert entry.before == {"order": [1, 3, 2]} and entry.after["order"] == [3, 1, 2]


async def test_a_card_at_the_end_does_not_move_further_and_nothing_is_written():
    for product_id in (1, 2):
        await make_product(product_id, face="10")
    card_list = await _default_list_with(1, 2)
    assert not await _move(card_list, 1, up=True)
    assert not await _move(card_list, 2, up=False)
    assert await _order(card_list) == [1, 2]
    assert not await AuditEntry.filter(action="cardlist.move").exists()


async def test_moving_a_card_that_is_not_on_the_list_or_as_a_member_is_refused():
    await make_product(1, face="10")
    card_list = await _default_list_with(1)
    with pytest.raises(InvalidCardListItem):
        await _move(card_list, 99, up=True)
    member = await member_actor(await make_party(PartyKind.AGENT))
    with pytest.raises(NotAdmin):
        async with atomic():
            await cardlists.move_item(actor=member, card_list=card_list, product_id=1, up=True)


async def test_a_list_with_gaps_and_ties_is_renumbered_by_a_move():
    for product_id in (1, 2, 3):
        await make_product(product_id, face="10")
    card_list = await _default_list_with(1, 2, 3)
    await CardListItem.filter(card_list_id=card_list.id).update(position=5)  # ties: product id decides
    await CardListItem.filter(card_list_id=card_list.id, product_id=3).update(position=9)
    assert await _order(card_list) == [1, 2, 3]
    assert await _move(card_list, 3, up=True)
    assert [(i.product_id, i.position) for i in await cardlists.list_items(card_list)] == [(1, 0), (3, 1), (2, 2)]


async def test_a_party_sees_its_cards_in_list_order_page_by_page():
    for product_id in (1, 2, 3, 4, 5):
        await make_product(product_id, face="10", brand_name=f"B{product_id}")
    agent = await make_party(PartyKind.AGENT)
    await _default_list_with(5, 3, 1, 4, 2)
    offers = await cardlists.offers_for(agent)
    assert list(offers) == [5, 3, 1, 4, 2]
    first = await priced_catalog(party=agent, limit=2)
    assert [o.product.id for o in first.items] == [5, 3] and first.next_cursor == 3
    second = await priced_catalog(party=agent, limit=2, cursor=first.next_cursor)
    assert [o.product.id for o in second.items] == [1, 4] and second.next_cursor == 4
    third = await priced_catalog(party=agent, limit=2, cursor=second.next_cursor)
    assert [o.product.id for o in third.items] == [2] and third.next_cursor is None
    filtered = await priced_catalog(party=agent, text="B4")
    assert [o.product.id for o in filtered.items] == [4]


async def test_the_order_after_a_move_is_what_the_next_page_follows():
    for product_id in (1, 2, 3):
        await make_product(product_id, face="10")
    agent = await make_party(PartyKind.AGENT)
    card_list = await _default_list_with(1, 2, 3)
    await _move(card_list, 3, up=True)
    await _move(card_list, 3, up=True)
    page = await priced_catalog(party=agent, limit=1)
    assert [o.product.id for o in page.items] == [3]
    rest = await priced_catalog(party=agent, limit=5, cursor=page.next_cursor)
    assert [o.product.id for o in rest.items] == [1, 2]


async def test_a_cursor_whose_card_left_the_list_starts_over_at_the_top():
    for product_id in (1, 2, 3):
        await make_product(product_id, face="10")
    agent = await make_party(PartyKind.AGENT)
    card_list = await _default_list_with(1, 2, 3)
    page = await priced_catalog(party=agent, limit=1)
    async with atomic():
        await cardlists.remove_item(card_list=card_list, product_id=page.next_cursor, actor=ADMIN)
    again = await priced_catalog(party=agent, limit=5, cursor=page.next_cursor)
    assert [o.product.id for o in again.items] == [2, 3]


async def test_a_subagent_sees_its_own_lists_order_narrowed_by_its_parent():
    for product_id in (1, 2, 3):
        await make_product(product_id, face="10")
    agent = await make_party(PartyKind.AGENT)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    await _default_list_with(1, 2, 3)
    async with atomic():
        own = await cardlists.party_list(party_id=sub.id, actor=ADMIN)
        for product_id in (3, 9, 1):
            if product_id == 9:
                await make_product(9, face="10")
            await cardlists.put_item(card_list=own, product_id=product_id, actor=ADMIN, denominations=["10"])
    assert list(await cardlists.offers_for(sub)) == [3, 1]  # 9 is not on the parent's (default) list
    assert [o.product.id for o in (await priced_catalog(party=sub)).items] == [3, 1]


async def test_a_partner_without_a_list_still_pages_the_catalog_by_product_id():
    for product_id in (3, 1, 2):
        await make_product(product_id, face="10", brand_name=f"B{product_id}")
    partner = await make_party(PartyKind.PARTNER)
    page = await priced_catalog(party=partner, limit=2)
    assert [o.product.id for o in page.items] == [1, 2] and page.next_cursor == 2
    assert [o.product.id for o in (await priced_catalog(party=partner, cursor=2)).items] == [3]


async def test_copying_the_default_list_keeps_its_cards_and_order_and_is_audited():
    for product_id in (1, 2):
        await make_product(product_id, face=("5", "100"))
    await _default_list_with(2, 1)
    agent = await make_party(PartyKind.AGENT)
    async with atomic():
        copy = await cardlists.copy_default_to_party(actor=ADMIN, party_id=agent.id)
        again = await cardlists.copy_default_to_party(actor=ADMIN, party_id=agent.id)
    assert again.id == copy.id and copy.party_id == agent.id
    assert await _order(copy) == [2, 1]
    assert [i.denominations for i in await cardlists.list_items(copy)] == [["10"], ["10"]]
    assert await AuditEntry.filter(action="cardlist.copy_default").count() == 1


async def test_reading_a_partys_list_never_creates_one():
    agent = await make_party(PartyKind.AGENT)
    assert await cardlists.own_list(actor=ADMIN, party_id=agent.id) is None
    assert await cardlists.default_list(actor=ADMIN) is None
    assert not await AuditEntry.filter(action="cardlist.create").exists()


async def test_admins_search_the_catalog_by_name_brand_or_id_in_pages():
    for product_id in range(1, 6):
        await make_product(product_id, face="10", brand_name="Steam" if product_id % 2 else "Apple")
    found = await cardlists.search_catalog(actor=ADMIN, text="steam", limit=2)
    assert [p.id for p in found.items] == [1, 3] and found.next_cursor == 3
    rest = await cardlists.search_catalog(actor=ADMIN, text="steam", limit=2, cursor=found.next_cursor)
    assert [p.id for p in rest.items] == [5] and rest.next_cursor is None
    assert [p.id for p in (await cardlists.search_catalog(actor=ADMIN, text="4")).items] == [4]
    with pytest.raises(NotAdmin):
        await cardlists.search_catalog(actor=await member_actor(await make_party()), text="steam")


async def test_the_migration_numbers_existing_lists_by_product_id():
    for product_id in (3, 1, 2):
        await make_product(product_id, face="10")
    card_list = await _default_list_with(3, 1, 2)
    await CardListItem.filter(card_list_id=card_list.id).update(position=0)  # as before the column existed
    migration = importlib.import_module("migrations.0013_cardlist_order").Migration
    [backfill] = [op for op in migration.operations if op.__class__.__name__ == "RunSQL"]
    for statement in backfill.sql:
        await get_connection("default").execute_script(statement)
    assert [(i.product_id, i.position) for i in await cardlists.list_items(card_list)] == [(1, 0), (2, 1), (3, 2)]
