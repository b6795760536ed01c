"""BambooClient happy paths over httpx.MockTransport: requests sent and typed results."""

from __future__ import annotations

import asyncio

import base64
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from core.config import Settings
from core.vendors.bamboo import (
    BambooClient,
    NoVendorAccount,
    OrderProduct,
    OrderStatus,
    SharedRateLimiter,
    VendorResponseInvalid,
)

REQUEST_ID = "71ac2817-e51a-438a-bb7b-5ffdda23603c"

GET_ORDER_BODY = """{"orderId":6779294,"requestId":"71ac2817-e51a-438a-bb7b-5ffdda23603c",
 "items":[{"brandCode":null,"productId":439685,"productFaceValue":10,"quantity":2,"pictureUrl":null,
   "countryCode":"BH","currencyCode":"USD","status":"string",
   "cards":[{"id":24153984,"serialNumber":"4005c08f-1aeb-4527-8eb0-ccd1c745f467",
     "cardCode":"cb05747ed9fe497b92c80f10cf8406d7","pin":"392",
     "expirationDate":"2025-05-16T04:36:35.3922677","status":"Sold"}]}],
 "status":"Succeeded","createdDate":"2024-05-16T04:36:35.3673422","total":18.9401,
 "errorMessage":null,"orderType":"Sandbox","currency":"USD"}"""


def brand(index: int) -> dict:
    return {
        "internalId": f"B{index}",
        "name": f"Brand {index}",
        "countryCode": "US",
        "currencyCode": "USD",
        "description": "",
        "logoUrl": "https://example.test/logo.png",
        "modifiedDate": "2022-08-22T09:06:28.4131483",
        "products": [
            {
                "id": 1000 + index,
                "name": f"Brand {index} 100 USD",
                "minFaceValue": 100.0000,
                "maxFaceValue": 100.0000,
                "count": None,
                "price": {"min": 100.00000000, "max": 100.00000000, "currencyCode": "USD"},
                "modifiedDate": "2022-08-22T09:06:29.6783345",
            }
        ],
        "categories": [{"id": 6, "name": "Airlines & Hotels", "description": ""}],
    }


def catalog_handler(total_brands: int, json_response, *, report_count: bool = True):
    """Pages brands 0..total-1 by PageIndex/PageSize like the real catalog v2."""
    brands = [brand(i) for i in range(total_brands)]

    def respond(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params["PageIndex"])
        size = int(request.url.params["PageSize"])
        page = {
            "pageIndex": index,
            "pageSize": size,
            "count": total_brands if report_count else None,
            "items": brands[index * size : (index + 1) * size],
        }
        return json_response(200, page)

    return respond


# ------------------------------------------------------------------ transport basics


async def test_every_call_sends_basic_auth_and_a_timeout(make_client, record, json_response):
    handler = record(lambda r: json_response(200, []))
    client = make_client(handler, timeout_seconds=7.5)

    await client.get_categories()

    request = handler.requests[0]
    expected = base64.b64encode(b"test-client:test-secret-Zq9").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.url == httpx.URL("http://bamboo.test/api/integration/v2.0/categories")
    timeouts = request.extensions["timeout"]
    assert timeouts["read"] == 7.5 and timeouts["write"] == 7.5 and timeouts["pool"] == 7.5
    assert 0 < timeouts["connect"] <= 7.5


async def test_from_settings_uses_the_bamboo_settings(record, json_response):
    settings = Settings(
        _env_file=None,
        BAMBOO_BASE_URL="http://sim.test:8090/",
        BAMBOO_CLIENT_ID="sim-client-7",
        BAMBOO_CLIENT_SECRET="sim-secret-7",
        BAMBOO_ACCOUNT_ID=42,
        BAMBOO_TIMEOUT_SECONDS=3,
    )
    handler = record(lambda r: json_response(200, {"accounts": []}))
    async with BambooClient.from_settings(settings, transport=httpx.MockTransport(handler)) as client:
        assert client.account_id == 42
        assert await client.resolve_account_id("USD") == 42  # configured: no call needed
        assert handler.requests == []
        await client.get_accounts()

    request = handler.requests[0]
    assert str(request.url) == "http://sim.test:8090/api/integration/v1.0/accounts"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"sim-client-7:sim-secret-7").decode()
    assert request.extensions["timeout"]["read"] == 3
    # Without Redis the budget lives in the process, keyed by the client id.
    assert client.rate_limiter is not None and not client.rate_limiter.shared
    assert client.rate_limiter.key_prefix == "steller:bamboo:rl:sim-client-7:"


