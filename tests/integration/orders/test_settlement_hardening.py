"""Settlement that cannot strand money: a settlement no retry heals halts for an admin; cards
without a code are waited for; giving up proves Bamboo has nothing; only requests that went out
count as attempts; the vendor leg is what Bamboo charged. Against the simulator on loopback."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import httpx
from tortoise.connection import get_connection

from core.config import get_settings
from core.db import atomic
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import AccountKind, Hold, HoldStatus, Operation
from core.money import round_to_minor
from core.orders import pipeline, resolve
from core.orders.models import Card, Order, OrderStatus
from core.orders.reconcile import stuck_orders
from core.vendors.bamboo import BambooClient, OrderProduct, SharedRateLimiter
from tests.integration.orders.order_support import ADMIN, admin_alerts, an_admin_listens, create
from tests.support.vendor import CLIENT_ID, CLIENT_SECRET, MAGIC_RANGE_PRODUCT, drive, sim_admin, sim_stats

ROOT = Path(__file__).resolve().parents[3]


async def balances(network) -> dict[str, int]:
    sub = network["sub"]
    return {
        "sub_wallet": (await party_account(sub.id, AccountKind.WALLET, "USD")).balance,
        "sub_holds": (await party_account(sub.id, AccountKind.HOLDS, "USD")).balance,
        "vendor": (await system_account(AccountKind.VENDOR, "USD")).balance,
        "revenue": (await system_account(AccountKind.REVENUE, "USD")).balance,
    }


def delta(after: dict, before: dict) -> dict:
    return {k: after[k] - before[k] for k in after}


def placement(stats: dict, order: Order) -> dict:
    return next((p for p in stats["placements"].values() if p["requestId"] == str(order.vendor_request_id)),
                {"calls": 0, "created": False})


# --- 15: the ledger owns settlement ---------------------------------------------------------------


def test_orders_settle_through_the_ledgers_use_case_not_its_internals():
    for path in sorted((ROOT / "core" / "orders").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for internal in ("core.ledger.posting", "lock_accounts", "system_account", "party_account", "Leg("):
            assert internal not in text, f"{path.name} reaches into the ledger: {internal}"


# --- 1: a settlement no retry heals halts, visibly, once ---------------------------------------------


async def test_a_settlement_that_cannot_succeed_halts_for_an_admin_instead_of_looping(network, vendor):
    await an_admin_listens()
    agent, sub = network["agent"], network["sub"]
    # The parent has no commission account in the order's currency: what a child created in another
    # currency than its parent ran into (settlement looked up the parent's account, failed, retried forever).
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    await get_connection("default").execute_query(
        "UPDATE ledger_account SET code = code || ':elsewhere' WHERE id = $1", [commission.id])
    before = await balances(network)
    order = await create(sub, "20.00", quantity=2)

    actions = await drive(order.id, vendor)

    assert actions[-1] == "done"
    await order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING and order.halted_at is not None
    assert "ledger.account_not_found" in order.attention_reason
    assert await Card.filter(order_id=order.id).count() == 0  # nothing of the failed settlement stayed
    assert (await Hold.get(id=order.hold_id)).status == HoldStatus.OPEN
    assert delta(await balances(network), before)["sub_holds"] == order.total
    # Nobody retries it: a late job, a duplicate settlement, the reconciler all leave it alone.
    assert (await pipeline.poll(order_id=order.id, vendor=vendor)).action == "done"
    assert (await pipeline.place(order_id=order.id, vendor=vendor)).action == "done"
    vendor_order = await vendor.get_order(order.vendor_request_id)
    assert (await pipeline.settle(order_id=order.id, vendor_order=vendor_order)).action == "done"
    assert str(order.id) not in [o for o, _ in await stuck_orders(older_than_seconds=0)]
    alerts = await admin_alerts("admin.order_attention")
    assert len(alerts) == 1 and alerts[0].payload["params"]["order_id"] == str(order.id)

    async with atomic():  # an admin settles it by hand
        resolved = await resolve.fail_order(actor=ADMIN, order_id=order.id, reason="parent has no USD account")
    assert resolved.order.status == OrderStatus.FAILED and resolved.order.failure_code == "admin.failed"
    assert delta(await balances(network), before) == dict.fromkeys(before, 0)
    assert await check_ledger() == []


async def test_a_lost_race_is_retried_not_halted():
    import asyncpg

    deadlock = asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
    assert pipeline.heals_by_retrying(deadlock)
    assert pipeline.heals_by_retrying(ConnectionResetError("connection reset"))
    from core.ledger.errors import AccountNotFound

    assert not pipeline.heals_by_retrying(AccountNotFound("no account"))
    assert not pipeline.heals_by_retrying(KeyError("commission_unit"))


# --- 2: cards without a code --------------------------------------------------------------------------


async def test_cards_bamboo_has_not_handed_over_yet_are_waited_for_not_refunded(network, vendor, simulator):
    await sim_admin(simulator[0], "config", {"late_card_seconds": 0.6})
    before = await balances(network)
    order = await create(network["sub"], "20.06", quantity=3)  # Succeeded with 2 of 3 cards still Processing

    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 3
    assert order.cards_pending_since is not None  # it did wait for them
    assert await Card.filter(order_id=order.id).count() == 3
    hold = await Hold.get(id=order.hold_id)
    assert (hold.captured, hold.released) == (order.total, 0)  # nothing refunded for cards Bamboo charged
    charged = (await vendor.get_order(order.vendor_request_id)).total  # Bamboo rounds the order, we a card
    assert delta(await balances(network), before)["vendor"] == order.vendor_cost == round_to_minor(charged, "USD")
    assert abs(order.vendor_cost_difference) <= 1 and order.vendor_cost_source == "vendor"
    assert await check_ledger() == []


async def test_a_card_that_never_gets_its_code_is_refunded_after_the_bound_and_its_charge_booked(
        network, vendor, monkeypatch):
    await an_admin_listens()
    monkeypatch.setattr(get_settings(), "order_card_wait_seconds", 0.8)
    before = await balances(network)
    order = await create(network["sub"], "20.07", quantity=2)  # one card stays Paused at Bamboo, charged
    started = time.monotonic()

    await drive(order.id, vendor)

    assert time.monotonic() - started >= 0.8
    await order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_COMPLETED and order.cards_delivered == 1
    charged = (await vendor.get_order(order.vendor_request_id)).total  # for both cards
    assert order.vendor_charged == charged and order.vendor_cost == round_to_minor(charged, "USD")
    unit_cost, commission = order.quote["vendor_unit_cost"], order.quote["commission_unit"]
    assert order.vendor_cost_difference == order.vendor_cost - unit_cost > 0
    assert delta(await balances(network), before) == {
        "sub_wallet": -order.unit_price, "sub_holds": 0, "vendor": order.vendor_cost,
        "revenue": order.unit_price - order.vendor_cost - commission}  # the platform pays for the lost card
    assert len(await admin_alerts("admin.vendor_cost_difference")) == 1
    assert await check_ledger() == []


# --- 3: attempts, configuration errors, giving up ------------------------------------------------------


async def test_a_failed_account_lookup_is_not_an_attempt(network, vendor, simulator):
    order = await create(network["sub"], "20.00")
    await sim_admin(simulator[0], "faults", {"error_rate": 1.0, "error_statuses": [500], "endpoints": ["accounts"]})

    step = await pipeline.place(order_id=order.id, vendor=vendor)

    await order.refresh_from_db()
    assert step.action == "place" and step.delay > 0
    assert (order.status, order.attempts, order.deferrals) == (OrderStatus.PENDING, 0, 1)
    assert "VendorUnavailable" in order.last_error
    assert placement(await sim_stats(simulator[0]), order)["calls"] == 0
    await sim_admin(simulator[0], "faults", {"error_rate": 0.0})
    await drive(order.id, vendor)
    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.attempts == 1


async def test_no_vendor_account_defers_with_one_admin_alert_and_burns_no_attempt(network, vendor, simulator):
    await an_admin_listens()
    order = await create(network["sub"], "20.00")
    await sim_admin(simulator[0], "accounts/555", {"active": False})  # no active USD account at Bamboo

    steps = [await pipeline.place(order_id=order.id, vendor=vendor) for _ in range(3)]

    await order.refresh_from_db()
    assert [s.action for s in steps] == ["place"] * 3 and steps[0].delay >= pipeline.CONFIG_RETRY_DELAY
    assert (order.status, order.attempts, order.deferrals) == (OrderStatus.PENDING, 0, 3)
    alerts = await admin_alerts("admin.vendor_config")
    assert len(alerts) == 1 and alerts[0].payload["params"]["problem"] == "no_account"
    await sim_admin(simulator[0], "accounts/555", {"active": True})
    await drive(order.id, vendor)
    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.attempts == 1


class _PlaceAnswersGarbage(httpx.AsyncBaseTransport):
    """The simulator, except that place-order answers a 404 page (a wrong base URL, a proxy)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.lower().endswith("/orders/checkout"):
            return httpx.Response(404, text="<html>no such page</html>")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_unreadable_answer_to_place_defers_with_an_alert_and_burns_no_attempt(network, simulator):
    await an_admin_listens()
    order = await create(network["sub"], "20.00")
    broken = BambooClient(base_url=simulator[0], client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          timeout_seconds=1.5, rate_limiter=SharedRateLimiter.disabled(),
                          transport=_PlaceAnswersGarbage())
    try:
        step = await pipeline.place(order_id=order.id, vendor=broken)
    finally:
        await broken.aclose()

    await order.refresh_from_db()
    assert step.action == "place" and step.delay >= pipeline.CONFIG_RETRY_DELAY
    assert (order.status, order.attempts) == (OrderStatus.PENDING, 0)
    assert "VendorResponseInvalid" in order.last_error
    assert [a.payload["params"]["problem"] for a in await admin_alerts("admin.vendor_config")] == ["unreadable"]


