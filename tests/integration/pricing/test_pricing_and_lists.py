"""Discounts, card lists and the priced catalog: who sees what, at what price."""

from __future__ import annotations

from core.access.actor import Actor
from decimal import Decimal

import pytest

from core.catalog import cardlists
from core.catalog.models import CardMode, Product
from core.catalog.offers import priced_catalog, quote_purchase
from core.db import atomic
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.pricing.errors import (
    DiscountAboveParent,
    DiscountBelowChild,
    InvalidDiscount,
    InvalidFaceValue,
    PriceBelowCost,
    ProductNotFound,
    ProductUnavailable,
)
from tests.factories import make_party, make_product

pytestmark = pytest.mark.usefixtures("db")


async def discount(rate: str, **scope):
    async with atomic():
        return await pricing.set_discount(rate=rate, actor=Actor.admin(label="admin"), **scope)


async def put(card_list_getter, product_id: int, **kwargs):
    async with atomic():
        card_list = await card_list_getter()
        return await cardlists.put_item(card_list=card_list, product_id=product_id, actor=Actor.admin(label="admin"), **kwargs)


def default_list():
    return cardlists.default_agent_list(actor=Actor.admin(label="admin"))


def own_list(party):
    return lambda: cardlists.party_list(party_id=party.id, actor=Actor.admin(label="admin"))


async def test_most_specific_discount_wins():
    agent = await make_party(PartyKind.AGENT)
    p1 = await make_product(1, face="100", brand_name="Steam")
    p2 = await make_product(2, face="100", brand_name="Steam")
    p3 = await make_product(3, face="100", brand_name="Apple")
    await discount("0.0100", party_kind=PartyKind.AGENT)
    await discount("0.0200", party_kind=PartyKind.AGENT, brand_id=p1.brand_id)
    await discount("0.0300", party_kind=PartyKind.AGENT, product_id=p1.id)
    book = await pricing.discount_book(agent)
    assert [book.resolve(brand_id=p.brand_id, product_id=p.id) for p in (p1, p2, p3)] == [
        Decimal("0.03"), Decimal("0.02"), Decimal("0.01")]
    await discount("0.0150", party_id=agent.id)  # the party's own beats every kind default
    book = await pricing.discount_book(agent)
    assert book.resolve(brand_id=p1.brand_id, product_id=p1.id) == Decimal("0.015")
    await discount("0.0400", party_id=agent.id, product_id=p1.id)
    book = await pricing.discount_book(agent)
    assert book.resolve(brand_id=p1.brand_id, product_id=p1.id) == Decimal("0.04")
    assert book.resolve(brand_id=p2.brand_id, product_id=p2.id) == Decimal("0.015")


async def test_discount_values_are_validated_and_updates_replace():
    agent = await make_party()
    for bad in ("1", "-0.01", "0.12345", "abc"):
        with pytest.raises(InvalidDiscount):
            await discount(bad, party_id=agent.id)
    with pytest.raises(InvalidDiscount):
        async with atomic():
            await pricing.set_discount(rate="0.01", actor=Actor.admin(label="a"), party_id=agent.id, party_kind=PartyKind.AGENT)
    first = await discount("0.0500", party_id=agent.id)
    second = await discount("0.0450", party_id=agent.id)
    assert first.id == second.id and len(await pricing.list_discounts()) == 1


async def test_a_childs_discount_is_never_set_above_its_parents():
    agent = await make_party(PartyKind.AGENT)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    await discount("0.0500", party_id=agent.id)
    with pytest.raises(DiscountAboveParent):
        await discount("0.0501", party_id=sub.id)
    await discount("0.0300", party_id=sub.id)
    with pytest.raises(DiscountBelowChild):  # lowering the parent under the child is refused too
        await discount("0.0200", party_id=agent.id)
    await discount("0.0400", party_kind=PartyKind.AGENT)
    with pytest.raises(DiscountAboveParent):
        await discount("0.0450", party_kind=PartyKind.SUBAGENT)


async def test_subagent_price_exceeds_its_agents_by_exactly_the_spread():
    agent = await make_party(PartyKind.AGENT)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    product = await make_product(10, face="100", vendor_discount="0.08")
    await put(default_list, product.id, denominations=["100"])
    await discount("0.0500", party_kind=PartyKind.AGENT)
    await discount("0.0300", party_kind=PartyKind.SUBAGENT)
    agent_quote = await quote_purchase(party=agent, product_id=product.id, face=Decimal("100"), quantity=2)
    sub_quote = await quote_purchase(party=sub, product_id=product.id, face=Decimal("100"), quantity=2)
    assert (agent_quote.unit_price, sub_quote.unit_price) == (95_00, 97_00)
    assert sub_quote.unit_price - agent_quote.unit_price == 2_00 == sub_quote.commission_unit
    assert sub_quote.total == 194_00 and sub_quote.commission_total == 4_00
    assert sub_quote.vendor_total == 184_00 and sub_quote.platform_total == 6_00