# ------------------------------------------------------------------ catalog


async def test_catalog_iterates_three_pages_and_stops_at_the_short_one(make_client, record, json_response):
    handler = record(catalog_handler(5, json_response, report_count=False))
    client = make_client(handler)

    pages = [page async for page in client.iter_catalog_pages(page_size=2)]

    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert [r.url.params["PageIndex"] for r in handler.requests] == ["0", "1", "2"]
    assert {r.url.params["PageSize"] for r in handler.requests} == {"2"}
    names = [b.name async for b in client.iter_catalog_brands(page_size=2)]
    assert names == [f"Brand {i}" for i in range(5)]


async def test_catalog_exactly_full_last_page_is_followed_by_an_empty_page(
    make_client, record, json_response
):
    handler = record(catalog_handler(4, json_response, report_count=False))
    client = make_client(handler)

    pages = [page async for page in client.iter_catalog_pages(page_size=2)]

    assert [len(page.items) for page in pages] == [2, 2]  # the empty page is not yielded
    assert [r.url.params["PageIndex"] for r in handler.requests] == ["0", "1", "2"]


async def test_catalog_stops_when_count_says_every_brand_was_read(make_client, record, json_response):
    handler = record(catalog_handler(4, json_response, report_count=True))
    client = make_client(handler)

    pages = [page async for page in client.iter_catalog_pages(page_size=2)]

    assert sum(len(p.items) for p in pages) == 4
    assert len(handler.requests) == 2  # no probe for an empty third page


async def test_catalog_default_page_size_is_100_from_index_0(make_client, record, json_response):
    handler = record(catalog_handler(3, json_response))
    client = make_client(handler)

    pages = [page async for page in client.iter_catalog_pages()]

    assert len(pages) == 1 and pages[0].count == 3
    assert handler.requests[0].url.params["PageIndex"] == "0"
    assert handler.requests[0].url.params["PageSize"] == "100"


async def test_catalog_that_never_ends_is_refused(make_client, json_response):
    # A server ignoring PageIndex would return the same full page forever.
    client = make_client(lambda r: json_response(200, {"pageIndex": 0, "pageSize": 2, "items": [brand(1), brand(2)]}))

    with pytest.raises(VendorResponseInvalid):
        async for _page in client.iter_catalog_pages(page_size=2, max_pages=3):
            pass


async def test_catalog_incremental_filters_pass_through_on_every_page(make_client, record, json_response):
    handler = record(catalog_handler(3, json_response, report_count=False))
    client = make_client(handler)
    since = datetime(2024, 5, 16, 4, 36, 35, 367342, tzinfo=timezone.utc)

    pages = [
        p
        async for p in client.iter_catalog_pages(
            page_size=2, modified_date=since, country_code="US", currency_code="USD", brand_id=9,
            name="Steam", product_id=439685,
        )
    ]

    assert len(pages) == 2
    for request in handler.requests:
        params = request.url.params
        assert params["ModifiedDate"] == "2024-05-16T04:36:35.367342"
        assert params["CountryCode"] == "US" and params["CurrencyCode"] == "USD"
        assert params["BrandId"] == "9" and params["Name"] == "Steam" and params["ProductId"] == "439685"

    # A stored Bamboo string goes through verbatim (all 7 digits).
    await client.get_catalog_page(modified_date="2024-05-16T04:36:35.3673422")
    assert handler.requests[-1].url.params["ModifiedDate"] == "2024-05-16T04:36:35.3673422"
    # A zone-aware datetime is converted to UTC.
    await client.get_catalog_page(modified_date=datetime(2024, 5, 16, 8, 0, tzinfo=timezone(timedelta(hours=4))))
    assert handler.requests[-1].url.params["ModifiedDate"] == "2024-05-16T04:00:00"
    # Unset filters are not sent at all.
    await client.get_catalog_page()
    assert set(handler.requests[-1].url.params) == {"PageIndex", "PageSize"}