async def test_giving_up_first_proves_bamboo_has_no_such_order(network, vendor):
    order = await create(network["sub"], "20.00")
    # Our count says every attempt failed, yet one of them reached Bamboo (which charged for it).
    await vendor.place_order(request_id=order.vendor_request_id, account_id=555, products=[
        OrderProduct(product_id=MAGIC_RANGE_PRODUCT, quantity=1, value=Decimal("20.00"))])
    await Order.filter(id=order.id).update(attempts=pipeline.MAX_PLACE_ATTEMPTS)

    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 1  # not failed and refunded
    assert await check_ledger() == []


async def test_giving_up_waits_until_the_last_attempts_request_can_no_longer_arrive(network, simulator):
    order = await create(network["sub"], "20.00")
    limited = BambooClient(base_url=simulator[0], client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           timeout_seconds=1.0, rate_limiter=SharedRateLimiter(None, max_wait_seconds=1.0))
    try:
        await Order.filter(id=order.id).update(attempts=pipeline.MAX_PLACE_ATTEMPTS, placed_at=order.created_at)
        lookups = (await sim_stats(simulator[0]))["requests"].get("get_order", 0)
        step = await pipeline.place(order_id=order.id, vendor=limited)  # the last attempt just went out
        await order.refresh_from_db()
        assert step.action == "place" and step.delay > 1 and order.status == OrderStatus.PENDING
        assert (await sim_stats(simulator[0]))["requests"].get("get_order", 0) == lookups  # not even looked yet

        await Order.filter(id=order.id).update(placed_at=order.created_at.replace(year=order.created_at.year - 1))
        step = await pipeline.place(order_id=order.id, vendor=limited)
    finally:
        await limited.aclose()
    await order.refresh_from_db()
    assert step.action == "done" and order.status == OrderStatus.FAILED
    assert order.failure_code == "vendor.unavailable"
    assert (await sim_stats(simulator[0]))["requests"]["get_order"] == lookups + 1  # the final lookup
    assert await check_ledger() == []


