"""The orders endpoints as API.md names them: 202 create, refusals that move no money, reads, mode
isolation, keyset pages that never skip or repeat a row, and audited card reveals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.audit.models import AuditEntry
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.models import Hold
from core.orders import resolve
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from core.orders.settle import DeliveredCard
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")

PRODUCT = 101
FUNDS = 100_00


async def api_key(party, *, livemode: bool = True) -> str:
    from core.access import api_keys

    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="test")
    return created.secret


def auth(secret: str, **extra) -> dict:
    return {"Authorization": f"Bearer {secret}", **extra}


@pytest.fixture
async def shop(db):
    """A funded partner (100.00 USD, no card list: the whole catalog) with a live key, and a card 1–100 USD."""
    product = await make_product(PRODUCT, face=("1", "100"), vendor_discount="0.10", brand_name="Acme")
    partner = await make_party(PartyKind.PARTNER, funds=FUNDS, name="Acme Gifts")
    async with atomic():  # partners buy at 3 % off face
        await pricing.set_discount(rate="0.0300", party_kind=PartyKind.PARTNER, actor=ADMIN)
    return {"partner": partner, "product": product, "key": await api_key(partner)}


async def moved(party) -> tuple:
    """Everything an order would touch: the wallet's figures, holds, orders."""
    wallet = await ledger.read_wallet(party_id=party.id)
    return (wallet.available, wallet.held, await Hold.filter(party_id=party.id).count(),
            await Order.filter(party_id=party.id).count())


def order_body(**changes) -> dict:
    return {"product_id": PRODUCT, "face_value": "10.00", "quantity": 2, **changes}


async def test_create_answers_202_with_the_pending_order_holds_its_total_and_queues_it(client, shop, redis):
    response = await client.post("/v1/orders", json=order_body(reference="po-1"), headers=auth(shop["key"]))
    assert response.status_code == 202, response.text
    body = response.json()
    order = await Order.get(id=body["id"])
    assert body == {
        "id": str(order.id), "reference": "po-1", "status": "pending", "product_id": PRODUCT,
        "face_value": {"amount": "10.00", "currency": "USD"}, "quantity": 2,
        "unit_price": {"amount": "9.70", "currency": "USD"},
        "total": {"amount": "19.40", "currency": "USD"}, "currency": "USD",
        "created_at": body["created_at"], "completed_at": None, "cards_delivered": 0, "failure": None,
        "livemode": True,
    }
    assert (order.unit_price, order.total) == (9_70, 19_40)
    assert datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")) == order.created_at
    assert await moved(shop["partner"]) == (FUNDS - order.total, order.total, 1, 1)
    assert await redis.exists(f"arq:job:place_order:{order.id}")  # queued only after the commit

    fetched = await client.get(f"/v1/orders/{order.id}", headers=auth(shop["key"]))
    assert fetched.status_code == 200 and fetched.json() == body


async def test_expected_total_is_converted_exactly_and_equal_is_accepted(client, shop):
    first = await client.post("/v1/orders", json=order_body(quantity=1), headers=auth(shop["key"]))
    total = first.json()["total"]["amount"]
    again = await client.post("/v1/orders", json=order_body(quantity=1, expected_total=total),
                              headers=auth(shop["key"]))
    assert again.status_code == 202 and again.json()["total"]["amount"] == total
    too_fine = await client.post("/v1/orders", json=order_body(quantity=1, expected_total=total + "1"),
                                 headers=auth(shop["key"]))
    assert (too_fine.status_code, too_fine.json()["code"]) == (422, "amount.invalid")


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"quantity": 500, "face_value": "100.00"}, 402, "order.insufficient_funds"),
    ({"face_value": "10.001"}, 422, "order.invalid_face_value"),
    ({"face_value": "1000.00"}, 422, "order.invalid_face_value"),
    ({"expected_total": "0.01"}, 409, "order.price_changed"),
    ({"product_id": 424242}, 404, "not_found"),
    ({"face_value": 10}, 422, "validation_failed"),  # a JSON number as money
    ({"expected_total": 19.4}, 422, "validation_failed"),
    ({"face_value": "-1"}, 422, "validation_failed"),
    ({"quantity": 0}, 422, "validation_failed"),
    ({"quantity": 501}, 422, "validation_failed"),
    ({"quantity": "2"}, 422, "validation_failed"),
])
async def test_every_refusal_comes_before_any_money_moves(client, shop, changes, status, code):
    before = await moved(shop["partner"])
    response = await client.post("/v1/orders", json=order_body(**changes), headers=auth(shop["key"]))
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await moved(shop["partner"]) == before == (FUNDS, 0, 0, 0)