async def test_catalog_models_keep_money_exact(make_client, json_response):
    client = make_client(lambda r: json_response(200, '{"pageIndex":0,"pageSize":100,"count":1,"items":['
        '{"name":"iTunes","products":[{"id":114111,"name":"iTunes 100","minFaceValue":100.0000,'
        '"maxFaceValue":100.0000,"count":0,"price":{"min":99.12345678,"max":100.00000000,"currencyCode":"USD"},'
        '"modifiedDate":"2022-08-22T09:06:29.6783345"}],"categories":[]}]}'))

    page = await client.get_catalog_page()

    product = page.items[0].products[0]
    assert product.price.min == Decimal("99.12345678") and str(product.price.min) == "99.12345678"
    assert product.min_face_value == Decimal("100") and isinstance(product.max_face_value, Decimal)
    assert product.is_fixed_value and not product.in_stock
    assert product.modified_date == datetime(2022, 8, 22, 9, 6, 29, 678334, tzinfo=timezone.utc)


# ------------------------------------------------------------------ categories, accounts, rates


async def test_categories(make_client, json_response):
    client = make_client(lambda r: json_response(200, [{"id": 1, "name": "Entertainment", "description": ""}, {"id": 30, "name": "Petroleum"}]))

    categories = await client.get_categories()

    assert [(c.id, c.name) for c in categories] == [(1, "Entertainment"), (30, "Petroleum")]


async def test_accounts_balance_is_an_exact_decimal(make_client, record, json_response):
    handler = record(lambda r: json_response(200, '{"accounts":[{"id":555,"currency":"USD","balance":100828.4848,"isActive":true,"sandboxMode":true}]}'))
    client = make_client(handler)

    [account] = await client.get_accounts()

    assert handler.requests[0].url.path == "/api/integration/v1.0/accounts"
    assert account.balance == Decimal("100828.4848") and str(account.balance) == "100828.4848"
    assert account.id == 555 and account.sandbox_mode is True


async def test_resolve_account_picks_the_active_one_in_the_currency_and_caches(make_client, record, json_response):
    handler = record(lambda r: json_response(200, {"accounts": [
        {"id": 1, "currency": "USD", "balance": 5, "isActive": False},
        {"id": 9, "currency": "EUR", "balance": 5, "isActive": True},
        {"id": 7, "currency": "USD", "balance": 5, "isActive": True},
    ]}))
    client = make_client(handler)

    assert await client.resolve_account_id("usd") == 7
    assert await client.resolve_account_id("USD") == 7
    assert len(handler.requests) == 1
    with pytest.raises(NoVendorAccount):
        await client.resolve_account_id("AED")


async def test_concurrent_account_lookups_make_one_accounts_call(make_client, json_response):
    calls = []

    async def slow_accounts(request):
        calls.append(request)
        await asyncio.sleep(0.05)  # every caller arrives while the first lookup is in flight
        return json_response(200, {"accounts": [{"id": 9, "currency": "USD", "balance": 1, "isActive": True}]})

    client = make_client(slow_accounts)
    ids = await asyncio.gather(*(client.resolve_account_id("USD") for _ in range(20)))
    assert ids == [9] * 20 and len(calls) == 1


async def test_exchange_rates_with_and_without_parameters(make_client, record, json_response):
    handler = record(lambda r: json_response(200, '{"baseCurrencyCode":"AED","rates":[{"currencyCode":"INR","value":22.718078}]}'))
    client = make_client(handler)

    rates = await client.get_exchange_rates(base_currency="AED", currency="INR")
    await client.get_exchange_rates()

    assert handler.requests[0].url.path == "/api/integration/v1.0/exchange-rates"
    assert dict(handler.requests[0].url.params) == {"baseCurrency": "AED", "currency": "INR"}
    assert dict(handler.requests[1].url.params) == {}
    assert rates.rate_for("inr") == Decimal("22.718078") and rates.rate_for("EUR") is None


# ------------------------------------------------------------------ orders


async def test_place_order_sends_the_pascal_case_body_and_returns_the_bare_string(make_client, record, json_response):
    handler = record(lambda r: json_response(200, f'"{REQUEST_ID}"'))
    client = make_client(handler)

    result = await client.place_order(
        request_id=uuid.UUID(REQUEST_ID),
        account_id=555,
        products=[OrderProduct(product_id=439685, quantity=2, value=Decimal("10.50")),
                  {"ProductId": 1, "Quantity": 1, "Value": "25"}],
    )

    assert result == REQUEST_ID
    request = handler.requests[0]
    assert request.method == "POST" and request.url.path == "/api/integration/v1.0/orders/checkout"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content, parse_float=Decimal)
    assert body == {
        "RequestId": REQUEST_ID,
        "AccountId": 555,
        "Products": [
            {"ProductId": 439685, "Quantity": 2, "Value": Decimal("10.50")},
            {"ProductId": 1, "Quantity": 1, "Value": 25},
        ],
    }


