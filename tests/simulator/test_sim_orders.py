"""Simulator orders: place/poll, idempotency, debits, every 400 reason, magic values, v2, reports."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from simulator.rates import rate

GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATE7 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}")


async def test_place_returns_bare_string_then_poll_until_succeeded(bamboo):
    async with bamboo.client(order_delay=0.15) as c:
        request_id = bamboo.rid()
        r = await bamboo.place(c, 439685, 10, 2, request_id=request_id)
        assert r.status_code == 200
        assert r.text == f'"{request_id}"'  # a bare JSON string, not an object
        assert r.json() == request_id
        early = bamboo.json(await c.get(f"{bamboo.V1}/orders/{request_id}"))
        assert early["status"] in ("Created", "Processing")
        assert early["items"][0]["cards"] == []
        order = await bamboo.wait_terminal(c, request_id)
        assert order["status"] == "Succeeded"
        assert order["requestId"] == request_id and order["orderType"] == "Sandbox"
        assert order["currency"] == "USD" and order["errorMessage"] is None
        assert order["total"] == Decimal("18.9401")  # 2 × 10 × (1 − 5.2995 %)
        assert DATE7.fullmatch(order["createdDate"])
        (item,) = order["items"]
        assert item["productId"] == 439685 and item["quantity"] == 2
        assert item["productFaceValue"] == 10 and item["countryCode"] == "BH"
        cards = item["cards"]
        assert len(cards) == 2 and len({c["id"] for c in cards}) == 2
        created = datetime.fromisoformat(order["createdDate"][:26])
        for card in cards:
            assert GUID.fullmatch(card["serialNumber"])
            assert re.fullmatch(r"[0-9a-f]{32}", card["cardCode"])
            assert re.fullmatch(r"\d{3}", card["pin"])
            assert card["status"] == "Sold"
            expires = datetime.fromisoformat(card["expirationDate"][:26])
            assert expires.year == created.year + 1 and expires.month == created.month
        # The other documented route gives the same order.
        again = bamboo.json(await c.get(f"{bamboo.V1}/orders/checkout/{request_id.upper()}"))
        assert again == order


async def test_order_passes_through_processing_states(bamboo):
    async with bamboo.client(order_delay=0.25) as c:
        request_id = bamboo.rid()
        await bamboo.place(c, 2118010, 10, request_id=request_id)
        seen = []
        while True:
            status = bamboo.json(await c.get(f"{bamboo.V1}/orders/{request_id}"))["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == "Succeeded":
                break
            await asyncio.sleep(0.03)
        assert seen[0] == "Created" and "Processing" in seen and seen[-1] == "Succeeded"


async def test_terminal_even_without_reads_timer_finalizes(bamboo):
    async with bamboo.client(order_delay=0.05) as c:
        request_id = bamboo.rid()
        await bamboo.place(c, 2118010, 10, request_id=request_id)
        await asyncio.sleep(0.15)
        order = c.app.state.sim.orders[request_id]
        assert order.final_status == "Succeeded"  # the timer did it, no poll needed


async def test_repeat_request_id_is_order_already_exists_and_counted(client, bamboo):
    request_id = bamboo.rid()
    before = await bamboo.balance(client)
    first = await bamboo.place(client, 439685, 10, request_id=request_id)
    assert first.status_code == 200
    for _ in range(2):
        again = await bamboo.place(client, 439685, 10, request_id=request_id)
        assert again.status_code == 400 and again.json() == {"message": "OrderAlreadyExists"}
    assert before - await bamboo.balance(client) == Decimal("9.47005").quantize(Decimal("0.0001"), "ROUND_HALF_EVEN")
    stats = await bamboo.stats(client)
    entry = stats["placements"][request_id]
    assert entry == {"requestId": request_id, "calls": 3, "created": True, "duplicates": 2, "rejections": {}}
    assert stats["duplicate_place_request_ids"] == [request_id]
    assert stats["max_place_calls_per_request_id"] == 3
    assert stats["orders"]["total"] == 1


async def test_concurrent_duplicates_create_one_order(client, bamboo):
    request_id = bamboo.rid()
    results = await asyncio.gather(*[bamboo.place(client, 2118010, 10, request_id=request_id) for _ in range(8)])
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [400] * 7
    assert len(client.app.state.sim.orders) == 1


async def test_account_debited_exactly_with_fx(client, bamboo):
    usd0 = await bamboo.balance(client, 555)
    eur0 = await bamboo.balance(client, 556)
    aed0 = await bamboo.balance(client, 557)
    # EUR product (5 % discount) on the USD account: 3 × 25 × 0.95 EUR × rate(EUR→USD)
    rid = bamboo.rid()
    assert (await bamboo.place(client, 2120025, 25, 3, request_id=rid)).status_code == 200
    expected = (Decimal("71.25") * rate("EUR", "USD")).quantize(Decimal("0.0001"), "ROUND_HALF_EVEN")
    order = await bamboo.wait_terminal(client, rid)
    assert order["total"] == expected == Decimal("77.4457")
    assert usd0 - await bamboo.balance(client, 555) == expected
    # AED product on the AED account: no conversion. 20 × 0.98
    assert (await bamboo.place(client, 2118020, 20, account=557)).status_code == 200
    assert aed0 - await bamboo.balance(client, 557) == Decimal("19.6")
    # USD product on the EUR account
    assert (await bamboo.place(client, 439687, 50, account=556)).status_code == 200
    expected_eur = (Decimal("47.3502500") * Decimal("0.92")).quantize(Decimal("0.0001"), "ROUND_HALF_EVEN")
    assert eur0 - await bamboo.balance(client, 556) == expected_eur


@pytest.mark.parametrize(
    ("setup", "payload", "reason"),
    [
        (None, {"AccountId": 999, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]}, "WrongAccount"),
        (None, {"AccountId": 558, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]}, "WrongAccount"),
        ("poor", {"AccountId": 555, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]}, "InsufficientBalance"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 1, "Quantity": 1, "Value": 10}]}, "InvalidProductIds"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 2119010, "Quantity": 1, "Value": 10}]}, "InvalidProduct"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 11}]}, "InvalidDenomination"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 900001, "Quantity": 1, "Value": 1000.5}]}, "InvalidDenomination"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 900001, "Quantity": 1, "Value": 7.123}]}, "InvalidDenomination"),
        (None, {"AccountId": 555, "Products": []}, "NoProducts"),
        (None, {"AccountId": 555}, "NoProducts"),
        ("no-catalog", {"AccountId": 555, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]}, "ClientCatalogNotExist"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 439685, "Quantity": 501, "Value": 10}]}, "CardsLimitExceeded"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 900201, "Quantity": 1, "Value": 10}]}, "ProductIsOutOfStock"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 900202, "Quantity": 6, "Value": 25}]}, "ProductIsOutOfStock"),
        (None, {"AccountId": 555, "Products": [{"ProductId": 900301, "Quantity": 1, "Value": 10}]}, "ClientPriceInvalid"),
        ("disabled", {"AccountId": 555, "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]}, "UserNotEnabled"),
    ],
)
async def test_every_documented_400_reason(client, bamboo, setup, payload, reason):
    if setup == "poor":
        assert (await client.post("/_sim/accounts/555/balance", json={"balance": "5"})).status_code == 200
    elif setup == "no-catalog":
        await client.post("/_sim/config", json={"catalog_assigned": False})
    elif setup == "disabled":
        await client.post("/_sim/config", json={"client_enabled": False})
    before = await bamboo.balance(client)
    request_id = bamboo.rid()
    r = await client.post(f"{bamboo.V1}/orders/checkout", json={"RequestId": request_id, **payload})
    assert r.status_code == 400
    assert r.json() == {"message": reason}
    assert await bamboo.balance(client) == before
    stats = await bamboo.stats(client)
    assert stats["placements"][request_id]["rejections"] == {reason: 1}
    assert stats["orders"]["total"] == 0


async def test_order_not_found_and_malformed_requests(client, bamboo):
    r = await client.get(f"{bamboo.V1}/orders/{bamboo.rid()}")
    assert r.status_code == 400 and r.json() == {"message": "OrderNotFound"}
    r = await client.get(f"{bamboo.V1}/orders/not-a-guid")
    assert r.status_code == 400 and r.json() == {"message": "OrderNotFound"}
    r = await client.post(f"{bamboo.V1}/orders/checkout", json={"RequestId": "nope", "AccountId": 555,
                                                               "Products": [{"ProductId": 439685, "Quantity": 1, "Value": 10}]})
    assert r.status_code == 400 and r.json()["message"] == "InvalidRequest"
    r = await client.post(f"{bamboo.V1}/orders/checkout", content=b"{not json")
    assert r.status_code == 400 and r.json()["message"] == "InvalidRequest"
    r = await client.post(f"{bamboo.V1}/orders/checkout", json={"RequestId": bamboo.rid(), "AccountId": 555,
                                                               "Products": [{"ProductId": 439685, "Quantity": 0, "Value": 10}]})
    assert r.status_code == 400 and r.json()["message"] == "InvalidRequest"


async def test_magic_01_fails_and_refunds(client, bamboo):
    before = await bamboo.balance(client)
    request_id = bamboo.rid()
    assert (await bamboo.place(client, 900001, "5.01", 3, request_id=request_id)).status_code == 200
    order = await bamboo.wait_terminal(client, request_id)
    assert order["status"] == "Failed"
    assert order["items"][0]["cards"] == [] and order["total"] == 0
    assert order["errorMessage"]
    assert await bamboo.balance(client) == before
    # The fixed 5.01 product behaves the same.
    rid2 = bamboo.rid()
    await bamboo.place(client, 900101, 5.01, request_id=rid2)
    assert (await bamboo.wait_terminal(client, rid2))["status"] == "Failed"


async def test_magic_02_partial_half_the_cards_charged_for_delivered(client, bamboo):
    before = await bamboo.balance(client)
    request_id = bamboo.rid()
    assert (await bamboo.place(client, 900001, 100.02, 5, request_id=request_id)).status_code == 200
    order = await bamboo.wait_terminal(client, request_id)
    assert order["status"] == "PartialFailed"
    assert len(order["items"][0]["cards"]) == 2  # 5 // 2
    unit = Decimal("100.02") * Decimal("0.95")
    assert order["total"] == unit * 2
    assert before - await bamboo.balance(client) == unit * 2
    txns = bamboo.json(await client.get("/api/Integration/v1/transactions"))["clients"][0]["transactions"]
    kinds = [(t["transactionType"], t["transactionAmount"]["value"]) for t in txns if t["requestId"] == request_id]
    assert kinds == [("Order", unit * 5), ("Refund", unit * 3)]


async def test_magic_03_stays_pending_then_succeeds(bamboo):
    async with bamboo.client(order_delay=0.0, pending_hold_seconds=0.25) as c:
        request_id = bamboo.rid()
        await bamboo.place(c, 900103, "5.03", request_id=request_id)
        await asyncio.sleep(0.1)
        assert bamboo.json(await c.get(f"{bamboo.V1}/orders/{request_id}"))["status"] == "Pending"
        order = await bamboo.wait_terminal(c, request_id)
        assert order["status"] == "Succeeded" and len(order["items"][0]["cards"]) == 1


async def test_magic_04_is_http_500_and_nothing_recorded(client, bamboo):
    before = await bamboo.balance(client)
    request_id = bamboo.rid()
    r = await bamboo.place(client, 900001, 20.04, request_id=request_id)
    assert r.status_code == 500
    assert await bamboo.balance(client) == before
    assert (await client.get(f"{bamboo.V1}/orders/{request_id}")).json() == {"message": "OrderNotFound"}
    stats = await bamboo.stats(client)
    assert stats["placements"][request_id]["created"] is False
    assert stats["placements"][request_id]["rejections"] == {"500": 1}


async def test_magic_05_hangs_after_recording_outcome_unknown(bamboo):
    async with bamboo.client(order_delay=0.05, timeout_hang_seconds=1.0) as c:
        request_id = bamboo.rid()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(bamboo.place(c, 900105, "5.05", request_id=request_id), timeout=0.2)
        order = await bamboo.wait_terminal(c, request_id)  # it exists and completes
        assert order["status"] == "Succeeded"
        again = await bamboo.place(c, 900105, "5.05", request_id=request_id)
        assert again.json() == {"message": "OrderAlreadyExists"}


async def test_magic_05_returns_after_the_hang(bamboo):
    async with bamboo.client(timeout_hang_seconds=0.2) as c:
        request_id = bamboo.rid()
        started = asyncio.get_running_loop().time()
        r = await bamboo.place(c, 900001, 9.05, request_id=request_id)
        assert r.status_code == 200 and r.json() == request_id
        assert asyncio.get_running_loop().time() - started >= 0.2


async def test_magic_06_succeeds_with_cards_still_processing_that_arrive_later(bamboo):
    async with bamboo.client(late_card_seconds=0.3) as c:
        before = await bamboo.balance(c)
        request_id = bamboo.rid()
        assert (await bamboo.place(c, 900001, "20.06", 3, request_id=request_id)).status_code == 200
        order = await bamboo.wait_terminal(c, request_id)
        assert order["status"] == "Succeeded"
        cards = order["items"][0]["cards"]
        assert [card["status"] for card in cards] == ["Sold", "Processing", "Processing"]  # 3 // 2 at once
        assert cards[0]["cardCode"] and all(card["cardCode"] is None and card["pin"] is None for card in cards[1:])
        unit = Decimal("20.06") * Decimal("0.95")
        assert order["total"] == unit * 3 and before - await bamboo.balance(c) == unit * 3  # all charged
        await asyncio.sleep(0.35)
        later = bamboo.json(await c.get(f"{bamboo.V1}/orders/{request_id}"))["items"][0]["cards"]
        assert [card["status"] for card in later] == ["Sold"] * 3 and all(card["cardCode"] for card in later)
        assert [card["id"] for card in later] == [card["id"] for card in cards]  # the same cards, now with codes


async def test_magic_07_succeeds_with_one_card_paused_for_good(bamboo):
    async with bamboo.client(late_card_seconds=0.01) as c:
        request_id = bamboo.rid()
        await bamboo.place(c, 900001, "20.07", 2, request_id=request_id)
        order = await bamboo.wait_terminal(c, request_id)
        await asyncio.sleep(0.05)
        order = bamboo.json(await c.get(f"{bamboo.V1}/orders/{request_id}"))
        assert order["status"] == "Succeeded" and order["total"] == Decimal("20.07") * Decimal("0.95") * 2
        assert [(card["status"], card["cardCode"] is None) for card in order["items"][0]["cards"]] == [
            ("Sold", False), ("Paused", True)]


async def test_place_order_v2_by_sku(client, bamboo):
    request_id = bamboo.rid()
    r = await client.post(f"{bamboo.V2}/orders/checkout", json={
        "RequestId": request_id, "AccountId": 557,
        "Products": [{"Sku": "TBRAND-AE", "Quantity": 2, "Value": 10}],
    })
    assert r.status_code == 200
    data = r.json()
    assert data["requestId"] == request_id and data["totalCards"] == 2
    assert re.fullmatch(r"O-\d{8}", data["orderNumber"]) and data["currencyCode"] == "AED"
    order = await bamboo.wait_terminal(client, request_id)
    assert order["items"][0]["productId"] == 2118010 and len(order["items"][0]["cards"]) == 2
    unknown = await client.post(f"{bamboo.V2}/orders/checkout", json={
        "RequestId": bamboo.rid(), "AccountId": 557,
        "Products": [{"Sku": "MOCK-ITUNES-25", "Quantity": 1, "Value": 25}],
    })
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith("Product with sku MOCK-ITUNES-25 not found")


async def test_stock_decreases_and_getstock(client, bamboo):
    stock = bamboo.json(await client.get(f"{bamboo.V2}/getstock/SOLDOUT-US/25"))
    assert stock == {"faceValue": 25, "quantity": 5, "isStocked": True,
                     "price": Decimal("23.75"), "currencyCode": "USD"}
    await bamboo.place(client, 900202, 25, 2)
    assert bamboo.json(await client.get(f"{bamboo.V2}/getstock/SOLDOUT-US/25"))["quantity"] == 3
    unlimited = bamboo.json(await client.get(f"{bamboo.V2}/getstock/TBRAND-AE/10"))
    assert unlimited["isStocked"] is False


async def test_report_and_transactions_reflect_orders_with_date_filters(client, bamboo):
    a, b = bamboo.rid(), bamboo.rid()
    await bamboo.place(client, 439685, 10, 1, request_id=a)
    await bamboo.place(client, 2120010, 10, 2, request_id=b)
    await bamboo.wait_terminal(client, a)
    await bamboo.wait_terminal(client, b)
    today = datetime.now(timezone.utc).date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)

    report = bamboo.json(await client.get("/api/Integration/v1/orders",
                                          params={"startDate": str(today), "endDate": str(today)}))
    rows = {r["clientReferenceNumber"]: r for r in report}
    assert set(rows) == {a, b}
    row = rows[a]
    assert re.fullmatch(r"O-\d{8}", row["orderNumber"])
    assert row["orderDate"] == f"{today}T00:00:00"
    assert row["channel"] == "Sandbox" and row["productName"] == "Steam 10 USD BH"
    assert row["denomination"] == "USD 10" and row["quantity"] == 1
    assert row["unitPrice"] == Decimal("9.47") and row["total"] == Decimal("9.47")
    assert row["accountCurrency"] == "USD" and row["status"] == "Succeeded"
    assert bamboo.json(await client.get("/api/Integration/v1/orders",
                                        params={"startDate": str(tomorrow), "endDate": str(tomorrow)})) == []
    assert bamboo.json(await client.get("/api/Integration/v1/orders", params={"endDate": str(yesterday)})) == []

    txns = bamboo.json(await client.get("/api/Integration/v1/transactions",
                                        params={"startDate": str(today), "endDate": str(today)}))
    assert txns["endDate"] == f"{today}T23:59:59"
    listed = txns["clients"][0]["transactions"]
    assert [t["requestId"] for t in listed] == [a, b]
    first = listed[0]
    assert first["orderNumber"] == rows[a]["orderNumber"] and first["transactionType"] == "Order"
    assert first["transactionId"].endswith(" ")  # as in Bamboo's examples
    assert first["orderTotal"] == {"value": Decimal("9.47"), "currencyCode": "USD"}
    item = first["orderItems"][0]
    assert item["brandName"] == "Steam Bahrain" and item["clientDiscountValue"] == Decimal("5.2995")
    second_item = listed[1]["orderItems"][0]
    assert second_item["clientExchangeRate"] == {"fromCurrency": "EUR", "toCurrency": "USD",
                                                 "exchangeRate": rate("EUR", "USD")}
    balance = await bamboo.balance(client)
    assert listed[-1]["availableBalance"] == {"value": balance, "currencyCode": "USD"}
    none = bamboo.json(await client.get("/api/Integration/v1/transactions", params={"startDate": str(tomorrow)}))
    assert none["clients"][0]["transactions"] == []


async def test_admin_balance_and_order_views(client, bamboo):
    r = await client.post("/_sim/accounts/555/balance", json={"balance": "123.4567"})
    assert r.json()["balance"] == 123.4567
    assert await bamboo.balance(client) == Decimal("123.4567")
    created = bamboo.json(await client.post("/_sim/accounts/777", json={"currency": "BHD", "balance": 50}))
    assert created == {"id": 777, "currency": "BHD", "balance": 50, "isActive": True, "sandboxMode": True}
    request_id = bamboo.rid()
    await bamboo.place(client, 1234567, 10, account=777, request_id=request_id)  # unknown product
    assert bamboo.json(await client.get("/_sim/stats"))["placements"][request_id]["rejections"] == {"InvalidProductIds": 1}
    assert (await client.post("/_sim/accounts/9999/balance", json={"balance": 1})).status_code == 404
    assert (await client.post("/_sim/accounts/9998", json={"currency": "XXX"})).status_code == 400