async def test_an_unavailable_card_and_a_card_off_the_partners_list_are_refused(client, shop):
    from core.catalog import cardlists

    await make_product(202, face="10", stock=0, brand_name="Gone")
    unavailable = await client.post("/v1/orders", json=order_body(product_id=202), headers=auth(shop["key"]))
    assert (unavailable.status_code, unavailable.json()["code"]) == (409, "order.product_unavailable")
    # A card we would sell below the vendor's price is "not for sale now": our costs stay ours.
    await make_product(404, face="10", vendor_discount="0.0", brand_name="Dear")
    below_cost = await client.post("/v1/orders", json=order_body(product_id=404), headers=auth(shop["key"]))
    assert (below_cost.status_code, below_cost.json()["code"]) == (409, "order.product_unavailable")
    assert "cost" not in below_cost.text
    # A partner with its own card list may buy only what is on it: anything else does not exist for it.
    await make_product(303, face=("1", "100"), brand_name="Listed")
    async with atomic():
        own = await cardlists.party_list(party_id=shop["partner"].id, actor=ADMIN)
        await cardlists.put_item(card_list=own, product_id=303, actor=ADMIN, min_face="1", max_face="100")
    off_list = await client.post("/v1/orders", json=order_body(), headers=auth(shop["key"]))
    assert (off_list.status_code, off_list.json()["code"]) == (404, "not_found")
    listed = await client.post("/v1/orders", json=order_body(product_id=303, expected_total="0.01"),
                               headers=auth(shop["key"]))
    assert listed.json()["code"] == "order.price_changed"  # the listed card exists for it (refused on price)
    assert await moved(shop["partner"]) == (FUNDS, 0, 0, 0)


async def test_the_same_reference_for_another_purchase_is_a_conflict_that_moves_nothing(client, shop):
    first = await client.post("/v1/orders", json=order_body(reference="po-9"), headers=auth(shop["key"]))
    assert first.status_code == 202
    after_first = await moved(shop["partner"])
    again = await client.post("/v1/orders", json=order_body(reference="po-9"), headers=auth(shop["key"]))
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    other = await client.post("/v1/orders", json=order_body(reference="po-9", quantity=3), headers=auth(shop["key"]))
    assert (other.status_code, other.json()["code"]) == (409, "order.reference_conflict")
    assert await moved(shop["partner"]) == after_first and after_first[2:] == (1, 1)


async def test_orders_are_not_visible_across_parties_modes_or_by_a_made_up_id(client, shop):
    made = await client.post("/v1/orders", json=order_body(), headers=auth(shop["key"]))
    order_id = made.json()["id"]
    test_key = await api_key(shop["partner"], livemode=False)
    stranger = await make_party(PartyKind.PARTNER, funds=FUNDS)
    stranger_key = await api_key(stranger)
    for key, path in [(test_key, f"/v1/orders/{order_id}"), (stranger_key, f"/v1/orders/{order_id}"),
                      (shop["key"], "/v1/orders/not-a-uuid"),
                      (shop["key"], "/v1/orders/00000000-0000-0000-0000-000000000000"),
                      (test_key, f"/v1/orders/{order_id}/cards"), (stranger_key, f"/v1/orders/{order_id}/cards")]:
        response = await client.get(path, headers=auth(key))
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
    for key in (test_key, stranger_key):
        listed = await client.get("/v1/orders", headers=auth(key))
        assert listed.status_code == 200 and listed.json() == {"data": [], "next_cursor": None}
    # A live reference is not a test order's: the test key gets a conflict, never the live order.
    live_ref = await client.post("/v1/orders", json=order_body(reference="shared"), headers=auth(shop["key"]))
    assert live_ref.status_code == 202
    before = await moved(shop["partner"])
    crossed = await client.post("/v1/orders", json=order_body(reference="shared"), headers=auth(test_key))
    assert (crossed.status_code, crossed.json()["code"]) == (409, "order.reference_conflict")
    assert live_ref.json()["id"] not in crossed.text and await moved(shop["partner"]) == before