async def test_place_order_tolerates_an_object_or_an_empty_body(make_client, json_response):
    as_object = make_client(lambda r: json_response(200, {"requestId": REQUEST_ID, "status": "Created"}))
    empty = make_client(lambda r: httpx.Response(200, text=""))
    line = [OrderProduct(product_id=1, quantity=1, value=Decimal(10))]

    assert await as_object.place_order(request_id=REQUEST_ID, account_id=1, products=line) == REQUEST_ID
    assert await empty.place_order(request_id=REQUEST_ID, account_id=1, products=line) == REQUEST_ID


async def test_place_order_refuses_bad_input_before_calling_bamboo(make_client, record, json_response):
    handler = record(lambda r: json_response(200, f'"{REQUEST_ID}"'))
    client = make_client(handler)

    with pytest.raises(ValueError, match="GUID"):
        await client.place_order(request_id="not-a-guid", account_id=1, products=[{"ProductId": 1, "Quantity": 1, "Value": 10}])
    with pytest.raises(ValidationError, match="never a float"):
        await client.place_order(request_id=REQUEST_ID, account_id=1, products=[{"ProductId": 1, "Quantity": 1, "Value": 10.5}])
    with pytest.raises(ValueError, match="at least one product"):
        await client.place_order(request_id=REQUEST_ID, account_id=1, products=[])
    assert handler.requests == []


async def test_get_order_parses_items_cards_money_and_dates(make_client, record, json_response):
    handler = record(lambda r: json_response(200, GET_ORDER_BODY))
    client = make_client(handler)

    order = await client.get_order(REQUEST_ID)

    assert handler.requests[0].url.path == f"/api/integration/v1.0/orders/{REQUEST_ID}"
    assert order.status is OrderStatus.SUCCEEDED and order.is_terminal
    assert order.total == Decimal("18.9401") and str(order.total) == "18.9401"
    assert order.created_date == datetime(2024, 5, 16, 4, 36, 35, 367342, tzinfo=timezone.utc)
    [card] = list(order.cards())
    assert isinstance(card.card_code, SecretStr) and card.card_code.get_secret_value() == "cb05747ed9fe497b92c80f10cf8406d7"
    assert card.pin is not None and card.pin.get_secret_value() == "392"
    assert "cb05747ed9fe497b92c80f10cf8406d7" not in repr(order)  # secrets stay out of reprs
    assert order.items[0].product_face_value == Decimal(10) and order.order_type == "Sandbox"


@pytest.mark.parametrize(
    ("raw", "status", "terminal"),
    [
        ("Created", OrderStatus.CREATED, False),
        ("Processing", OrderStatus.PROCESSING, False),
        ("Pending", OrderStatus.PENDING, False),
        ("Succeeded", OrderStatus.SUCCEEDED, True),
        ("Failed", OrderStatus.FAILED, True),
        ("PartialFailed", OrderStatus.PARTIAL_FAILED, True),
        ("succeeded", OrderStatus.SUCCEEDED, True),
        ("CheckingOut", OrderStatus.CHECKING_OUT, False),
        ("SomethingNew", OrderStatus.UNKNOWN, False),
    ],
)
async def test_get_order_statuses_unknown_ones_are_not_terminal(make_client, json_response, raw, status, terminal):
    client = make_client(lambda r: json_response(200, {"requestId": REQUEST_ID, "status": raw, "items": []}))

    order = await client.get_order(REQUEST_ID)

    assert order.status is status and order.is_terminal is terminal and order.raw_status == raw