# --- 5: the vendor leg is what Bamboo charged ---------------------------------------------------------


async def test_the_vendor_leg_is_what_bamboo_charged_and_the_difference_is_recorded(network, vendor, simulator):
    await an_admin_listens()
    await sim_admin(simulator[0], f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch", {"discount": "5"})
    before = await balances(network)
    order = await create(network["sub"], "20.00", quantity=2)  # quoted at 18.00 a card, Bamboo charges 19.00

    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert (order.vendor_cost, order.vendor_cost_source, order.vendor_charged, order.vendor_charge_currency) == (
        38_00, "vendor", Decimal("38"), "USD")
    assert order.vendor_cost_difference == 2_00 == 38_00 - 2 * order.quote["vendor_unit_cost"]
    moved = delta(await balances(network), before)
    assert moved["vendor"] == 38_00 and moved["sub_wallet"] == -order.total  # the buyer pays the quoted price
    assert moved["revenue"] == order.total - 38_00 - 2 * order.quote["commission_unit"]  # revenue absorbs it
    alerts = await admin_alerts("admin.vendor_cost_difference")
    assert len(alerts) == 1 and alerts[0].payload["params"]["difference"] == "2.00 USD"
    assert await check_ledger() == []


async def test_a_small_difference_is_recorded_without_an_alert(network, vendor, simulator, monkeypatch):
    await an_admin_listens()
    monkeypatch.setattr(get_settings(), "vendor_cost_alert_percent", Decimal(10))
    await sim_admin(simulator[0], f"catalog/products/{MAGIC_RANGE_PRODUCT}/touch", {"discount": "5"})
    order = await create(network["sub"], "20.00")
    await drive(order.id, vendor)
    await order.refresh_from_db()
    assert order.vendor_cost_difference == 1_00  # 5.6 % of the quoted 18.00: below the 10 % threshold
    assert await admin_alerts("admin.vendor_cost_difference") == []


async def test_a_charge_in_another_currency_is_booked_at_the_synced_rate(network, vendor):
    from core.catalog import cardlists
    from core.catalog.rates import rate, sync_exchange_rates
    from tests.factories import make_product

    await sync_exchange_rates(vendor)
    await make_product(2120010, face="10", currency="EUR", vendor_discount="0.05", brand_name="Test Brand Germany",
                       country="DE")
    async with atomic():
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=2120010, actor=ADMIN, denominations=["10"])
    order = await create(network["sub"], "10", product_id=2120010)  # a EUR card, a USD wallet
    assert order.currency == "USD" and order.card_currency == "EUR"

    await drive(order.id, vendor)

    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    eur_to_usd = await rate("EUR", "USD")
    assert (order.vendor_charged, order.vendor_charge_currency, order.vendor_cost_source) == (
        Decimal("9.5"), "EUR", "vendor_fx")  # Bamboo charged its EUR account
    assert order.vendor_charge_rate == eur_to_usd
    assert order.vendor_cost == round_to_minor(Decimal("9.5") * eur_to_usd, "USD") == 10_33
    vendor_usd = await system_account(AccountKind.VENDOR, "USD")
    captured = await Operation.filter(kind="order_capture", reference=f"hold:{order.hold_id}").count()
    assert captured == 1 and vendor_usd.balance == order.vendor_cost
    assert await check_ledger() == []