async def _orders(shop, count: int, *, at: datetime | None = None) -> list[Order]:
    """`count` live orders of the shop's partner, all created at `at` when given."""
    from core.access.actor import Actor

    key_actor = Actor.api_key(key_id=1, party_id=shop["partner"].id, prefix="test", livemode=True)
    made = []
    for _ in range(count):
        async with atomic():
            made.append((await orders.create_order(actor=key_actor, party_id=shop["partner"].id, product_id=PRODUCT,
                                                   face_value=Decimal("1"), quantity=1)).order)
    if at is not None:
        await Order.filter(id__in=[o.id for o in made]).update(created_at=at)
    return made


async def _all_pages(client, key: str, *, limit: int, query: str = "") -> tuple[list[str], int]:
    seen, cursor, pages = [], None, 0
    while True:
        params = f"?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        page = await client.get("/v1/orders" + params, headers=auth(key))
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["data"]) <= limit
        seen += [o["id"] for o in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


async def test_pages_never_skip_or_repeat_orders_that_share_a_timestamp(client, shop):
    """Regression: paging by created_at alone loses rows when a page ends inside a run of equal times."""
    base = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    groups = [(base, 5), (base - timedelta(microseconds=1), 1), (base - timedelta(hours=1), 4),
              (base - timedelta(days=2), 3)]
    for at, count in groups:
        await _orders(shop, count, at=at)
    rows = await Order.filter(party_id=shop["partner"].id).values_list("created_at", "id")
    expected = [str(i) for _, i in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)]
    assert len(expected) == 13
    for limit in range(1, 15):  # every page boundary, inside and between the runs
        seen, pages = await _all_pages(client, shop["key"], limit=limit)
        assert seen == expected, limit
        assert pages == max(1, -(-13 // limit)), limit


async def test_list_filters_by_status_reference_and_creation_time(client, shop):
    old, middle, new = await _orders(shop, 3)
    await Order.filter(id=old.id).update(created_at=datetime(2025, 1, 1, tzinfo=UTC), status=OrderStatus.FAILED)
    await Order.filter(id=middle.id).update(created_at=datetime(2025, 1, 15, tzinfo=UTC))
    key = shop["key"]

    async def ids(query: str) -> list[str]:
        response = await client.get("/v1/orders" + query, headers=auth(key))
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["data"]]

    assert await ids("") == [str(new.id), str(middle.id), str(old.id)]
    assert await ids("?status=failed") == [str(old.id)]
    assert await ids("?status=pending") == [str(new.id), str(middle.id)]
    assert await ids(f"?reference={middle.reference}") == [str(middle.id)]
    assert await ids("?created_after=2025-01-15T00:00:00Z") == [str(new.id), str(middle.id)]
    assert await ids("?created_before=2025-01-15T00:00:00Z") == [str(old.id)]
    assert await ids("?created_after=2024-12-31T00:00:00Z&created_before=2025-02-01T00:00:00%2B00:00") == \
        [str(middle.id), str(old.id)]
    for bad in ("?status=lost", "?limit=0", "?limit=101", "?created_after=yesterday"):
        response = await client.get("/v1/orders" + bad, headers=auth(key))
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), bad
    forged = await client.get("/v1/orders?cursor=bm9wZQ", headers=auth(key))
    assert (forged.status_code, forged.json()["code"]) == (422, "cursor.invalid")


async def test_the_core_list_keeps_its_callers_and_pages_by_position(shop):
    made = await _orders(shop, 4, at=datetime(2025, 3, 1, tzinfo=UTC))
    listed = await orders.list_orders(actor=ADMIN, party_id=shop["partner"].id, limit=10)
    assert [o.id for o in listed] == sorted((o.id for o in made), reverse=True)  # equal times: by id
    second_page = await orders.list_orders(actor=ADMIN, party_id=shop["partner"].id, limit=2,
                                           after=orders.position_of(listed[1]))
    assert [o.id for o in second_page] == [o.id for o in listed[2:]]