async def test_orders_report(make_client, record, json_response):
    handler = record(lambda r: json_response(200, '[{"clientName":"Bamboo Tech - Testing","orderNumber":"O-06761537",'
        '"orderDate":"2024-05-15T00:00:00","clientReferenceNumber":"97018cf7-98f5-40fc-a142-711d43a72e17",'
        '"channel":"Sandbox","productName":"Steam 10 USD BH","denomination":"USD 10","quantity":1,'
        '"unitPrice":9.47,"subTotal":9.47,"total":9.47,"accountCurrency":"USD","status":"Succeeded"}]'))
    client = make_client(handler)

    [line] = await client.get_orders_report(date(2022, 10, 1), date(2022, 10, 31))

    request = handler.requests[0]
    assert request.url.path == "/api/Integration/v1/orders"
    assert dict(request.url.params) == {"startDate": "2022-10-01", "endDate": "2022-10-31"}
    assert line.unit_price == Decimal("9.47") and line.client_reference_number.startswith("97018cf7")
    assert line.order_date == datetime(2024, 5, 15, tzinfo=timezone.utc)


async def test_transactions(make_client, record, json_response):
    body = ('{"startDate":"2024-05-15T00:00:00","endDate":"2024-05-16T23:59:59","clients":[{"clientName":"c",'
            '"transactions":[{"orderId":6761537,"requestId":"r","productId":439685,"orderNumber":"O-06761537",'
            '"orderTotal":{"value":9.47,"currencyCode":"USD"},"currencyCode":null,'
            '"orderDate":"2024-05-15T04:29:41.3062431","transactionId":"6677709 ","transactionType":"Order",'
            '"availableBalance":{"value":100828.4848,"currencyCode":"USD"},'
            '"transactionAmount":{"value":9.47,"currencyCode":"USD"},"orderItems":[{"createdDate":"0001-01-01T00:00:00",'
            '"denomination":{"value":10,"currencyCode":"USD"},"clientDiscountValue":5.2995,'
            '"clientExchangeRate":{"fromCurrency":"USD","toCurrency":"USD","exchangeRate":0},"clientTotal":9.47}]}]}]}')
    handler = record(lambda r: json_response(200, body))
    client = make_client(handler)

    report = await client.get_transactions(date(2024, 5, 15), date(2024, 5, 16))

    assert handler.requests[0].url.path == "/api/Integration/v1/transactions"
    assert dict(handler.requests[0].url.params) == {"startDate": "2024-05-15", "endDate": "2024-05-16"}
    [tx] = list(report.transactions())
    assert tx.transaction_id == "6677709"
    assert tx.available_balance is not None and str(tx.available_balance.value) == "100828.4848"
    assert tx.order_items[0].client_discount_value == Decimal("5.2995")
    assert tx.order_items[0].created_date == datetime(1, 1, 1, tzinfo=timezone.utc)
    assert report.end_date == datetime(2024, 5, 16, 23, 59, 59, tzinfo=timezone.utc)


async def test_notification_config_get_and_set(make_client, record, json_response):
    def respond(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return json_response(200, request.content.decode())  # Bamboo echoes the config
        return json_response(200, {"notificationUrl": "https://a.test/cb", "notificationUrlSandbox": None, "secretKey": "k1"})

    handler = record(respond)
    client = make_client(handler)

    current = await client.get_notification_config()
    updated = await client.set_notification_config(
        notification_url="https://steller.test/bamboo/callback",
        notification_url_sandbox="https://sandbox.steller.test/cb",
        secret_key=SecretStr("callback-secret"),
    )

    assert current.notification_url == "https://a.test/cb" and current.secret_key.get_secret_value() == "k1"
    post = handler.requests[1]
    assert post.method == "POST" and post.url.path == "/api/Integration/v1/notification"
    assert json.loads(post.content) == {
        "notificationUrl": "https://steller.test/bamboo/callback",
        "notificationUrlSandbox": "https://sandbox.steller.test/cb",
        "secretKey": "callback-secret",
    }
    assert updated.secret_key is not None and updated.secret_key.get_secret_value() == "callback-secret"


async def test_client_waits_for_the_limiter_on_each_endpoint(make_client, json_response):
    limiter = SharedRateLimiter.in_memory(limits={"place_order": (2, 1.0, 0.5)})
    client = make_client(lambda r: json_response(200, f'"{REQUEST_ID}"'), rate_limiter=limiter)

    await client.place_order(request_id=REQUEST_ID, account_id=1, products=[{"ProductId": 5, "Quantity": 1, "Value": 10}])

    state = await limiter.state()
    assert state["place_order"].used_in_window == 1 and state["place_order"].granted_here == 1
    # Bamboo's "6 orders for the same product per minute" budget is tracked per product.
    assert state["place_order_product:5"].used_in_window == 1
    assert state["place_order_product:5"].limit.count == 6
