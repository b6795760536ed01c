"""BambooClient against the real Bamboo simulator on loopback (issue #3).

Every call VENDOR.md lists goes over real sockets to a uvicorn-served simulator: catalog v2 paging
and incremental sync, categories, accounts, exchange rates, place/get order with the simulator's
magic values, every documented 400 reason the client can send, faults (500, 503, hang, closed
port, latency, bad credentials), the orders report, transactions, notification config, and
Bamboo's real per-endpoint rate limits with the Redis-shared SharedRateLimiter.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis.asyncio as redis_asyncio
from pydantic import SecretStr

from core.vendors.bamboo import (
    BambooClient,
    NoVendorAccount,
    OrderAlreadyExists,
    OrderNotFound,
    OrderProduct,
    OrderStatus,
    SharedRateLimiter,
    VendorAuthError,
    VendorOutcomeUnknown,
    VendorRateLimited,
    VendorRejected,
    VendorUnavailable,
)
from tests.support.vendor import (
    CLIENT_ID,
    MAGIC_RANGE_PRODUCT,
    free_port,
    magic_face,
    running_simulator,
    sim_admin,
    sim_stats,
    vendor_client,
)

USD_ACCOUNT = 555
STEAM_10_USD_BH = 439685
HEX32 = re.compile(r"^[0-9a-f]{32}$")


# ----------------------------------------------------------------------------- helpers


def line(product_id: int, value: str | Decimal, quantity: int = 1) -> OrderProduct:
    return OrderProduct(product_id=product_id, quantity=quantity, value=Decimal(value))


async def balance(client, account_id: int = USD_ACCOUNT) -> Decimal:
    accounts = await client.get_accounts()
    return next(a.balance for a in accounts if a.id == account_id)


async def poll_until_terminal(client, request_id: str, *, timeout: float = 5.0, every: float = 0.05):
    """get_order until a final status; returns (order, every status seen in order)."""
    seen: list[OrderStatus] = []
    deadline = time.monotonic() + timeout
    while True:
        order = await client.get_order(request_id)
        if not seen or seen[-1] != order.status:
            seen.append(order.status)
        if order.is_terminal:
            return order, seen
        if time.monotonic() > deadline:
            raise AssertionError(f"order {request_id} still {order.status} after {timeout} s: {seen}")
        await asyncio.sleep(every)


async def sim_get(base_url: str, path: str):
    async with httpx.AsyncClient() as c:
        response = await c.get(f"{base_url}/_sim/{path}")
        response.raise_for_status()
        return response.json()


async def sim_orders(base_url: str) -> list[dict]:
    return await sim_get(base_url, "orders")


@pytest.fixture
async def sim():
    """A default simulator (60 products, instant orders, no rate limits) and a client on it."""
    async with running_simulator() as (base_url, app):
        client = vendor_client(base_url)
        try:
            yield base_url, client
        finally:
            await client.aclose()


def rate_limit_redis_url() -> str:
    """The test Redis server, database 15 (the vendor tests' database): not the REDIS_URL database
    (14), which the worker/notification fixtures FLUSHDB, and a flush in the middle of a burst
    would wipe the shared budget. Keys here live under a per-test prefix and are deleted after."""
    explicit = os.environ.get("TEST_VENDOR_REDIS_URL")
    if explicit:
        return explicit
    return urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path="/15"))


@pytest.fixture
async def redis():
    client = redis_asyncio.Redis.from_url(rate_limit_redis_url(), socket_connect_timeout=2)
    await client.ping()  # Redis is part of the test environment: fail loudly, never skip
    yield client
    await client.aclose()


@pytest.fixture
async def limiter_factory(redis):
    """limiter_factory(**kw): SharedRateLimiters on Redis under this test's own key prefix.

    Two limiters from one factory behave like two processes of one deployment: separate
    in-process smoothing, one shared budget."""
    prefix = f"test:steller:bamboo:rl:{CLIENT_ID}:{uuid.uuid4().hex}:"

    def make(**kwargs) -> SharedRateLimiter:
        return SharedRateLimiter(redis, key_prefix=prefix, **kwargs)

    yield make
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


# ----------------------------------------------------------------------------- catalog


async def test_catalog_paging_reads_every_page_and_matches_the_seeded_catalog():
    async with running_simulator(products=400) as (base_url, _app):
        client = vendor_client(base_url)
        try:
            summary = await sim_get(base_url, "catalog/summary")
            assert summary["brands"] > 100  # more than one page of 100 brands
            assert summary["products"] == 400

            pages = [page async for page in client.iter_catalog_pages()]
            assert [page.page_index for page in pages] == list(range(summary["pages_of_100"]))
            assert [len(page.items) for page in pages] == [100, summary["brands"] - 100]
            assert all(page.count == summary["brands"] for page in pages)
            brands = [brand for page in pages for brand in page.items]
            products = [product for brand in brands for product in brand.products]
            assert len({brand.internal_id for brand in brands}) == summary["brands"]
            assert len({product.id for product in products}) == len(products) == summary["products"]
            assert (await sim_stats(base_url))["requests"]["catalog_v2"] == len(pages)

            # A smaller page size reads the same catalog, page by page until the short page.
            small = [page async for page in client.iter_catalog_pages(page_size=25)]
            assert len(small) == -(-summary["brands"] // 25)
            assert [b.internal_id for p in small for b in p.items] == [b.internal_id for b in brands]

            # Typed, Decimal money; the documented test products are there as documented.
            for product in products:
                assert isinstance(product.min_face_value, Decimal)
                assert isinstance(product.max_face_value, Decimal)
                assert isinstance(product.price.min, Decimal) and isinstance(product.price.max, Decimal)
            by_id = {product.id: product for product in products}
            steam = by_id[STEAM_10_USD_BH]
            assert steam.name == "Steam 10 USD BH" and steam.is_fixed_value
            assert steam.price.min == Decimal("9.47005") and steam.price.currency_code == "USD"
            assert not by_id[900201].in_stock  # count 0
            magic = by_id[MAGIC_RANGE_PRODUCT]
            assert (magic.min_face_value, magic.max_face_value) == (Decimal(1), Decimal(1000))
            assert by_id[2119010].status == "TemporaryInactive"
            assert len({brand.country_code for brand in brands}) >= 5
            assert len({brand.currency_code for brand in brands}) >= 3
            assert set(summary["countries"]) == {brand.country_code for brand in brands}

            # Filters go through: one brand by id.
            page = await client.get_catalog_page(brand_id=4396)
            assert page.count == 1 and [b.name for b in page.items] == ["Steam Bahrain"]
            assert sorted(p.id for p in page.items[0].products) == [439685, 439686, 439687]
        finally:
            await client.aclose()


async def test_incremental_catalog_sync_with_modified_date(sim):
    base_url, client = sim
    brands = [brand async for brand in client.iter_catalog_brands()]
    last_sync = max(p.modified_date for b in brands for p in b.products)
    assert last_sync.tzinfo is not None

    # Nothing changed: one request, nothing returned.
    before = (await sim_stats(base_url))["requests"]["catalog_v2"]
    assert [page async for page in client.iter_catalog_pages(modified_date=last_sync)] == []
    assert (await sim_stats(base_url))["requests"]["catalog_v2"] == before + 1

    await sim_admin(base_url, f"catalog/products/{STEAM_10_USD_BH}/touch", {"discount": "6"})
    changed = [brand async for brand in client.iter_catalog_brands(modified_date=last_sync)]
    assert [b.name for b in changed] == ["Steam Bahrain"]
    assert [p.id for p in changed[0].products] == [STEAM_10_USD_BH]
    product = changed[0].products[0]
    assert product.price.min == Decimal("9.4") and product.modified_date > last_sync

    # The next incremental sync starts from the new high-water mark and finds nothing.
    assert [b async for b in client.iter_catalog_brands(modified_date=product.modified_date)] == []


async def test_categories(sim):
    _base_url, client = sim
    categories = await client.get_categories()
    assert len(categories) == 27
    names = {c.id: c.name for c in categories}
    assert names[1] == "Entertainment" and names[30] == "Petroleum"


# ----------------------------------------------------------------------------- accounts, rates


async def test_accounts_and_account_resolution(sim):
    _base_url, client = sim
    accounts = {a.id: a for a in await client.get_accounts()}
    assert set(accounts) == {555, 556, 557, 558}
    assert accounts[555].currency == "USD" and accounts[555].balance == Decimal("100000")
    assert all(isinstance(a.balance, Decimal) for a in accounts.values())
    assert accounts[555].sandbox_mode is True
    assert accounts[558].is_active is False

    assert await client.resolve_account_id("usd") == 555
    assert await client.resolve_account_id("EUR") == 556
    with pytest.raises(NoVendorAccount):
        await client.resolve_account_id("GBP")  # 558 is inactive


async def test_exchange_rates(sim):
    _base_url, client = sim
    usd = await client.get_exchange_rates()
    assert usd.base_currency_code == "USD"
    assert usd.rate_for("EUR") == Decimal("0.92") and isinstance(usd.rate_for("EUR"), Decimal)
    assert usd.rate_for("AED") == Decimal("3.6725")
    assert len(usd.rates) >= 10

    pair = await client.get_exchange_rates(base_currency="EUR", currency="USD")
    assert pair.base_currency_code == "EUR"
    assert [(r.currency_code, r.value) for r in pair.rates] == [("USD", Decimal("1.086957"))]

    aed = await client.get_exchange_rates(base_currency="AED")
    assert aed.base_currency_code == "AED" and aed.rate_for("AED") == Decimal(1)


# ----------------------------------------------------------------------------- orders


async def test_place_order_then_poll_until_succeeded_with_cards():
    async with running_simulator(order_delay=0.4) as (base_url, _app):
        client = vendor_client(base_url)
        try:
            opening = await balance(client)
            request_id = str(uuid.uuid4())
            placed = await client.place_order(
                request_id=request_id,
                account_id=USD_ACCOUNT,
                products=[line(MAGIC_RANGE_PRODUCT, magic_face("ok"), quantity=2)],
            )
            assert placed == request_id  # the bare JSON string body

            # Charged at place time: 2 × 20 × (1 − 5 %) = 38.
            assert await balance(client) == opening - Decimal("38")

            order, seen = await poll_until_terminal(client, request_id)
            assert seen[0] in (OrderStatus.CREATED, OrderStatus.PROCESSING)
            assert seen[-1] == OrderStatus.SUCCEEDED and order.raw_status == "Succeeded"
            assert order.request_id == request_id and order.order_type == "Sandbox"
            assert order.total == Decimal("38") and isinstance(order.total, Decimal)
            assert order.currency == "USD"
            [item] = order.items
            assert item.product_id == MAGIC_RANGE_PRODUCT and item.quantity == 2
            assert item.product_face_value == Decimal("20") and isinstance(item.product_face_value, Decimal)

            cards = list(order.cards())
            assert len(cards) == 2
            for card in cards:
                assert isinstance(card.card_code, SecretStr) and isinstance(card.pin, SecretStr)
                assert HEX32.match(card.card_code.get_secret_value())
                assert re.fullmatch(r"\d{3}", card.pin.get_secret_value())
                uuid.UUID(card.serial_number)
                assert card.status == "Sold"
                assert order.created_date is not None and card.expiration_date is not None
                assert card.expiration_date - order.created_date > timedelta(days=364)
            # The secret codes never show in repr/str/JSON dumps of the typed result.
            shown = " ".join([repr(order), str(order), order.model_dump_json(), repr(cards)])
            for card in cards:
                assert card.card_code.get_secret_value() not in shown
            assert await balance(client) == opening - Decimal("38")
        finally:
            await client.aclose()


async def test_repeated_request_id_is_order_already_exists(sim):
    base_url, client = sim
    opening = await balance(client)
    request_id = uuid.uuid4()
    await client.place_order(
        request_id=request_id, account_id=USD_ACCOUNT, products=[line(STEAM_10_USD_BH, "10")]
    )
    for again in (request_id, str(request_id).upper()):  # GUIDs compare case-insensitively
        with pytest.raises(OrderAlreadyExists) as caught:
            await client.place_order(
                request_id=again, account_id=USD_ACCOUNT, products=[line(STEAM_10_USD_BH, "10")]
            )
        assert isinstance(caught.value, VendorRejected)
        assert caught.value.code == "OrderAlreadyExists" and caught.value.status_code == 400
    # Charged once: 10 × (1 − 5.2995 %) = 9.47005 → 9.47 (4 decimals, banker's rounding: 9.4700).
    assert await balance(client) == opening - Decimal("9.47")
    order, _ = await poll_until_terminal(client, str(request_id))
    assert order.status == OrderStatus.SUCCEEDED and len(list(order.cards())) == 1
    assert len(await sim_orders(base_url)) == 1


REJECTIONS = [
    # (expected code, simulator admin setup, account, product line)
    ("WrongAccount", None, 999, (STEAM_10_USD_BH, "10", 1)),
    ("WrongAccount", None, 558, (STEAM_10_USD_BH, "10", 1)),  # inactive account
    ("UserNotEnabled", ("config", {"client_enabled": False}), USD_ACCOUNT, (STEAM_10_USD_BH, "10", 1)),
    ("ClientCatalogNotExist", ("config", {"catalog_assigned": False}), USD_ACCOUNT,
     (STEAM_10_USD_BH, "10", 1)),
    ("CardsLimitExceeded", None, USD_ACCOUNT, (STEAM_10_USD_BH, "10", 501)),
    ("InvalidProductIds", None, USD_ACCOUNT, (1, "10", 1)),
    ("InvalidProduct", None, USD_ACCOUNT, (2119010, "10", 1)),  # TemporaryInactive brand
    ("InvalidDenomination", None, USD_ACCOUNT, (2118010, "11", 1)),  # fixed 10
    ("InvalidDenomination", None, USD_ACCOUNT, (MAGIC_RANGE_PRODUCT, "1000.50", 1)),  # range 1–1000
    ("ProductIsOutOfStock", None, USD_ACCOUNT, (900201, "10", 1)),  # count 0
    ("ProductIsOutOfStock", None, USD_ACCOUNT, (900202, "25", 6)),  # count 5
    ("ClientPriceInvalid", None, USD_ACCOUNT, (900301, "10", 1)),
    ("InsufficientBalance", (f"accounts/{USD_ACCOUNT}/balance", {"balance": "5"}), USD_ACCOUNT,
     (MAGIC_RANGE_PRODUCT, "20.00", 1)),
]


@pytest.mark.parametrize(
    ("code", "setup", "account", "order_line"),
    REJECTIONS,
    ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTIONS)],
)
async def test_documented_400_reasons_become_vendor_rejected(sim, code, setup, account, order_line):
    base_url, client = sim
    if setup is not None:
        await sim_admin(base_url, *setup)
    opening = await balance(client)
    with pytest.raises(VendorRejected) as caught:
        await client.place_order(
            request_id=uuid.uuid4(), account_id=account, products=[line(*order_line)]
        )
    error = caught.value
    assert type(error) is VendorRejected  # not the OrderAlreadyExists/OrderNotFound subclasses
    assert error.code == code and error.status_code == 400 and not error.retryable
    assert await balance(client) == opening  # nothing charged
    assert await sim_orders(base_url) == []  # nothing recorded


async def test_no_products_and_order_not_found(sim):
    base_url, client = sim
    # NoProducts cannot be sent: the client refuses an empty order before any request.
    with pytest.raises(ValueError):
        await client.place_order(request_id=uuid.uuid4(), account_id=USD_ACCOUNT, products=[])
    assert "place_order" not in (await sim_stats(base_url))["requests"]

    with pytest.raises(OrderNotFound) as caught:
        await client.get_order(uuid.uuid4())
    assert caught.value.code == "OrderNotFound" and caught.value.status_code == 400
    assert isinstance(caught.value, VendorRejected)


async def test_magic_failed_and_partial_failed_refund_undelivered_cards(sim):
    base_url, client = sim
    opening = await balance(client)

    failed_id = str(uuid.uuid4())
    await client.place_order(
        request_id=failed_id, account_id=USD_ACCOUNT,
        products=[line(MAGIC_RANGE_PRODUCT, magic_face("failed"))],
    )
    failed, _ = await poll_until_terminal(client, failed_id)
    assert failed.status == OrderStatus.FAILED and list(failed.cards()) == []
    assert failed.error_message and failed.total == Decimal(0)
    assert await balance(client) == opening  # fully refunded

    partial_id = str(uuid.uuid4())
    await client.place_order(
        request_id=partial_id,
        account_id=USD_ACCOUNT,
        products=[line(MAGIC_RANGE_PRODUCT, magic_face("partial"), quantity=4)],
    )
    partial, _ = await poll_until_terminal(client, partial_id)
    assert partial.status == OrderStatus.PARTIAL_FAILED and partial.is_terminal
    assert len(list(partial.cards())) == 2  # half of 4
    # Charged only for the 2 delivered cards: 2 × 20.02 × 0.95 = 38.038.
    assert partial.total == Decimal("38.038")
    assert await balance(client) == opening - Decimal("38.038")


async def test_magic_pending_stays_pending_then_succeeds():
    async with running_simulator(pending_hold_seconds=0.8) as (base_url, _app):
        client = vendor_client(base_url)
        try:
            request_id = str(uuid.uuid4())
            await client.place_order(
                request_id=request_id, account_id=USD_ACCOUNT,
                products=[line(MAGIC_RANGE_PRODUCT, magic_face("slow"))],
            )
            first = await client.get_order(request_id)
            assert first.status == OrderStatus.PENDING and not first.is_terminal and list(first.cards()) == []
            order, seen = await poll_until_terminal(client, request_id)
            assert seen == [OrderStatus.PENDING, OrderStatus.SUCCEEDED]
            assert len(list(order.cards())) == 1
        finally:
            await client.aclose()


async def test_magic_500_on_place_is_vendor_unavailable_and_records_nothing(sim):
    base_url, client = sim
    opening = await balance(client)
    request_id = uuid.uuid4()
    for _attempt in range(2):  # a retry with the same RequestId gets the 500 again
        with pytest.raises(VendorUnavailable) as caught:
            await client.place_order(
                request_id=request_id, account_id=USD_ACCOUNT,
                products=[line(MAGIC_RANGE_PRODUCT, magic_face("error500"))],
            )
        error = caught.value
        assert type(error) is VendorUnavailable and error.retryable
        assert error.status_code == 500 and error.request_sent is True
    with pytest.raises(OrderNotFound):
        await client.get_order(request_id)
    assert await balance(client) == opening


async def test_magic_hang_is_outcome_unknown_and_polling_finds_the_order():
    async with running_simulator(timeout_hang_seconds=1.0) as (base_url, _app):
        client = vendor_client(base_url, timeout=0.3)
        try:
            opening = await balance(client)
            request_id = str(uuid.uuid4())
            started = time.monotonic()
            with pytest.raises(VendorOutcomeUnknown) as caught:
                await client.place_order(
                    request_id=request_id, account_id=USD_ACCOUNT,
                    products=[line(MAGIC_RANGE_PRODUCT, magic_face("timeout"))],
                )
            assert time.monotonic() - started < 0.9  # the client's timeout, not the server's hang
            assert not caught.value.retryable
            # What the error says to do: poll. The order reached Bamboo and completes.
            order, _ = await poll_until_terminal(client, request_id)
            assert order.status == OrderStatus.SUCCEEDED and len(list(order.cards())) == 1
            assert await balance(client) == opening - Decimal("19.0475")  # 20.05 × 0.95
            # Placing again would be a duplicate: Bamboo says so.
            with pytest.raises(OrderAlreadyExists):
                await client.place_order(
                    request_id=request_id, account_id=USD_ACCOUNT,
                    products=[line(MAGIC_RANGE_PRODUCT, magic_face("timeout"))],
                )
        finally:
            await client.aclose()


# ----------------------------------------------------------------------------- faults


async def test_simulator_down_and_closed_port_are_vendor_unavailable(sim):
    base_url, client = sim

    # The down switch: Bamboo answers 503 to everything (an HTTP answer: the request arrived).
    await sim_admin(base_url, "faults", {"down": True})
    with pytest.raises(VendorUnavailable) as caught:
        await client.get_accounts()
    assert type(caught.value) is VendorUnavailable and caught.value.status_code == 503
    with pytest.raises(VendorUnavailable) as caught:
        await client.place_order(
            request_id=uuid.uuid4(), account_id=USD_ACCOUNT, products=[line(STEAM_10_USD_BH, "10")]
        )
    assert type(caught.value) is VendorUnavailable and caught.value.status_code == 503
    assert (await sim_stats(base_url))["down_rejections"] == 2
    await sim_admin(base_url, "faults", {"down": False})
    assert await balance(client) == Decimal("100000")
    assert await sim_orders(base_url) == []

    # Nothing listening: connection refused, nothing was sent, not even for place order.
    closed = vendor_client(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    try:
        with pytest.raises(VendorUnavailable) as caught:
            await closed.get_accounts()
        assert type(caught.value) is VendorUnavailable
        assert caught.value.request_sent is False and caught.value.status_code is None
        with pytest.raises(VendorUnavailable) as caught:  # not VendorOutcomeUnknown
            await closed.place_order(
                request_id=uuid.uuid4(), account_id=USD_ACCOUNT, products=[line(STEAM_10_USD_BH, "10")]
            )
        assert type(caught.value) is VendorUnavailable and caught.value.request_sent is False
    finally:
        await closed.aclose()


async def test_injected_errors_latency_and_bad_credentials():
    async with running_simulator() as (base_url, _app):
        client = vendor_client(base_url, timeout=0.3)
        try:
            await sim_admin(
                base_url, "faults", {"error_rate": 1.0, "error_statuses": [500], "endpoints": ["accounts"]}
            )
            with pytest.raises(VendorUnavailable) as caught:
                await client.get_accounts()
            assert caught.value.status_code == 500 and caught.value.request_sent is True
            assert len(await client.get_categories()) == 27  # other endpoints unaffected

            await sim_admin(base_url, "faults", {"error_rate": 0.0, "latency_ms": 700})
            with pytest.raises(VendorUnavailable) as caught:  # a read timeout on an idempotent GET
                await client.get_accounts()
            assert caught.value.request_sent is True and caught.value.status_code is None
            await sim_admin(base_url, "faults", {"latency_ms": 0})
            assert await balance(client) == Decimal("100000")
        finally:
            await client.aclose()

        wrong = BambooClient(base_url=base_url, client_id=CLIENT_ID, client_secret="not-the-secret",
                             timeout_seconds=1.0, rate_limiter=SharedRateLimiter.disabled())
        try:
            with pytest.raises(VendorAuthError) as caught:
                await wrong.get_accounts()
            assert caught.value.status_code == 401 and not caught.value.retryable
        finally:
            await wrong.aclose()


# ----------------------------------------------------------------------------- reports, notification


async def test_orders_report_and_transactions_reflect_the_orders(sim):
    base_url, client = sim
    opening = await balance(client)
    ids = {}
    for outcome in ("ok", "failed", "partial"):
        ids[outcome] = str(uuid.uuid4())
        await client.place_order(
            request_id=ids[outcome], account_id=USD_ACCOUNT,
            products=[line(MAGIC_RANGE_PRODUCT, magic_face(outcome), quantity=2)],
        )
        await poll_until_terminal(client, ids[outcome])
    closing = await balance(client)
    # ok: 2 × 19 = 38; failed: 0; partial: 1 card × 20.02 × 0.95 = 19.019.
    assert closing == opening - Decimal("38") - Decimal("19.019")

    today = datetime.now(timezone.utc).date()
    start, end = today - timedelta(days=1), today + timedelta(days=1)
    report = await client.get_orders_report(start, end)
    by_ref = {row.client_reference_number: row for row in report}
    assert set(by_ref) == set(ids.values())
    assert {ref: row.status for ref, row in by_ref.items()} == {
        ids["ok"]: "Succeeded", ids["failed"]: "Failed", ids["partial"]: "PartialFailed",
    }
    ok = by_ref[ids["ok"]]
    assert ok.total == Decimal("38") and isinstance(ok.total, Decimal)
    assert ok.unit_price == Decimal("19") and ok.quantity == 2 and ok.channel == "Sandbox"
    assert ok.order_number and re.fullmatch(r"O-\d{8}", ok.order_number)
    assert by_ref[ids["failed"]].total == Decimal(0)

    transactions = list((await client.get_transactions(start, end)).transactions())
    kinds = sorted((t.request_id, t.transaction_type) for t in transactions)
    assert kinds == sorted(
        [(ids["ok"], "Order"), (ids["failed"], "Order"), (ids["failed"], "Refund"),
         (ids["partial"], "Order"), (ids["partial"], "Refund")]
    )
    for txn in transactions:
        assert txn.transaction_id and txn.transaction_id == txn.transaction_id.strip()
        assert isinstance(txn.transaction_amount.value, Decimal)
    last = max(transactions, key=lambda t: int(t.transaction_id))
    assert last.available_balance.value == closing


async def test_notification_config_round_trip(sim):
    _base_url, client = sim
    empty = await client.get_notification_config()
    assert empty.notification_url is None
    saved = await client.set_notification_config(
        notification_url="https://steller.example/bamboo/callback",
        notification_url_sandbox="https://sandbox.steller.example/bamboo/callback",
        secret_key="callback-secret-Zq9",
    )
    assert saved.notification_url == "https://steller.example/bamboo/callback"
    assert saved.secret_key.get_secret_value() == "callback-secret-Zq9"
    assert "callback-secret-Zq9" not in repr(saved)
    again = await client.get_notification_config()
    assert again == saved


# ----------------------------------------------------------------------------- real rate limits


async def test_shared_limiter_spreads_bursts_at_bamboos_rate_with_zero_429s(limiter_factory):
    """Two clients (two "processes") share one Redis budget against the simulator's real limits."""
    async with running_simulator(rate_limits=True) as (base_url, _app):
        clients = [vendor_client(base_url, limiter=limiter_factory()) for _ in range(2)]
        pages_of_10 = -(-(await sim_get(base_url, "catalog/summary"))["brands"] // 10)
        assert pages_of_10 >= 3
        try:

            async def timed(coro):
                started = time.monotonic()
                result = await coro
                return result, time.monotonic() - started

            async def accounts_burst():  # 1 per second: 4 calls span at least 3 s
                await asyncio.gather(*(clients[i % 2].get_accounts() for i in range(4)))

            async def catalog_paging():  # 1 per second: pages of 10 brands, one a second
                return [page async for page in clients[0].iter_catalog_pages(page_size=10)]

            async def order_burst():  # 2 per second and 500 ms apart: 5 orders span at least 2 s
                ids = [str(uuid.uuid4()) for _ in range(5)]
                await asyncio.gather(*(
                    clients[i % 2].place_order(
                        request_id=rid, account_id=USD_ACCOUNT, products=[line(MAGIC_RANGE_PRODUCT, "20")]
                    )
                    for i, rid in enumerate(ids)
                ))
                return ids

            (_, accounts_s), (pages, catalog_s), (ids, orders_s) = await asyncio.gather(
                timed(accounts_burst()), timed(catalog_paging()), timed(order_burst())
            )
            for request_id in ids:  # get order: 120 per minute, well within
                order, _ = await poll_until_terminal(clients[1], request_id)
                assert order.status == OrderStatus.SUCCEEDED

            stats = await sim_stats(base_url)
            assert stats["rate_limited_total"] == 0, stats["rate_limited"]
            assert stats["requests"]["accounts"] == 4
            assert stats["requests"]["catalog_v2"] == len(pages) == pages_of_10
            assert stats["requests"]["place_order"] == 5 and stats["orders"]["total"] == 5
            # Spread at the allowed rate (lower bounds only: a slow machine may take longer).
            assert accounts_s >= 2.9, accounts_s
            assert catalog_s >= pages_of_10 - 1 - 0.1, catalog_s
            assert orders_s >= 1.9, orders_s
        finally:
            for client in clients:
                await client.aclose()


async def test_without_the_client_limiter_a_burst_gets_vendor_rate_limited():
    async with running_simulator(rate_limits=True) as (base_url, _app):
        client = vendor_client(base_url)  # SharedRateLimiter.disabled()
        try:
            results = await asyncio.gather(*(client.get_accounts() for _ in range(3)), return_exceptions=True)
            limited = [r for r in results if isinstance(r, VendorRateLimited)]
            assert len(limited) == 2 and sum(isinstance(r, list) for r in results) == 1
            for error in limited:
                assert error.imposed_by_vendor and error.status_code == 429 and error.retryable
                assert error.wait_seconds == 1.0  # "Please wait for 1 seconds", Retry-After: 1

            # Transactions: 4 per hour. The fifth call's wait is the simulator's (about an hour),
            # not a default.
            today = datetime.now(timezone.utc).date()
            for _ in range(4):
                await client.get_transactions(today, today)
            with pytest.raises(VendorRateLimited) as caught:
                await client.get_transactions(today, today)
            assert 3500 <= caught.value.wait_seconds <= 3600 and caught.value.imposed_by_vendor

            stats = await sim_stats(base_url)
            assert stats["rate_limited"] == {"accounts": 2, "transactions": 1}
        finally:
            await client.aclose()


async def test_a_vendor_429_blocks_the_shared_budget_for_every_process(limiter_factory):
    async with running_simulator(rate_limits=True) as (base_url, _app):
        # A limiter that believes in 10 transactions an hour (Bamboo allows 4) meets the 429.
        optimistic = vendor_client(base_url, limiter=limiter_factory(limits={"transactions": (10, 3600.0)}))
        # Another process of the same deployment, with the real limits.
        other = vendor_client(base_url, limiter=limiter_factory())
        try:
            today = datetime.now(timezone.utc).date()
            for _ in range(4):
                await optimistic.get_transactions(today, today)
            with pytest.raises(VendorRateLimited) as caught:
                await optimistic.get_transactions(today, today)
            assert caught.value.imposed_by_vendor and 3500 <= caught.value.wait_seconds <= 3600

            # The block is in Redis: the other process does not even ask Bamboo.
            for client in (other, optimistic):
                with pytest.raises(VendorRateLimited) as caught:
                    await client.get_transactions(today, today)
                assert not caught.value.imposed_by_vendor and caught.value.wait_seconds > 3000
            stats = await sim_stats(base_url)
            assert stats["requests"]["transactions"] == 5 and stats["rate_limited_total"] == 1
        finally:
            await optimistic.aclose()
            await other.aclose()


async def test_client_limiter_stops_the_fifth_transactions_call_before_bamboo_does(limiter_factory):
    async with running_simulator(rate_limits=True) as (base_url, _app):
        client = vendor_client(base_url, limiter=limiter_factory())
        try:
            today = datetime.now(timezone.utc).date()
            for _ in range(4):
                await client.get_transactions(today, today)
            started = time.monotonic()
            with pytest.raises(VendorRateLimited) as caught:
                await client.get_transactions(today, today)
            assert time.monotonic() - started < 1.0  # refused at once, not after an hour's sleep
            assert not caught.value.imposed_by_vendor and caught.value.wait_seconds > 3000
            stats = await sim_stats(base_url)
            assert stats["requests"]["transactions"] == 4 and stats["rate_limited_total"] == 0
        finally:
            await client.aclose()