async def test_two_parties_with_different_discounts_and_lists_see_different_catalogs():
    steam = await make_product(1, face="10", brand_name="Steam")
    apple = await make_product(2, face=("5", "200"), brand_name="Apple")
    xbox = await make_product(3, face="25", brand_name="Xbox", country="GB", currency="GBP")
    alice = await make_party(PartyKind.AGENT, name="Alice")
    bob = await make_party(PartyKind.AGENT, name="Bob")
    await put(default_list, steam.id, denominations=["10"])
    await put(default_list, apple.id, min_face="5", max_face="100")
    await put(own_list(bob), apple.id, denominations=["20", "50"])
    await discount("0.0500", party_kind=PartyKind.AGENT)
    await discount("0.0700", party_id=bob.id)

    alice_page = await priced_catalog(party=alice)
    bob_page = await priced_catalog(party=bob)
    assert [o.product.id for o in alice_page.items] == [steam.id, apple.id]
    assert [o.product.id for o in bob_page.items] == [apple.id]
    alice_apple = alice_page.items[1]
    assert alice_apple.offer.mode == CardMode.RANGE and alice_apple.example.unit_price == 4_75
    bob_apple = bob_page.items[0]
    assert bob_apple.offer.mode == CardMode.FIXED and bob_apple.offer.denominations == (Decimal(20), Decimal(50))
    assert bob_apple.example.unit_price == 18_60  # 20 × (1 − 0.07)
    with pytest.raises(ProductNotFound):  # outside Bob's list, the card does not exist for him
        await quote_purchase(party=bob, product_id=steam.id, face=Decimal("10"), quantity=1)
    with pytest.raises(InvalidFaceValue):
        await quote_purchase(party=bob, product_id=apple.id, face=Decimal("30"), quantity=1)
    with pytest.raises(InvalidFaceValue):
        await quote_purchase(party=alice, product_id=apple.id, face=Decimal("150"), quantity=1)
    assert xbox.id not in [o.product.id for o in alice_page.items]


async def test_a_child_never_sees_more_than_its_parent():
    card = await make_product(1, face=("1", "100"))
    other = await make_product(2, face="10")
    agent = await make_party(PartyKind.AGENT)
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    await put(own_list(agent), card.id, min_face="10", max_face="50")
    await put(own_list(sub), card.id, min_face="1", max_face="100")
    await put(own_list(sub), other.id, denominations=["10"])
    offers = await cardlists.offers_for(sub)
    assert list(offers) == [card.id]
    assert (offers[card.id].min_face, offers[card.id].max_face) == (Decimal(10), Decimal(50))
    async with atomic():
        await cardlists.put_item(card_list=await cardlists.party_list(party_id=agent.id, actor=Actor.admin(label="a")),
                                 product_id=card.id, denominations=["20", "60"], actor=Actor.admin(label="a"))
    offers = await cardlists.offers_for(sub)
    assert offers[card.id].mode == CardMode.FIXED and offers[card.id].denominations == (Decimal(20), Decimal(60))


async def test_partners_see_the_full_catalog_unless_they_have_an_approved_list():
    products = [await make_product(i, face="10", brand_name=f"B{i}") for i in range(1, 6)]
    partner = await make_party(PartyKind.PARTNER)
    page = await priced_catalog(party=partner, limit=3)
    assert [o.product.id for o in page.items] == [1, 2, 3] and page.next_cursor == 3
    page2 = await priced_catalog(party=partner, limit=3, cursor=page.next_cursor)
    assert [o.product.id for o in page2.items] == [4, 5] and page2.next_cursor is None
    await put(own_list(partner), products[3].id, denominations=["10"])
    assert [o.product.id for o in (await priced_catalog(party=partner)).items] == [4]
    async with atomic():
        assert await cardlists.drop_party_list(party_id=partner.id, actor=Actor.admin(label="admin"))
    assert len((await priced_catalog(party=partner)).items) == 5


async def test_catalog_filters_by_country_currency_brand_and_text():
    await make_product(1, face="10", brand_name="Steam", country="US")
    await make_product(2, face="10", brand_name="Netflix", country="GB", currency="GBP")
    partner = await make_party(PartyKind.PARTNER, currency="GBP")
    ids = lambda page: [o.product.id for o in page.items]  # noqa: E731
    assert ids(await priced_catalog(party=partner, country="gb")) == [2]
    assert ids(await priced_catalog(party=partner, currency="GBP")) == [2]
    assert ids(await priced_catalog(party=partner, text="stea")) == [1]


async def test_profit_guard_and_unavailable_cards():
    costly = await make_product(1, face="10", vendor_discount="0.02")
    agent = await make_party(PartyKind.AGENT)
    await put(default_list, costly.id, denominations=["10"])
    await discount("0.0500", party_kind=PartyKind.AGENT)
    with pytest.raises(PriceBelowCost):
        await quote_purchase(party=agent, product_id=costly.id, face=Decimal("10"), quantity=1)
    listed = (await priced_catalog(party=agent)).items[0]
    assert listed.example is None and not listed.available
    await Product.filter(id=costly.id).update(allow_loss=True)
    assert (await quote_purchase(party=agent, product_id=costly.id, face=Decimal("10"), quantity=1)).unit_price == 9_50
    await Product.filter(id=costly.id).update(stock=0)
    with pytest.raises(ProductUnavailable):
        await quote_purchase(party=agent, product_id=costly.id, face=Decimal("10"), quantity=1)


async def test_card_list_items_are_validated():
    fixed = await make_product(1, face="10")
    ranged = await make_product(2, face=("5", "100"))
    from core.catalog.cardlists import InvalidCardListItem

    with pytest.raises(InvalidCardListItem):
        await put(default_list, fixed.id, min_face="5", max_face="10")
    with pytest.raises(InvalidCardListItem):
        await put(default_list, ranged.id, denominations=["500"])
    with pytest.raises(InvalidCardListItem):
        await put(default_list, ranged.id, min_face="1", max_face="50")
    with pytest.raises(InvalidCardListItem):
        await put(default_list, 999, denominations=["10"])
    item = await put(default_list, ranged.id, denominations=["10", "20", "10"])
    assert item.denominations == ["10", "20"]
