"""`GET /v1/logs` and `GET /v1/stats`, and the request log the API keeps: recorded from the middleware
with no database write in the request path, holding route templates only (no key, query, body or code),
flushed on shutdown; logs filtered and paged per party and mode; stats computed by hand from real
orders settled through the core."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from api.app import create_app
from core.access.actor import Actor
from core.analytics import service as analytics
from core.analytics.models import RequestLog
from core.analytics.service import LogEntry
from core.db import atomic
from core.orders import resolve
from core.orders import service as orders
from core.orders.models import Order
from core.orders.settle import DeliveredCard
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product

pytestmark = pytest.mark.usefixtures("db", "redis")

PRODUCT, OTHER_PRODUCT = 101, 202


@pytest.fixture
async def app(monkeypatch):
    # The timer never fires during a test: rows reach the database only when a test flushes (or at shutdown).
    monkeypatch.setenv("REQUEST_LOG_FLUSH_SECONDS", "3600")
    application = create_app(manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        yield c


async def api_key(party, *, livemode: bool = True) -> tuple[str, int]:
    from core.access import api_keys

    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=livemode, name="test")
    return created.secret, created.key.id


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


async def flushed(app) -> list[RequestLog]:
    await app.state.request_log.flush()
    return list(await RequestLog.all().order_by("id"))


# --- The log as recorded ------------------------------------------------------------------------

async def test_a_row_holds_the_route_template_and_never_the_key_query_or_body(app, client):
    partner = await make_party(PartyKind.PARTNER, funds=10_00)
    secret, key_id = await api_key(partner)
    leak_query, leak_body = "qs-sk_live_QUERYSECRET0123456789", "body-sk_live_BODYSECRET0123456789"
    listed = await client.get(f"/v1/orders?reference={leak_query}&limit=5", headers=auth(secret))
    created = await client.post("/v1/orders", headers={**auth(secret), "X-Request-Id": "req-body-1"},
                                json={"product_id": 999, "face_value": "10.00", "quantity": 1,
                                      "reference": leak_body})
    missing = await client.get("/v1/orders/7d3f0c2e-0000-4000-8000-000000000000", headers=auth(secret))
    assert (listed.status_code, created.status_code, missing.status_code) == (200, 404, 404)
    rows = await flushed(app)
    assert [(r.method, r.path, r.status) for r in rows] == [
        ("GET", "/v1/orders", 200), ("POST", "/v1/orders", 404), ("GET", "/v1/orders/{order_id}", 404)]
    prefix = "sk_live_" + secret.split("_", 2)[2][:8]
    for row in rows:
        assert (row.party_id, row.api_key_id, row.key_prefix, row.livemode) == (partner.id, key_id, prefix, True)
        assert row.latency_ms >= 0 and row.created_at <= datetime.now(UTC)
        text = repr([getattr(row, f) for f in RequestLog._meta.fields_map])
        for secret_text in (secret, secret.split("_", 2)[2], leak_query, "QUERYSECRET", "BODYSECRET", "7d3f0c2e"):
            assert secret_text not in text
    assert rows[1].request_id == "req-body-1"
    assert [r.request_id for r in rows] == [listed.headers["X-Request-Id"], "req-body-1",
                                            missing.headers["X-Request-Id"]]


async def test_the_request_path_writes_nothing_and_shutdown_flushes(monkeypatch):
    partner = await make_party(PartyKind.PARTNER)
    secret, _ = await api_key(partner)
    monkeypatch.setenv("REQUEST_LOG_FLUSH_SECONDS", "3600")
    writes = []
    real = analytics.write_entries

    async def spy(entries):
        writes.append(len(entries))
        return await real(entries)

    monkeypatch.setattr(analytics, "write_entries", spy)
    application = create_app(manage_db=False)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://api") as c:
            for _ in range(6):
                assert (await c.get("/v1/me", headers=auth(secret))).status_code == 200
            # Six answered requests: six rows buffered, not one written.
            assert writes == [] and len(application.state.request_log) == 6
            assert await RequestLog.all().count() == 0
            # Unauthenticated requests have no party: nothing to record.
            assert (await c.get("/v1/me")).status_code == 401
            assert (await c.get("/v1/me", headers=auth("sk_live_" + "x" * 43))).status_code == 401
            assert len(application.state.request_log) == 6
    assert writes == [6]  # the lifespan's end wrote them, in one statement
    assert await RequestLog.filter(party_id=partner.id, path="/v1/me").count() == 6


async def test_a_failing_flush_never_fails_a_request(app, client, monkeypatch):
    partner = await make_party(PartyKind.PARTNER)
    secret, _ = await api_key(partner)

    async def down(entries):
        raise ConnectionError("database down")

    monkeypatch.setattr(analytics, "write_entries", down)
    assert (await client.get("/v1/me", headers=auth(secret))).status_code == 200
    assert await app.state.request_log.flush_safely() is False
    assert (await client.get("/v1/me", headers=auth(secret))).status_code == 200
    monkeypatch.undo()
    assert len(await flushed(app)) == 2


# --- GET /v1/logs ---------------------------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)


def row(party_id: int, n: int, *, status: int = 200, path: str = "/v1/me", livemode: bool = True,
        minutes_ago: float = 0) -> LogEntry:
    return LogEntry.of(party_id=party_id, api_key_id=1, key_prefix="sk_live_ab12cd34" if livemode else "sk_test_ab12cd34",
                       livemode=livemode, method="GET", route=path, status=status, latency_ms=5,
                       request_id=f"r{n}", created_at=NOW - timedelta(minutes=minutes_ago))


@pytest.fixture
async def two_partners():
    a = await make_party(PartyKind.PARTNER)
    b = await make_party(PartyKind.PARTNER)
    live, _ = await api_key(a)
    test, _ = await api_key(a, livemode=False)
    other, _ = await api_key(b)
    await analytics.write_entries([
        row(a.id, 1, status=200, path="/v1/orders", minutes_ago=50),
        row(a.id, 2, status=404, path="/v1/orders/{order_id}", minutes_ago=40),
        row(a.id, 3, status=429, path="/v1/catalog", minutes_ago=30),
        row(a.id, 4, status=503, path="/v1/wallet", minutes_ago=20),
        row(a.id, 5, status=200, path="/v1/orders", minutes_ago=20, livemode=False),
        row(b.id, 6, status=200, path="/v1/orders", minutes_ago=10),
    ])
    return {"a": a, "b": b, "live": live, "test": test, "other": other}


async def _log(client, secret, **params) -> list[str]:
    response = await client.get("/v1/logs", headers=auth(secret), params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [r["request_id"] for r in response.json()["data"]]


async def test_logs_filter_by_status_path_and_time(client, two_partners):
    live = two_partners["live"]
    assert await _log(client, live) == ["r4", "r3", "r2", "r1"]
    assert await _log(client, live, status="404") == ["r2"]
    assert await _log(client, live, status="4xx") == ["r3", "r2"]
    assert await _log(client, live, status="5xx") == ["r4"]
    assert await _log(client, live, path="/v1/orders") == ["r2", "r1"]
    since, until = (NOW - timedelta(minutes=45)).isoformat(), (NOW - timedelta(minutes=20)).isoformat()
    assert await _log(client, live, since=since, until=until) == ["r3", "r2"]
    bad = await client.get("/v1/logs", headers=auth(live), params={"status": "4x"})
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_failed")
    bad_cursor = await client.get("/v1/logs", headers=auth(live), params={"cursor": "nonsense"})
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "cursor.invalid")


async def test_logs_show_a_row_as_documented(client, two_partners):
    body = (await client.get("/v1/logs", headers=auth(two_partners["live"]), params={"status": "404"})).json()
    assert body["next_cursor"] is None
    [entry] = body["data"]
    stored = await RequestLog.get(request_id="r2")
    assert entry == {"id": stored.id, "method": "GET", "path": "/v1/orders/{order_id}", "status": 404,
                     "latency_ms": 5, "key_prefix": "sk_live_ab12cd34", "request_id": "r2",
                     "created_at": entry["created_at"], "livemode": True}
    assert datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00")) == NOW - timedelta(minutes=40)


async def test_a_test_key_sees_test_rows_and_no_one_sees_another_partys(client, two_partners):
    assert await _log(client, two_partners["test"]) == ["r5"]
    assert "r6" not in await _log(client, two_partners["live"])
    other = await _log(client, two_partners["other"])
    assert other == ["r6"]  # B's own row; none of A's (B's earlier requests are still in the buffer)


async def test_log_pages_neither_skip_nor_repeat(client):
    party = await make_party(PartyKind.PARTNER)
    secret, _ = await api_key(party)
    # 25 rows in runs of 4 sharing a timestamp: page boundaries fall inside the runs.
    await analytics.write_entries([row(party.id, i, minutes_ago=i // 4) for i in range(25)])
    seen, cursor = [], None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/v1/logs", headers=auth(secret), params=params)).json()
        seen.extend(r["id"] for r in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = await RequestLog.filter(party_id=party.id).order_by("-created_at", "-id").values_list("id", flat=True)
    assert seen == list(expected) and len(set(seen)) == 25


# --- GET /v1/stats --------------------------------------------------------------------------------

@pytest.fixture
async def shop():
    """A partner buying at 3 % off face; two products."""
    await make_product(PRODUCT, face=("1", "100"), brand_name="Acme")
    await make_product(OTHER_PRODUCT, face=("1", "100"), brand_name="Zeta")
    partner = await make_party(PartyKind.PARTNER, funds=1_000_00, name="Acme Gifts")
    async with atomic():
        await pricing.set_discount(rate="0.0300", party_kind=PartyKind.PARTNER, actor=ADMIN)
    live, live_id = await api_key(partner)
    test, test_id = await api_key(partner, livemode=False)
    return {"partner": partner, "live": live, "test": test,
            "live_actor": Actor.api_key(key_id=live_id, party_id=partner.id, prefix="p", livemode=True),
            "test_actor": Actor.api_key(key_id=test_id, party_id=partner.id, prefix="p", livemode=False)}


async def order(actor: Actor, product: int, face: str, quantity: int, *, delivered: int | None = None,
                fail: bool = False, days_ago: float = 0) -> Order:
    """An order placed by `actor`, then completed (all or `delivered` cards), failed, or left open."""
    async with atomic():
        made = await orders.create_order(actor=actor, party_id=actor.party_id, product_id=product,
                                         face_value=Decimal(face), quantity=quantity)
    order_id = made.order.id
    if fail or delivered != -1:
        async with atomic():
            if fail:
                await resolve.fail_order(actor=ADMIN, order_id=order_id, reason="test")
            else:
                count = quantity if delivered is None else delivered
                cards = [DeliveredCard(vendor_card_id=f"c{i}", code=f"CODE-{order_id.hex[:6]}-{i}")
                         for i in range(count)]
                await resolve.complete_order(actor=ADMIN, order_id=order_id, cards=cards)
    if days_ago:
        await Order.filter(id=order_id).update(created_at=datetime.now(UTC) - timedelta(days=days_ago))
    return await Order.get(id=order_id)


async def test_stats_are_the_orders_and_calls_of_the_window_and_the_mode(client, shop):
    live = shop["live_actor"]
    a = await order(live, PRODUCT, "10", 2)  # completed: 2 × 9.70 = 19.40
    b = await order(live, PRODUCT, "20", 1)  # completed: 19.40
    c = await order(live, OTHER_PRODUCT, "50", 3, delivered=1)  # partial: 1 × 48.50 (not the 145.50 total)
    await order(live, OTHER_PRODUCT, "10", 1, fail=True)  # failed: nothing
    await order(live, PRODUCT, "10", 1, delivered=-1)  # still open: counted, not settled
    await order(live, PRODUCT, "100", 1, days_ago=31)  # placed before the window
    await order(shop["test_actor"], PRODUCT, "100", 1)  # a sandbox order: the other mode
    assert (a.total, b.total, c.unit_price, c.total) == (19_40, 19_40, 48_50, 145_50)
    stranger = await make_party(PartyKind.PARTNER, funds=100_00)
    _, s_key = await api_key(stranger)
    await order(Actor.api_key(key_id=s_key, party_id=stranger.id, prefix="p", livemode=True), PRODUCT, "10", 1)
    p = shop["partner"].id
    await analytics.write_entries([
        row(p, 1, status=200), row(p, 2, status=201), row(p, 3, status=404), row(p, 4, status=500),
        row(p, 5, status=429), row(p, 6, status=200, minutes_ago=31 * 24 * 60),  # before the window
        row(p, 7, status=500, livemode=False), row(stranger.id, 8, status=500),
    ])

    response = await client.get("/v1/stats", headers=auth(shop["live"]))
    assert response.status_code == 200, response.text
    spend = 19_40 + 19_40 + 48_50  # over 3 completed orders: 29.10 on average
    assert (spend, (spend + 1) // 3) == (87_30, 29_10)
    assert response.json() == {
        "days": 30, "livemode": True,
        "orders": {"count": 5, "completed": 3, "partially_completed": 1, "failed": 1,
                   "success_rate": "0.7500"},  # 3 of the 4 finished
        "spend": {"amount": "87.30", "currency": "USD"},
        "average_order": {"amount": "29.10", "currency": "USD"},
        "top_products": [
            {"product_id": OTHER_PRODUCT, "name": "Zeta ('1', '100')", "orders": 1,
             "spend": {"amount": "48.50", "currency": "USD"}},
            {"product_id": PRODUCT, "name": "Acme ('1', '100')", "orders": 2,
             "spend": {"amount": "38.80", "currency": "USD"}},
        ],
        "api": {"calls": 5, "errors": 3, "error_rate": "0.6000"},
    }

    wide = (await client.get("/v1/stats", headers=auth(shop["live"]), params={"days": 90})).json()
    assert (wide["orders"]["count"], wide["spend"]["amount"], wide["api"]["calls"]) == (6, "184.30", 6)

    sandbox = (await client.get("/v1/stats", headers=auth(shop["test"]))).json()
    assert sandbox["livemode"] is False
    assert sandbox["orders"] == {"count": 1, "completed": 1, "partially_completed": 0, "failed": 0,
                                 "success_rate": "1.0000"}
    assert sandbox["spend"] == {"amount": "97.00", "currency": "USD"}
    assert sandbox["api"] == {"calls": 1, "errors": 1, "error_rate": "1.0000"}


async def test_stats_of_a_quiet_party_and_bad_windows(client, shop):
    quiet = (await client.get("/v1/stats", headers=auth(shop["live"]), params={"days": 7})).json()
    assert quiet == {"days": 7, "livemode": True,
                     "orders": {"count": 0, "completed": 0, "partially_completed": 0, "failed": 0,
                                "success_rate": None},
                     "spend": {"amount": "0.00", "currency": "USD"}, "average_order": None, "top_products": [],
                     "api": {"calls": 0, "errors": 0, "error_rate": None}}
    for days in ("0", "91", "x"):
        bad = await client.get("/v1/stats", headers=auth(shop["live"]), params={"days": days})
        assert (bad.status_code, bad.json()["code"]) == (422, "validation_failed"), days


async def test_insight_operations_are_documented(app):
    spec = app.openapi()
    logs, stats = spec["paths"]["/v1/logs"]["get"], spec["paths"]["/v1/stats"]["get"]
    assert logs["summary"] and stats["summary"]
    assert {"401", "422", "429"} <= set(logs["responses"]) and {"401", "422", "429"} <= set(stats["responses"])
    assert {p["name"] for p in logs["parameters"]} == {"status", "path", "since", "until", "limit", "cursor"}
    schemas = spec["components"]["schemas"]
    assert "example" in str(schemas["RequestLogEntry"]) and "example" in str(schemas["PartnerStats"])


async def test_odd_filters_and_forged_cursors_are_refused_or_clamped_never_a_500(client, two_partners):
    from api.v1.common import encode_cursor

    live = two_partners["live"]
    cases = {
        (("path", "/v1/\x00x"),): 422, (("path", "orders"),): 422, (("status", "\x00"),): 422,
        (("since", "0001-01-01T00:00:00+05:00"),): 200,  # before year 1 in UTC: the earliest time
        (("until", "9999-12-31T23:59:59-05:00"),): 200,  # after 9999 in UTC: the latest time
        (("cursor", encode_cursor("2025-01-01T00:00:00+00:00", 10**30)),): 422,  # no such bigint
        (("cursor", encode_cursor("2025-01-01T00:00:00+00:00", True)),): 422,
        (("cursor", encode_cursor("0001-01-01T00:00:00+05:00", 1)),): 200,
        (("cursor", encode_cursor(5, "x")),): 422,
    }
    for params, expected in cases.items():
        response = await client.get("/v1/logs", headers=auth(live), params=dict(params))
        assert response.status_code == expected, (params, response.text)
    everything = await _log(client, live, since="0001-01-01T00:00:00+05:00", until="9999-12-31T23:59:59-05:00")
    assert everything == ["r4", "r3", "r2", "r1"]
