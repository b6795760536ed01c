"""What admins read about the catalog: its sync state (and a sync asked for by hand, audited), brands and
cards named by id or name, and every discount with the names it applies to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.access.errors import NotAdmin
from core.audit.models import AuditEntry
from core.catalog import lookup, status
from core.catalog.models import CatalogSyncRun, Product, SyncStatus
from core.db import atomic
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.pricing.overview import discount_lines
from tests.factories import ADMIN, make_party, make_product, member_actor

pytestmark = pytest.mark.usefixtures("db")


async def test_catalog_status_names_the_last_finished_running_and_failed_runs():
    await make_product(1, face="10")
    gone = await make_product(2, face="10")
    await Product.filter(id=gone.id).update(gone_at=datetime.now(UTC))
    now = datetime.now(UTC)
    empty = await status.catalog_status(actor=ADMIN)
    assert empty.last_finished is None and empty.running is None and (empty.products, empty.gone) == (1, 1)
    failed = await CatalogSyncRun.create(full=True, status=SyncStatus.FAILED, started_at=now - timedelta(hours=3),
                                         finished_at=now - timedelta(hours=3), error="boom")
    assert (await status.catalog_status(actor=ADMIN)).last_failed.id == failed.id
    done = await CatalogSyncRun.create(full=False, status=SyncStatus.FINISHED, started_at=now - timedelta(hours=1),
                                       finished_at=now - timedelta(hours=1), pages=2, added=3)
    running = await CatalogSyncRun.create(full=False, status=SyncStatus.RUNNING, started_at=now, pages=1)
    seen = await status.catalog_status(actor=ADMIN)
    assert (seen.last_finished.id, seen.running.id, seen.last_failed) == (done.id, running.id, None)
    assert seen.product_synced_at is not None
    with pytest.raises(NotAdmin):
        await status.catalog_status(actor=await member_actor(await make_party()))


async def test_a_sync_asked_for_by_an_admin_is_audited():
    async with atomic():
        await status.request_sync(actor=ADMIN, full=True)
    entry = await AuditEntry.get(action="catalog.sync_requested")
    assert entry.after == {"full": True} and entry.actor == ADMIN.label


async def test_brands_and_cards_are_named_by_id_or_exact_name():
    steam = await make_product(10, face="10", brand_name="Steam")
    await make_product(11, face="10", brand_name="Apple", country="US")
    await make_product(12, face="10", brand_name="Apple", country="GB", currency="GBP")
    assert (await lookup.find_brand(actor=ADMIN, ref="steam")).id == steam.brand_id
    assert (await lookup.find_brand(actor=ADMIN, ref=f"#{steam.brand_id}")).name == "Steam"
    with pytest.raises(lookup.AmbiguousBrand) as ambiguous:
        await lookup.find_brand(actor=ADMIN, ref="Apple")
    assert len(ambiguous.value.details["ids"]) == 2
    with pytest.raises(lookup.BrandNotFound):
        await lookup.find_brand(actor=ADMIN, ref="Nope")
    assert (await lookup.find_product(actor=ADMIN, ref="10")).brand.name == "Steam"
    with pytest.raises(lookup.NoSuchProduct):
        await lookup.find_product(actor=ADMIN, ref="999")
    with pytest.raises(lookup.NoSuchProduct):
        await lookup.find_product(actor=ADMIN, ref="Steam")


async def test_discount_lines_list_kind_defaults_first_with_names():
    product = await make_product(10, face="10", brand_name="Steam")
    agent = await make_party(PartyKind.AGENT, name="Shop")
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_id=agent.id, product_id=product.id)
        await pricing.set_discount(actor=ADMIN, rate="0.06", party_kind=PartyKind.AGENT)
        await pricing.set_discount(actor=ADMIN, rate="0.04", party_kind=PartyKind.SUBAGENT, brand_id=product.brand_id)
    lines, total = await discount_lines(actor=ADMIN)
    assert total == 3
    assert [(l.party_kind, l.party_name, l.brand_name, l.product_name) for l in lines] == [
        ("agent", None, None, None), ("subagent", None, "Steam", None), (None, "Shop", None, "Steam 10")]
    assert (await discount_lines(actor=ADMIN, limit=1))[0][0].party_kind == "agent"
