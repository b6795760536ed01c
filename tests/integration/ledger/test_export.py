"""A wallet's statement for people and spreadsheets: whom each line was with, CSV oldest first, paging."""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from core.access.policy import AccessDenied
from core.db import atomic
from core.ledger import export
from core.ledger import service as ledger
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def _allocate(agent, child, amount: int, key: str) -> None:
    async with atomic():
        await ledger.allocate(actor=ADMIN, parent_id=agent.id, child_id=child.id, amount=amount, idempotency_key=key)


async def _reclaim(child, amount: int, key: str) -> None:
    async with atomic():
        await ledger.reclaim(actor=ADMIN, child_id=child.id, amount=amount, idempotency_key=key)


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
async def tree():
    agent = await make_party(PartyKind.AGENT, name="Top Agent", funds=100_00)
    child = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sara")
    await _allocate(agent, child, 30_00, "a1")
    await _reclaim(child, 5_00, "r1")
    return agent, child


async def test_the_csv_is_oldest_first_with_running_balances_and_the_other_partys_name(tree):
    agent, _child = tree
    async with atomic():
        result = await export.statement_csv(actor=await member_actor(agent), party_id=agent.id)
    rows = _rows(result.text)
    assert result.lines == 3 and list(rows[0]) == list(export.CSV_COLUMNS)
    assert [(r["kind"], r["amount"], r["balance_after"], r["counterparty"]) for r in rows] == [
        ("topup", "100.00", "100.00", ""),
        ("allocation", "-30.00", "70.00", "Sara"),
        ("reclaim", "5.00", "75.00", "Sara"),
    ]
    assert all(r["currency"] == "USD" and r["date"].endswith("Z") for r in rows)
    assert [r["seq"] for r in rows] == ["1", "2", "3"]


async def test_the_child_sees_its_parent_by_name_and_the_parent_may_export_the_childs_statement(tree):
    agent, child = tree
    async with atomic():
        own = await export.statement_csv(actor=await member_actor(child, role="viewer"), party_id=child.id)
        by_parent = await export.statement_csv(actor=await member_actor(agent), party_id=child.id)
    rows = _rows(own.text)
    assert [(r["kind"], r["amount"], r["counterparty"]) for r in rows] == [
        ("allocation", "30.00", "Top Agent"), ("reclaim", "-5.00", "Top Agent")]
    assert by_parent.text == own.text


async def test_nobody_else_reads_a_statement(tree):
    agent, child = tree
    other = await make_party(PartyKind.AGENT, name="Other")
    stranger = await member_actor(other)
    sibling = await member_actor(await make_party(PartyKind.SUBAGENT, parent=agent))
    async with atomic():
        for actor, party_id in ((stranger, agent.id), (stranger, child.id), (sibling, child.id),
                                (await member_actor(child), agent.id)):
            with pytest.raises(AccessDenied):
                await export.statement_csv(actor=actor, party_id=party_id)
            with pytest.raises(AccessDenied):
                await export.statement_page(actor=actor, party_id=party_id)


async def test_a_name_a_spreadsheet_would_run_as_a_formula_is_quoted():
    agent = await make_party(PartyKind.AGENT, name="Agent", funds=10_00)
    child = await make_party(PartyKind.SUBAGENT, parent=agent, name='=HYPERLINK("http://x","y")')
    await _allocate(agent, child, 1_00, "f1")
    async with atomic():
        result = await export.statement_csv(actor=ADMIN, party_id=agent.id)
    assert _rows(result.text)[1]["counterparty"] == '\'=HYPERLINK("http://x","y")'
    assert _rows(result.text)[1]["amount"] == "-1.00"  # numbers stay numbers


async def test_streamed_chunks_make_the_same_csv_across_batches(tree):
    agent, child = tree
    for i in range(4):
        await _allocate(agent, child, 1_00, f"more-{i}")
    async with atomic():
        whole = await export.statement_csv(actor=ADMIN, party_id=agent.id)
        chunks = [chunk async for chunk in export.iter_statement_csv(actor=ADMIN, party_id=agent.id, batch=2)]
    assert len(chunks) == 1 + 4  # the header, then 7 lines in batches of 2
    assert "".join(chunks) == whole.text and whole.lines == 7


async def test_an_empty_wallet_exports_just_the_header():
    agent = await make_party(PartyKind.AGENT)
    async with atomic():
        result = await export.statement_csv(actor=ADMIN, party_id=agent.id)
    assert result.lines == 0 and result.text == ",".join(export.CSV_COLUMNS) + "\r\n"


async def test_a_long_statement_is_rendered_off_the_event_loop(tree, monkeypatch):
    agent, _ = tree
    threads = []
    real = asyncio.to_thread

    async def spy(fn, *args, **kwargs):
        threads.append(fn.__name__)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(export, "RENDER_IN_THREAD_ABOVE", 2)
    monkeypatch.setattr(export.asyncio, "to_thread", spy)
    async with atomic():
        result = await export.statement_csv(actor=ADMIN, party_id=agent.id)
    assert threads == ["render_csv"] and result.lines == 3


async def test_pages_run_newest_first_and_know_what_lies_either_side(tree):
    agent, child = tree
    for i in range(3):
        await _allocate(agent, child, 1_00, f"page-{i}")
    async with atomic():
        newest = await export.statement_page(actor=ADMIN, party_id=agent.id, limit=2)
        middle = await export.statement_page(actor=ADMIN, party_id=agent.id, limit=2,
                                             before_seq=newest.lines[-1].line.seq)
        oldest = await export.statement_page(actor=ADMIN, party_id=agent.id, limit=10, before_seq=2)
    assert newest.entry_count == 6
    assert [d.line.seq for d in newest.lines] == [6, 5] and not newest.has_newer and newest.has_older
    assert [d.line.seq for d in middle.lines] == [4, 3] and middle.has_newer and middle.has_older
    assert [d.line.seq for d in oldest.lines] == [1] and oldest.has_newer and not oldest.has_older
    assert oldest.lines[0].counterparty is None and newest.lines[0].counterparty == "Sara"
