"""What people type into the catalog and read back: text search is literal, faces print as `10`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.access.actor import Actor
from core.catalog import cardlists
from core.catalog.offers import priced_catalog, quote_purchase
from core.db import atomic
from core.errors import DomainError
from core.parties.models import PartyKind
from tests.factories import make_party, make_product

ADMIN = Actor.admin(label="test")


@pytest.fixture
async def partner(db):
    return await make_party(PartyKind.PARTNER, name="Partner")


async def names_found(partner, text: str) -> list[str]:
    page = await priced_catalog(party=partner, text=text)
    return sorted(item.product.name for item in page.items)


async def test_percent_underscore_and_backslash_in_a_search_match_themselves(partner):
    await make_product(1, brand_name="Save 50% Card", face="10")
    await make_product(2, brand_name="Save 500 Card", face="10")
    await make_product(3, brand_name="Gift_Card", face="10")
    await make_product(4, brand_name="GiftXCard", face="10")
    await make_product(5, brand_name=r"Back\slash", face="10")
    await make_product(6, brand_name="Backslash", face="10")
    assert await names_found(partner, "50%") == ["Save 50% Card 10"]
    assert await names_found(partner, "t_c") == ["Gift_Card 10"]
    assert await names_found(partner, "%") == ["Save 50% Card 10"]
    assert await names_found(partner, "_") == ["Gift_Card 10"]
    assert await names_found(partner, "k\\s") == [r"Back\slash 10"]
    assert await names_found(partner, "giftx") == ["GiftXCard 10"]  # still case-insensitive


async def put(party_id: int, product_id: int, **kwargs):
    async with atomic():
        card_list = await cardlists.party_list(party_id=party_id, actor=ADMIN)
        return await cardlists.put_item(card_list=card_list, product_id=product_id, actor=ADMIN, **kwargs)


async def test_a_denomination_outside_the_card_prints_plainly(partner):
    await make_product(10, face=("5", "500"))
    with pytest.raises(DomainError) as caught:
        await put(partner.id, 10, denominations=["1E+3"])
    assert caught.value.code == "cardlist.invalid_item"
    assert caught.value.message == "1000 is outside the card's 5–500"


async def test_a_face_the_offer_does_not_allow_prints_plainly(partner):
    await make_product(11, face=("5", "500"))
    await put(partner.id, 11, denominations=["10", "20"])
    with pytest.raises(DomainError) as caught:
        await quote_purchase(party=partner, product_id=11, face=Decimal("3E+1"), quantity=1)
    assert caught.value.message == "30 USD is not offered for this card"