async def test_cards_are_refused_before_completion_then_revealed_audited_and_never_cached(client, shop):
    made = await client.post("/v1/orders", json=order_body(quantity=2), headers=auth(shop["key"]))
    order_id = made.json()["id"]
    early = await client.get(f"/v1/orders/{order_id}/cards", headers=auth(shop["key"]))
    assert (early.status_code, early.json()["code"]) == (409, "order.not_completed")

    expires = datetime(2027, 12, 31, tzinfo=UTC)
    delivered = [DeliveredCard(vendor_card_id="c1", code="CODE-AAAA-1111", pin="9876", serial="SN-1", expires_at=expires),
                 DeliveredCard(vendor_card_id="c2", code="CODE-BBBB-2222")]
    async with atomic():
        await resolve.complete_order(actor=ADMIN, order_id=order_id, cards=delivered, reason="test")

    order = await client.get(f"/v1/orders/{order_id}", headers=auth(shop["key"]))
    assert order.json()["status"] == "completed" and order.json()["cards_delivered"] == 2
    assert order.json()["completed_at"] is not None
    assert "CODE-" not in order.text and "9876" not in order.text  # the order never carries the codes

    for _ in range(2):
        cards = await client.get(f"/v1/orders/{order_id}/cards", headers=auth(shop["key"]))
        assert cards.status_code == 200
        assert cards.headers["cache-control"] == "no-store"
        assert sorted(cards.json(), key=lambda c: c["code"]) == [
            {"code": "CODE-AAAA-1111", "pin": "9876", "serial": "SN-1", "expires_at": "2027-12-31T00:00:00Z"},
            {"code": "CODE-BBBB-2222", "pin": None, "serial": None, "expires_at": None},
        ]
    reveals = await AuditEntry.filter(action="card.reveal", object_id=order_id).order_by("id")
    assert len(reveals) == 2  # one per call
    key_prefix = shop["key"][:len("sk_live_") + 8]
    for entry in reveals:
        text = json.dumps({"after": entry.after, "before": entry.before, "actor": entry.actor})
        assert entry.actor == f"api:{key_prefix}" and entry.after["api_key_id"] is not None
        assert "CODE-" not in text and "9876" not in text and "SN-1" not in text


async def test_a_failed_order_says_why(client, shop):
    made = await client.post("/v1/orders", json=order_body(), headers=auth(shop["key"]))
    order_id = made.json()["id"]
    async with atomic():
        await resolve.fail_order(actor=ADMIN, order_id=order_id, reason="the vendor never placed it")
    failed = (await client.get(f"/v1/orders/{order_id}", headers=auth(shop["key"]))).json()
    assert failed["status"] == "failed"
    assert failed["failure"] == {"code": "admin.failed", "message": "the vendor never placed it"}
    assert await moved(shop["partner"]) == (FUNDS, 0, 1, 1)  # the hold was released


async def test_the_openapi_document_describes_every_orders_operation(client):
    spec = (await client.get("/openapi.json")).json()
    for path, method in [("/v1/orders", "post"), ("/v1/orders", "get"), ("/v1/orders/{order_id}", "get"),
                         ("/v1/orders/{order_id}/cards", "get")]:
        operation = spec["paths"][path][method]
        assert operation["summary"] and {"401", "403", "429"} <= operation["responses"].keys(), (path, method)
    post = spec["paths"]["/v1/orders"]["post"]
    assert {"202", "402", "404", "409", "422"} <= post["responses"].keys()
    assert "idempotency.mismatch" in post["responses"]["409"]["description"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


async def test_times_at_the_edge_of_the_calendar_are_the_earliest_and_latest_not_a_server_error(client):
    from tests.factories import make_party
    from core.parties.models import PartyKind

    partner = await make_party(PartyKind.PARTNER)
    from core.access import api_keys
    from core.db import atomic
    from tests.factories import ADMIN

    async with atomic():
        secret = (await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=True)).secret
    headers = {"Authorization": f"Bearer {secret}"}
    for query in ({"created_after": "0001-01-01T00:00:00+05:00"}, {"created_before": "9999-12-31T23:59:59-05:00"}):
        response = await client.get("/v1/orders", params=query, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == []
    huge = await client.delete("/v1/api-keys/358773517103346155520", headers=headers)
    assert (huge.status_code, huge.json()["code"]) == (422, "validation_failed")
