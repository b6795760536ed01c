"""`GET /v1/catalog`, `/v1/catalog/{id}` and `/quote`: what a partner's key sees, priced for it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.access import api_keys
from core.access.actor import Actor
from core.catalog import cardlists
from core.catalog.models import Brand, Category, ExchangeRate, Product
from core.db import atomic
from core.parties.models import PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")


async def _key(party, *, livemode: bool = True) -> dict:
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="test")
    return {"Authorization": f"Bearer {created.secret}"}


async def _discount(party, rate: str, **scope) -> None:
    async with atomic():
        await pricing.set_discount(rate=rate, actor=ADMIN, party_id=party.id, **scope)


async def _partner(*, discount: str | None = "0.0530", **kwargs):
    partner = await make_party(PartyKind.PARTNER, **kwargs)
    if discount is not None:
        await _discount(partner, discount)
    return partner, await _key(partner)


async def _categorise(product: Product, *ids_and_names: tuple[int, str]) -> None:
    for category_id, name in ids_and_names:
        await Category.get_or_create(id=category_id, defaults={"name": name})
    await Brand.filter(id=product.brand_id).update(category_ids=[c for c, _ in ids_and_names],
                                                   logo_url="https://cdn.example/logo.png")


async def test_an_item_has_every_field_priced_for_the_party_and_never_our_costs(client):
    _, headers = await _partner()
    fixed = await make_product(1001, face="10", brand_name="Amazon")
    ranged = await make_product(1002, face=("5", "500"), brand_name="Steam", country="DE", currency="EUR")
    await _categorise(fixed, (3, "Shopping"), (7, "Gifts"))
    response = await client.get("/v1/catalog", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    assert body["data"][0] == {
        "id": 1001,
        "brand": {"id": fixed.brand_id, "name": "Amazon", "logo_url": "https://cdn.example/logo.png",
                  "categories": [{"id": 3, "name": "Shopping"}, {"id": 7, "name": "Gifts"}]},
        "name": "Amazon 10", "country": "US", "currency": "USD",
        "face_value": {"fixed": ["10.00"]},
        "price": {"rate": "0.9470", "example": {"face": "10.00", "amount": "9.47", "currency": "USD"}},
        "available": True,
    }
    # The EUR card has no rate to the USD wallet yet: listed, but not for sale.
    assert body["data"][1]["id"] == ranged.id and body["data"][1]["face_value"] == {"min": "5.00", "max": "500.00"}
    assert body["data"][1]["brand"]["logo_url"] is None and body["data"][1]["brand"]["categories"] == []
    assert (body["data"][1]["price"], body["data"][1]["available"]) == (None, False)
    # Vendor price (9.00 for the 10, 4.50 for the 5), discount and margin figures never appear.
    text = response.text.lower()
    for secret in ("9.00", "4.50", "vendor", "cost", "margin", "discount", "price_min", "platform", "commission",
                   "0.053", "0.10"):
        assert secret not in text, secret


async def test_a_foreign_card_is_priced_in_the_wallet_currency(client):
    await ExchangeRate.create(base="USD", quote="EUR", rate=Decimal("0.9"), synced_at=datetime.now(UTC))
    _, headers = await _partner(currency="EUR")
    await make_product(1001, face="10")
    item = (await client.get("/v1/catalog", headers=headers)).json()["data"][0]
    # 10 USD × 0.947 × 0.9 EUR/USD × (1 + 2 % FX margin) = 8.69346 → 8.69 EUR
    assert item["currency"] == "USD" and item["price"] == {
        "rate": "0.9470", "example": {"face": "10.00", "amount": "8.69", "currency": "EUR"}}
    quote = (await client.get("/v1/catalog/1001/quote", params={"face_value": "10", "quantity": 2},
                              headers=headers)).json()
    assert quote["face_value"] == {"amount": "10.00", "currency": "USD"}
    assert quote["total"] == {"amount": "17.38", "currency": "EUR"}


async def test_unavailable_and_below_cost_cards_are_listed_without_a_price(client):
    _, headers = await _partner()
    await make_product(1, face="10", stock=0)
    await make_product(2, face="10", vendor_discount="0.0")  # the vendor charges 10.00; the party pays 9.47
    await make_product(3, face="10")
    data = (await client.get("/v1/catalog", headers=headers)).json()["data"]
    assert [(i["id"], i["available"], i["price"] is None) for i in data] == [
        (1, False, True), (2, False, True), (3, True, False)]


async def test_filters_narrow_the_list(client):
    _, headers = await _partner()
    amazon_us = await make_product(1, face="10", brand_name="Amazon", country="US")
    await make_product(2, face="10", brand_name="Amazon", country="GB", currency="GBP")
    steam = await make_product(3, face="20", brand_name="Steam", country="US")
    await make_product(4, face="50", brand_name="Apple", country="US")
    await _categorise(steam, (9, "Games"))

    async def ids(**params) -> list[int]:
        response = await client.get("/v1/catalog", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    assert await ids() == [1, 2, 3, 4]
    assert await ids(country="gb") == [2]
    assert await ids(currency="GBP") == [2]
    assert await ids(brand=amazon_us.brand_id) == [1]
    assert await ids(q="stea") == [3]
    assert await ids(q="amazon", country="US") == [1]
    assert await ids(category=9) == [3]
    assert await ids(category=10) == []


async def _walk(client, headers, limit: int, **params) -> list[int]:
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/catalog", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["data"]) <= limit
        seen += [item["id"] for item in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        assert pages < 50


async def test_cursor_pages_walk_the_whole_catalog_exactly_once_with_ties(client):
    _, headers = await _partner()
    ids = [17, 3, 11, 5, 8, 2, 13]
    for product_id in ids:  # same brand, same name, same face: nothing but the id tells them apart
        await make_product(product_id, face="10", brand_name="Same")
    for limit in (1, 2, 3, 7, 100):
        assert await _walk(client, headers, limit) == sorted(ids), limit
    assert await _walk(client, headers, 2, q="same") == sorted(ids)


async def test_cursor_pages_follow_the_partys_card_list(client):
    partner, headers = await _partner()
    order = [30, 10, 50, 20, 40]
    for product_id in sorted(order):
        await make_product(product_id, face="10", brand_name="Same")
    await make_product(60, face="10")  # not on the list: never shown
    async with atomic():
        card_list = await cardlists.party_list(party_id=partner.id, actor=ADMIN)
        for product_id in order:
            await cardlists.put_item(card_list=card_list, product_id=product_id, actor=ADMIN, denominations=["10"])
    for limit in (1, 2, 4, 5):
        assert await _walk(client, headers, limit) == order
    assert (await client.get("/v1/catalog/60", headers=headers)).json()["code"] == "not_found"


async def test_bad_cursors_and_limits_are_refused(client):
    _, headers = await _partner()
    for params, code in (({"cursor": "not-a-cursor!"}, "cursor.invalid"), ({"cursor": "WyJ4Il0"}, "cursor.invalid"),
                         ({"limit": 0}, "validation_failed"), ({"limit": 101}, "validation_failed"),
                         ({"brand": "x"}, "validation_failed")):
        response = await client.get("/v1/catalog", params=params, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, code), params
        assert response.headers["content-type"] == "application/problem+json"


async def test_etag_round_trip_and_a_changed_catalog_gives_a_new_etag(client):
    partner, headers = await _partner()
    product = await make_product(1, face="10")
    first = await client.get("/v1/catalog", headers=headers)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')  # strong: the hash of the exact body
    assert "private" in first.headers["Cache-Control"]
    again = await client.get("/v1/catalog", headers=headers)
    assert again.headers["ETag"] == etag and again.content == first.content
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await client.get("/v1/catalog", headers={**headers, "If-None-Match": sent})
        assert (cached.status_code, cached.content, cached.headers["ETag"]) == (304, b"", etag), sent
    stale = await client.get("/v1/catalog", headers={**headers, "If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.json() == first.json()
    # A new price, then a card out of stock: each gives a new body and so a new ETag.
    await _discount(partner, "0.0600")
    repriced = await client.get("/v1/catalog", headers={**headers, "If-None-Match": etag})
    assert repriced.status_code == 200 and repriced.json()["data"][0]["price"]["rate"] == "0.9400"
    assert repriced.headers["ETag"] != etag
    await Product.filter(id=product.id).update(stock=0)
    sold_out = await client.get("/v1/catalog", headers={**headers, "If-None-Match": repriced.headers["ETag"]})
    assert sold_out.status_code == 200 and sold_out.headers["ETag"] not in (etag, repriced.headers["ETag"])
    # Pages and filters are different bodies.
    assert (await client.get("/v1/catalog", params={"country": "GB"}, headers=headers)).headers["ETag"] != \
        sold_out.headers["ETag"]
    # One product has its ETag too.
    one = await client.get("/v1/catalog/1", headers=headers)
    assert (await client.get("/v1/catalog/1", headers={**headers, "If-None-Match": one.headers["ETag"]})
            ).status_code == 304


async def test_one_product_is_the_same_item_as_in_the_list_and_strangers_cards_are_not_found(client):
    partner, headers = await _partner()
    await make_product(1, face=("5", "100"))
    gone = await make_product(2, face="10")
    await Product.filter(id=gone.id).update(gone_at=datetime.now(UTC))
    listed = (await client.get("/v1/catalog", headers=headers)).json()["data"]
    one = await client.get("/v1/catalog/1", headers=headers)
    assert one.status_code == 200 and [one.json()] == listed
    for missing in (2, 999):
        response = await client.get(f"/v1/catalog/{missing}", headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    # A partner with its own card list: a card off its list does not exist for it.
    other = await make_party(PartyKind.PARTNER)
    other_headers = await _key(other)
    await make_product(3, face="10")
    async with atomic():
        card_list = await cardlists.party_list(party_id=other.id, actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=3, actor=ADMIN, denominations=["10"])
    assert (await client.get("/v1/catalog/1", headers=other_headers)).json()["code"] == "not_found"
    assert (await client.get("/v1/catalog/3", headers=other_headers)).status_code == 200
    assert (await client.get("/v1/catalog/1/quote", params={"face_value": "10"}, headers=other_headers)
            ).json()["code"] == "not_found"


async def test_a_quote_is_the_exact_total_now(client):
    _, headers = await _partner()
    await make_product(1, face="10")
    await make_product(2, face=("5", "500"))
    response = await client.get("/v1/catalog/1/quote", params={"face_value": "10.00", "quantity": 3}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"product_id": 1, "face_value": {"amount": "10.00", "currency": "USD"}, "quantity": 3,
                               "unit_price": {"amount": "9.47", "currency": "USD"},
                               "total": {"amount": "28.41", "currency": "USD"}}
    # A range card: any amount on the grid; quantity defaults to 1. 12.34 × 0.947 = 11.68598 → 11.69
    ranged = (await client.get("/v1/catalog/2/quote", params={"face_value": "12.34"}, headers=headers)).json()
    assert (ranged["quantity"], ranged["unit_price"]["amount"], ranged["total"]["amount"]) == (1, "11.69", "11.69")
    assert "vendor" not in str(ranged) and "discount" not in str(ranged)


async def test_quote_refusals_carry_the_cores_codes(client):
    _, headers = await _partner()
    await make_product(1, face="10")
    await make_product(2, face=("5", "500"))
    await make_product(3, face="10", stock=0)
    await make_product(4, face="10", vendor_discount="0.0")  # would sell below cost

    async def refused(product_id: int, **params):
        response = await client.get(f"/v1/catalog/{product_id}/quote", params=params, headers=headers)
        assert response.headers["content-type"] == "application/problem+json"
        return response.status_code, response.json()["code"]

    for face in ("11", "abc", "0", "-10", "NaN", "Infinity", "1e30", "10.001", "9" * 39):
        assert await refused(1, face_value=face) == (422, "order.invalid_face_value"), face
    assert await refused(2, face_value="4.99") == (422, "order.invalid_face_value")
    assert await refused(2, face_value="5.001") == (422, "order.invalid_face_value")
    assert await refused(1, face_value="10", quantity=0) == (422, "order.invalid_quantity")
    assert await refused(1, face_value="10", quantity=501) == (422, "order.invalid_quantity")
    assert await refused(1, face_value="10", quantity="x") == (422, "validation_failed")
    assert await refused(1) == (422, "validation_failed")  # no face_value
    assert await refused(3, face_value="10") == (409, "order.product_unavailable")
    assert await refused(4, face_value="10") == (409, "order.product_unavailable")  # never "below cost"
    assert await refused(999, face_value="10") == (404, "not_found")


async def test_a_pending_partners_test_key_browses_and_quotes(client):
    partner = await make_party(PartyKind.PARTNER, status=PartyStatus.PENDING)
    headers = await _key(partner, livemode=False)
    await make_product(1, face="10")
    assert [i["id"] for i in (await client.get("/v1/catalog", headers=headers)).json()["data"]] == [1]
    quote = await client.get("/v1/catalog/1/quote", params={"face_value": "10"}, headers=headers)
    assert quote.status_code == 200 and quote.json()["total"] == {"amount": "10.00", "currency": "USD"}


async def test_no_key_no_catalog(client):
    await make_product(1, face="10")
    for path in ("/v1/catalog", "/v1/catalog/1", "/v1/catalog/1/quote?face_value=10"):
        response = await client.get(path)
        assert (response.status_code, response.json()["code"]) == (401, "auth.missing"), path


async def test_an_admin_still_sees_why_a_card_cannot_be_priced():
    """The core hides "below cost" from parties only: an admin's quote names it."""
    from core.catalog import browse
    from core.pricing.errors import PriceBelowCost

    partner = await make_party(PartyKind.PARTNER)
    await make_product(4, face="10", vendor_discount="0.0")
    await _discount(partner, "0.0530")
    with pytest.raises(PriceBelowCost):
        await browse.quote(actor=ADMIN, party_id=partner.id, product_id=4, face=Decimal("10"), quantity=1)
    key_actor = Actor.api_key(key_id=1, party_id=partner.id, prefix="x", livemode=True)
    from core.pricing.errors import ProductUnavailable

    with pytest.raises(ProductUnavailable):
        await browse.quote(actor=key_actor, party_id=partner.id, product_id=4, face=Decimal("10"), quantity=1)


async def test_the_openapi_document_describes_every_catalog_operation(client):
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/catalog", "/v1/catalog/{product_id}", "/v1/catalog/{product_id}/quote"):
        operation = spec["paths"][path]["get"]
        assert operation["summary"]
        assert {"401", "403", "429"} <= operation["responses"].keys(), path
    assert "404" in spec["paths"]["/v1/catalog/{product_id}"]["get"]["responses"]
    quote_errors = spec["paths"]["/v1/catalog/{product_id}/quote"]["get"]["responses"]
    assert "order.invalid_face_value" in quote_errors["422"]["description"]
    assert "order.product_unavailable" in quote_errors["409"]["description"]
    item = spec["components"]["schemas"]["CatalogItem"]
    assert item.get("examples") and "price" in item["properties"]
