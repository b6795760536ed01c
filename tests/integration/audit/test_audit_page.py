"""The audit log as admins page through it: newest first, a cursor, and filters by actor, action prefix and
object — combined."""

from __future__ import annotations

import pytest

from core.access.actor import Actor
from core.access.errors import NotAdmin
from core.audit import service as audit
from core.audit.service import AuditFilter
from core.db import atomic
from tests.factories import ADMIN, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def _record(**fields) -> int:
    async with atomic():
        return (await audit.record(**fields)).id


async def test_pages_go_newest_first_and_the_cursor_never_repeats_an_entry():
    ids = [await _record(actor="cli", action=f"x.step{i}", object_type="thing", object_id=i) for i in range(7)]
    first = await audit.page(actor=ADMIN, limit=3)
    assert [e.id for e in first.items] == ids[::-1][:3] and first.next_cursor == ids[4]
    second = await audit.page(actor=ADMIN, limit=3, cursor=first.next_cursor)
    assert [e.id for e in second.items] == ids[::-1][3:6]
    third = await audit.page(actor=ADMIN, limit=3, cursor=second.next_cursor)
    assert [e.id for e in third.items] == [ids[0]] and third.next_cursor is None


async def test_filters_by_actor_action_prefix_and_object_combine():
    admin = Actor.admin(label="tg:42", telegram_user_id=42, request_id="tg:42:7")
    await _record(actor=admin, action="ledger.topup", object_type="party", object_id=12)
    await _record(actor=admin, action="ledger", object_type="party", object_id=13)
    await _record(actor=admin, action="ledgerx.other", object_type="party", object_id=12)
    await _record(actor="cli", action="ledger.adjust", object_type="party", object_id=12)
    await _record(actor=admin, action="pricing.discount", object_type="discount", object_id=1)

    def actions(page) -> list[str]:
        return [e.action for e in page.items]

    assert actions(await audit.page(actor=ADMIN, filters=AuditFilter(action_prefix="ledger"))) == [
        "ledger.adjust", "ledger", "ledger.topup"]  # not "ledgerx.other"
    assert actions(await audit.page(actor=ADMIN, filters=AuditFilter(actor="tg:42", action_prefix="ledger."))) == [
        "ledger", "ledger.topup"]
    by_object = await audit.page(actor=ADMIN, filters=AuditFilter(object_type="party", object_id="12"))
    assert actions(by_object) == ["ledger.adjust", "ledgerx.other", "ledger.topup"]
    assert by_object.items[-1].request_id == "tg:42:7"
    assert (await audit.page(actor=ADMIN, filters=AuditFilter(action_prefix="nothing"))).items == []
    assert AuditFilter().empty and not AuditFilter(actor="cli").empty


async def test_only_admins_read_the_log():
    with pytest.raises(NotAdmin):
        await audit.page(actor=await member_actor(await make_party()))
