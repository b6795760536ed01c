"""`/metrics`: the shared state (orders by status, the arq queue, the notification backlog), the vendor
and bot counters, in Prometheus text that parses; cached between scrapes; a scrape never fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import metrics as api_metrics
from api.app import create_app
from core import metrics
from core.db import atomic
from core.notifications.models import Notification
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")


@pytest.fixture(autouse=True)
def fresh_cache():
    api_metrics._last_read.update(at=float("-inf"), ok_at=None)
    yield
    api_metrics._last_read.update(at=float("-inf"), ok_at=None)


@pytest.fixture
async def app():
    application = create_app(manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


async def scrape(app) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):  # raises on text that does not parse
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def _orders(count: int, *, test: int = 0) -> list[Order]:
    """`count` live orders, then `test` sandbox orders (through a test key), all pending."""
    from core.access import api_keys

    partner = await make_party(PartyKind.PARTNER, funds=1000_00)
    await make_product(5001, face="10")
    async with atomic():
        secret = (await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=False)).secret
    test_key = await api_keys.authenticate(secret=secret)
    made = []
    for i, actor in enumerate([ADMIN] * count + [test_key] * test):
        async with atomic():
            created = await orders.create_order(actor=actor, party_id=partner.id, product_id=5001,
                                                face_value=Decimal(10), quantity=1, reference=f"m-{i}")
        made.append(created.order)
    return made


async def test_orders_queue_and_backlog_are_read_from_the_shared_state(app, redis):
    first, second, third, sandbox = await _orders(3, test=1)
    assert sandbox.livemode is False
    await Order.filter(id__in=[second.id, sandbox.id]).update(status=OrderStatus.COMPLETED)
    await Order.filter(id=third.id).update(status=OrderStatus.FAILED)
    old = datetime.now(UTC) - timedelta(seconds=300)
    for channel, n in (("webhook", 3), ("telegram", 1)):
        for i in range(n):
            row = await Notification.create(channel=channel, party_id=first.party_id, event_id=f"evt_{channel}{i}",
                                            event_type="order.completed", payload={})
            if i == 0:
                await Notification.filter(id=row.id).update(created_at=old)
    await Notification.create(channel="webhook", party_id=first.party_id, event_id="evt_done",
                              event_type="order.completed", payload={}, status="delivered")
    await redis.enqueue_job("place_order", "a", _job_id="metrics:a")
    await redis.enqueue_job("place_order", "b", _job_id="metrics:b")
    await redis.enqueue_job("poll_order", "c", _job_id="metrics:c", _defer_by=600)

    samples = await scrape(app)
    assert value(samples, "steller_orders", status="pending", mode="live") == 1
    assert value(samples, "steller_orders", status="completed", mode="live") == 1
    assert value(samples, "steller_orders", status="completed", mode="test") == 1
    assert value(samples, "steller_orders", status="failed", mode="live") == 1
    assert value(samples, "steller_orders", status="processing", mode="live") == 0  # every status, also at 0
    assert value(samples, "steller_arq_queue_jobs", state="ready") == 2
    assert value(samples, "steller_arq_queue_jobs", state="deferred") == 1
    assert value(samples, "steller_notifications_pending", channel="webhook") == 3
    assert value(samples, "steller_notifications_pending", channel="telegram") == 1
    assert 290 <= value(samples, "steller_notifications_oldest_pending_seconds", channel="webhook") < 400
    assert value(samples, "steller_shared_state_up") == 1
    # This process's own series are there too.
    assert ("steller_vendor_rate_limited_total", (("endpoint", "place_order"), ("vendor", "bamboo"))) in samples
    assert ("steller_bot_updates_total", (("type", "message"),)) in samples


async def test_the_shared_state_is_read_at_most_once_per_ttl(app):
    [order] = await _orders(1)
    assert value(await scrape(app), "steller_orders", status="pending", mode="live") == 1
    await Order.filter(id=order.id).update(status=OrderStatus.COMPLETED)
    cached = await scrape(app)  # within the TTL: the same values, no query
    assert value(cached, "steller_orders", status="pending", mode="live") == 1
    api_metrics._last_read["at"] = float("-inf")  # the TTL has passed
    fresh = await scrape(app)
    assert value(fresh, "steller_orders", status="pending", mode="live") == 0
    assert value(fresh, "steller_orders", status="completed", mode="live") == 1


async def test_a_scrape_without_redis_still_answers_and_says_the_state_is_stale(app):
    import redis.asyncio as aioredis

    assert value(await scrape(app), "steller_shared_state_up") == 1
    working, app.state.redis = app.state.redis, aioredis.from_url("redis://127.0.0.1:1/0")
    try:
        api_metrics._last_read["at"] = float("-inf")
        samples = await scrape(app)
    finally:
        await app.state.redis.aclose()
        app.state.redis = working
    assert value(samples, "steller_shared_state_up") == 0
    assert ("steller_orders", (("mode", "live"), ("status", "pending"))) in samples  # last values stay


async def test_vendor_calls_and_429s_are_counted_where_the_bamboo_client_calls():
    from core.vendors.bamboo import BambooClient
    from core.vendors.bamboo.errors import VendorRateLimited, VendorUnavailable

    def vendor(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/checkout"):
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "Too many requests"})
        raise httpx.ConnectError("down", request=request)

    def counted(endpoint: str, status: str) -> float:
        return metrics.VENDOR_CALLS.labels("bamboo", endpoint, status)._value.get()

    before = (counted("place_order", "429"), metrics.VENDOR_RATE_LIMITED.labels("bamboo", "place_order")._value.get(),
              counted("accounts", "error"))
    client = BambooClient(base_url="http://bamboo.test", client_id="id", client_secret="secret",
                          transport=metrics.MeteredTransport(httpx.MockTransport(vendor)))
    async with client:
        with pytest.raises(VendorRateLimited):
            await client.place_order(request_id="1f0c1f3e-1111-4c36-9a4e-5b2f1c3d4e5f", account_id=555,
                                     products=[{"productId": 439685, "quantity": 1, "value": 10}])
        with pytest.raises(VendorUnavailable):
            await client.get_accounts()
    after = (counted("place_order", "429"), metrics.VENDOR_RATE_LIMITED.labels("bamboo", "place_order")._value.get(),
             counted("accounts", "error"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


@pytest.mark.parametrize(("method", "path", "endpoint"), [
    ("POST", "/api/integration/v1.0/orders/checkout", "place_order"),
    ("GET", "/api/integration/v1.0/orders/1f0c1f3e-1111-4c36-9a4e-5b2f1c3d4e5f", "get_order"),
    ("GET", "/api/Integration/v1/orders", "orders_report"),
    ("GET", "/api/integration/v2.0/catalog", "catalog"),
    ("GET", "/api/integration/v1/catalog", "catalog_v1"),
    ("GET", "/api/integration/v1.0/exchange-rates", "exchange_rates"),
    ("GET", "/somewhere/else/42", "other"),
])
def test_vendor_endpoints_are_bounded_labels_without_ids(method, path, endpoint):
    assert metrics.bamboo_endpoint(method, path) == endpoint


async def test_the_bot_counts_every_update_it_handles_even_a_failing_one():
    from aiogram.types import Update

    from bot.app import CountUpdates

    update = Update.model_validate({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/wallet"}})
    counter = metrics.BOT_UPDATES.labels("message")
    before = counter._value.get()

    async def handled(event, data):
        return "ok"

    async def broken(event, data):
        raise RuntimeError("handler failed")

    middleware = CountUpdates()
    assert await middleware(handled, update, {}) == "ok"
    with pytest.raises(RuntimeError):
        await middleware(broken, update, {})
    assert counter._value.get() - before == 2


def test_the_dispatcher_counts_updates_before_anything_else_can_drop_them():
    from unittest.mock import MagicMock

    from bot.app import CountUpdates, build_dispatcher
    from bot.middlewares.throttling import Throttling
    from core.config import get_settings

    dp = build_dispatcher(settings=get_settings(), redis=MagicMock(), arq=MagicMock())
    kinds = [type(m) for m in dp.update.outer_middleware]
    assert CountUpdates in kinds and kinds.index(CountUpdates) < kinds.index(Throttling)
