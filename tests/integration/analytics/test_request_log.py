"""The request log's core and its in-memory buffer: one INSERT per batch, flushed by time, by size and on
shutdown, rows kept (in order) across a failed write, a bounded buffer, keyset pages that never skip or
repeat, filters, mode and party separation, and the retention purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from api.requestlog import RequestLogBuffer
from core.access.actor import Actor
from core.access.errors import AccessDenied
from core.analytics import service as analytics
from core.analytics.models import RequestLog
from core.analytics.service import InvalidStatusFilter, LogEntry
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def entry(party_id: int, *, n: int = 0, livemode: bool = True, status: int = 200, path: str = "/v1/me",
          at: datetime = NOW, method: str = "GET") -> LogEntry:
    return LogEntry.of(party_id=party_id, api_key_id=1, key_prefix="sk_live_ab12cd34" if livemode else "sk_test_ab12cd34",
                       livemode=livemode, method=method, route=path, status=status, latency_ms=3.4,
                       request_id=f"req-{n}", created_at=at)


def key_actor(party, *, livemode: bool = True) -> Actor:
    return Actor.api_key(key_id=1, party_id=party.id, prefix="sk_live_ab12cd34", livemode=livemode)


async def wait_for(predicate, *, timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.02)
    return await predicate()


async def test_a_batch_is_one_insert_statement_and_rows_keep_every_field():
    from tortoise.connection import get_connection

    party = await make_party(PartyKind.PARTNER)
    conn = get_connection("default")
    calls = []
    original = type(conn).execute_query

    async def counting(self, query, values=None):
        calls.append(query)
        return await original(self, query, values)

    type(conn).execute_query = counting
    try:
        written = await analytics.write_entries([entry(party.id, n=i) for i in range(250)])
    finally:
        type(conn).execute_query = original
    assert written == 250 and len(calls) == 1 and calls[0].lstrip().startswith("INSERT INTO api_request_log")
    row = await RequestLog.get(request_id="req-7")
    assert (row.party_id, row.api_key_id, row.key_prefix, row.livemode, row.method, row.path, row.status,
            row.latency_ms, row.created_at) == (party.id, 1, "sk_live_ab12cd34", True, "GET", "/v1/me", 200, 3, NOW)


def test_an_entry_is_cut_to_its_columns_and_never_keeps_a_query():
    made = LogEntry.of(party_id=1, api_key_id=2, key_prefix="sk_live_ab12cd34EXTRA", livemode=True, method="get",
                       route="/v1/orders?reference=secret", status=201, latency_ms=-1, request_id="r" * 100,
                       created_at=NOW)
    assert (made.key_prefix, made.method, made.path, made.latency_ms, len(made.request_id)) == (
        "sk_live_ab12cd34", "GET", "/v1/orders", 0, 64)


async def test_the_buffer_flushes_when_a_batch_is_full_without_waiting_for_the_timer():
    party = await make_party(PartyKind.PARTNER)
    buffer = RequestLogBuffer(flush_seconds=60, batch_size=3, max_rows=100)
    buffer.start()
    try:
        buffer.add(entry(party.id, n=1))
        buffer.add(entry(party.id, n=2))
        await asyncio.sleep(0.2)
        assert await RequestLog.all().count() == 0 and len(buffer) == 2  # below a batch: nothing yet
        buffer.add(entry(party.id, n=3))
        assert await wait_for(lambda: _count_is(3))
        assert len(buffer) == 0
    finally:
        await buffer.stop()


async def _count_is(n: int) -> bool:
    return await RequestLog.all().count() == n


async def test_the_buffer_flushes_by_time_when_no_batch_fills():
    party = await make_party(PartyKind.PARTNER)
    buffer = RequestLogBuffer(flush_seconds=0.3, batch_size=1000, max_rows=10_000)
    buffer.start()
    try:
        buffer.add(entry(party.id, n=1))
        assert await RequestLog.all().count() == 0
        assert await wait_for(lambda: _count_is(1), timeout=3)
    finally:
        await buffer.stop()


async def test_rows_survive_a_failed_write_in_order_and_are_written_next_round(monkeypatch):
    party = await make_party(PartyKind.PARTNER)
    real = analytics.write_entries
    attempts = []

    async def fail_once(entries):
        attempts.append(len(entries))
        if len(attempts) == 1:
            raise ConnectionError("database down")
        return await real(entries)

    monkeypatch.setattr(analytics, "write_entries", fail_once)
    buffer = RequestLogBuffer(flush_seconds=0.2, batch_size=2, max_rows=100)
    for i in range(5):
        buffer.add(entry(party.id, n=i, at=NOW + timedelta(seconds=i)))
    assert await buffer.flush_safely() is False
    assert len(buffer) == 5 and await RequestLog.all().count() == 0
    buffer.start()  # the next round (the timer) writes them
    try:
        assert await wait_for(lambda: _count_is(5))
    finally:
        await buffer.stop()
    rows = await RequestLog.all().order_by("id")
    assert [r.request_id for r in rows] == [f"req-{i}" for i in range(5)]  # in the order they came
    assert attempts[0] == 2 and sum(attempts[1:]) == 5


async def test_a_full_buffer_drops_its_oldest_rows_and_counts_them(monkeypatch):
    party = await make_party(PartyKind.PARTNER)

    async def down(entries):
        raise ConnectionError("database down")

    monkeypatch.setattr(analytics, "write_entries", down)
    buffer = RequestLogBuffer(flush_seconds=60, batch_size=2, max_rows=4)
    for i in range(4):
        buffer.add(entry(party.id, n=i))
    assert await buffer.flush_safely() is False and len(buffer) == 4 and buffer.dropped == 0
    for i in range(4, 7):
        buffer.add(entry(party.id, n=i))
    assert len(buffer) == 4 and buffer.dropped == 3
    monkeypatch.undo()
    assert await buffer.flush() == 4
    assert sorted(r.request_id for r in await RequestLog.all()) == ["req-3", "req-4", "req-5", "req-6"]


async def test_stop_writes_what_is_left():
    party = await make_party(PartyKind.PARTNER)
    buffer = RequestLogBuffer(flush_seconds=60, batch_size=1000, max_rows=10_000)
    buffer.start()
    for i in range(7):
        buffer.add(entry(party.id, n=i))
    await buffer.stop()
    assert await RequestLog.all().count() == 7 and len(buffer) == 0


@pytest.fixture
async def logged():
    """Two partners' logs: A has live rows of every kind and one test row; B one live row."""
    a = await make_party(PartyKind.PARTNER)
    b = await make_party(PartyKind.PARTNER)
    rows = [
        entry(a.id, n=1, status=200, path="/v1/orders", at=NOW - timedelta(minutes=5), method="POST"),
        entry(a.id, n=2, status=404, path="/v1/orders/{order_id}", at=NOW - timedelta(minutes=4)),
        entry(a.id, n=3, status=422, path="/v1/catalog", at=NOW - timedelta(minutes=3)),
        entry(a.id, n=4, status=500, path="/v1/wallet", at=NOW - timedelta(minutes=2)),
        entry(a.id, n=5, status=201, path="/v1/api-keys", at=NOW - timedelta(minutes=1), method="POST"),
        entry(a.id, n=6, status=200, path="/v1/orders", at=NOW, livemode=False),
        entry(b.id, n=7, status=200, path="/v1/orders", at=NOW),
    ]
    await analytics.write_entries(rows)
    return a, b


async def _ids(actor, party, **filters) -> list[str]:
    page = await analytics.log_page(actor=actor, party_id=party.id, limit=100, **filters)
    return [r.request_id for r in page.rows]


async def test_filters_status_path_and_time(logged):
    a, _ = logged
    live = key_actor(a)
    assert await _ids(live, a) == ["req-5", "req-4", "req-3", "req-2", "req-1"]  # newest first
    assert await _ids(live, a, status="404") == ["req-2"]
    assert await _ids(live, a, status="4xx") == ["req-3", "req-2"]
    assert await _ids(live, a, status="2xx") == ["req-5", "req-1"]
    assert await _ids(live, a, status="5xx") == ["req-4"]
    assert await _ids(live, a, path="/v1/orders") == ["req-2", "req-1"]
    assert await _ids(live, a, path="/v1/orders/{") == ["req-2"]
    assert await _ids(live, a, path="/v1/%") == []  # a prefix, not a LIKE pattern
    assert await _ids(live, a, since=NOW - timedelta(minutes=3), until=NOW - timedelta(minutes=1)) == ["req-4", "req-3"]
    with pytest.raises(InvalidStatusFilter):
        await _ids(live, a, status="4x")


async def test_a_key_sees_its_own_mode_and_its_own_party_only(logged):
    a, b = logged
    assert await _ids(key_actor(a, livemode=False), a) == ["req-6"]
    assert await _ids(key_actor(a, livemode=False), a, livemode=True) == ["req-6"]  # a key cannot ask for more
    assert "req-7" not in await _ids(key_actor(a), a)
    with pytest.raises(AccessDenied):
        await _ids(key_actor(a), b)
    assert len(await _ids(ADMIN, a)) == 6  # an admin reads both modes


async def test_pages_neither_skip_nor_repeat_rows_sharing_a_timestamp():
    party = await make_party(PartyKind.PARTNER)
    # 23 rows, most sharing timestamps: the page boundaries fall inside runs of equal times.
    times = [NOW - timedelta(seconds=i // 5) for i in range(23)]
    await analytics.write_entries([entry(party.id, n=i, at=t) for i, t in enumerate(times)])
    seen, after, pages = [], None, 0
    while True:
        page = await analytics.log_page(actor=key_actor(party), party_id=party.id, limit=4, after=after)
        seen.extend(r.id for r in page.rows)
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == 6 and len(seen) == 23 and len(set(seen)) == 23
    everything = await RequestLog.filter(party_id=party.id).order_by("-created_at", "-id").values_list("id", flat=True)
    assert seen == list(everything)


async def test_the_purge_keeps_the_retention_and_deletes_in_batches(monkeypatch):
    party = await make_party(PartyKind.PARTNER)
    now = datetime.now(UTC)
    old = [entry(party.id, n=i, at=now - timedelta(days=31, minutes=i)) for i in range(5)]
    recent = [entry(party.id, n=100 + i, at=now - timedelta(days=29, minutes=i)) for i in range(3)]
    await analytics.write_entries(old + recent)
    assert await analytics.purge_request_log(batch=2) == 5  # default 30 days, three batches
    assert sorted(r.request_id for r in await RequestLog.all()) == ["req-100", "req-101", "req-102"]
    monkeypatch.setenv("REQUEST_LOG_RETENTION_DAYS", "7")
    from jobs.periodic import purge_request_log

    assert await purge_request_log({}) == 3  # the cron's job, with the setting read from the environment
    assert await RequestLog.all().count() == 0
