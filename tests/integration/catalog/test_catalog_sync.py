"""Catalog sync against the in-process simulator: counts, idempotence, incremental, gone, resume."""

from __future__ import annotations

import asyncio
from decimal import ROUND_HALF_EVEN, Decimal

import httpx
import pytest
from tortoise.connection import get_connection

from core.catalog.models import Brand, CatalogSyncRun, Category, Product, SyncStatus
from core.catalog.sync import INCREMENTAL_SAFETY_MARGIN, SyncAlreadyRunning, SyncProgress, sync_catalog
from core.vendors.bamboo import VendorUnavailable
from simulator.jsonutil import loads
from tests.integration.catalog.catalog_sim import BRANDS, PAGE_SIZE, PAGES, PRODUCTS

CONTENT = ("brand_id", "name", "country", "currency", "min_face", "max_face", "price_min",
           "price_max", "price_currency", "stock", "brand_live", "gone_at", "vendor_modified_at")


async def full(sim, **kw):
    return await sync_catalog(sim.client, full=True, page_size=PAGE_SIZE, **kw)


async def incremental(sim, **kw):
    return await sync_catalog(sim.client, full=False, page_size=PAGE_SIZE, **kw)


async def snapshot() -> dict[int, tuple]:
    return {p["id"]: tuple(p[c] for c in CONTENT) for p in await Product.all().values("id", *CONTENT)}


async def vendor_catalog(sim) -> dict[int, dict]:
    """Every product as the simulator serves it (exact decimals), with its brand's fields."""
    body = loads((await sim.admin.get("/api/integration/v1.0/catalog", auth=("sim-client", "sim-secret"))).content)
    return {p["id"]: {**p, "brand": b} for b in body["brands"] for p in b["products"]}


async def test_full_sync_stores_every_brand_product_and_category(sim):
    seen: list[SyncProgress] = []
    result = await full(sim, progress=seen.append)

    assert (result.added, result.changed, result.gone) == (PRODUCTS, 0, 0)
    assert (result.pages, result.products, result.requests) == (PAGES, PRODUCTS, PAGES)
    assert result.full and not result.resumed and result.categories == 27
    assert await Product.all().count() == PRODUCTS
    assert await Brand.all().count() == BRANDS
    assert await Category.all().count() == 27
    assert sim.recorder.catalog_pages() == [0, 1, 2, 3]
    run = await CatalogSyncRun.get(id=result.run_id)
    assert (run.status, run.next_page, run.pages, run.added, run.products_seen) == (
        SyncStatus.FINISHED, PAGES, PAGES, PRODUCTS, PRODUCTS)
    assert run.finished_at is not None and run.error is None
    # The bar: one report before the first page, then one per page with the total known.
    assert [(p.pages, p.pages_total) for p in seen] == [(0, None), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert seen[-1].products == PRODUCTS

    brand = await Brand.get(vendor_key="2118")  # internalId
    assert (brand.name, brand.country, brand.currency, brand.category_ids) == ("Test Brand UAE", "AE", "AED", [6])
    sold_out = await Product.get(id=900201)
    assert sold_out.stock == 0 and not sold_out.available
    assert (await Product.get(id=900202)).stock == 5
    assert (await Product.get(id=2118010)).stock is None  # unlimited
    inactive = await Product.get(id=2119010)
    assert inactive.brand_live is False and not inactive.available
    ranged = await Product.get(id=900001)
    assert (ranged.min_face, ranged.max_face, ranged.is_fixed) == (Decimal("1"), Decimal("1000"), False)
    assert (await Product.get(id=2118010)).brand_id == brand.id


async def test_stored_money_is_exact_decimal(sim):
    await full(sim)
    vendor = await vendor_catalog(sim)
    stored = {p.id: p for p in await Product.all()}
    assert set(stored) == set(vendor)
    four = Decimal("0.0001")
    for pid, v in vendor.items():
        p = stored[pid]
        for column, value in (("min_face", v["minFaceValue"]), ("max_face", v["maxFaceValue"]),
                              ("price_min", v["price"]["min"]), ("price_max", v["price"]["max"])):
            got = getattr(p, column)
            assert isinstance(got, Decimal)
            assert got == Decimal(str(value)).quantize(four, rounding=ROUND_HALF_EVEN), (pid, column)
    # Fixed magic faces survive to the cent; prices keep their 4 decimals.
    assert (await Product.get(id=900101)).min_face == Decimal("5.01")
    assert (await Product.get(id=2120010)).price_min == Decimal("9.5000")  # 10 EUR at 5 % off
    # Steam 10 USD at 5.2995 % = 9.47005: the column has 4 places; banker's rounding, as Bamboo
    # charges it (9.47), not PostgreSQL's half-up (9.4701).
    assert (await Product.get(id=439685)).price_min == Decimal("9.4700")


async def test_second_full_sync_changes_nothing(sim):
    first = await full(sim)
    before = await snapshot()
    brands_before = await get_connection("default").execute_query_dict(
        "SELECT id, xmin::text AS xmin FROM catalog_brand ORDER BY id")
    second = await full(sim)
    assert second.run_id != first.run_id
    assert (second.added, second.changed, second.gone, second.products) == (0, 0, 0, PRODUCTS)
    assert await snapshot() == before
    # Unchanged brand rows are not even rewritten (same tuple version).
    assert await get_connection("default").execute_query_dict(
        "SELECT id, xmin::text AS xmin FROM catalog_brand ORDER BY id") == brands_before


async def test_first_sync_is_full_even_when_incremental_asked(sim):
    result = await incremental(sim)
    assert result.full and result.modified_since is None and result.added == PRODUCTS


async def test_incremental_picks_up_a_touched_product(sim):
    first = await full(sim)
    await sim.post("/catalog/products/2118010/touch", {"count": 7})
    sim.recorder.reset()
    result = await incremental(sim)
    assert not result.full
    first_run = await CatalogSyncRun.get(id=first.run_id)
    assert result.modified_since == first_run.started_at - INCREMENTAL_SAFETY_MARGIN
    assert (result.added, result.changed, result.gone, result.products) == (0, 1, 0, 1)
    assert sim.recorder.catalog_pages() == [0]
    assert sim.recorder.requests[0].url.params["ModifiedDate"]  # the filter was sent
    product = await Product.get(id=2118010)
    assert product.stock == 7 and product.synced_at > first_run.started_at


async def test_incremental_with_nothing_changed_costs_at_most_two_requests(sim):
    await full(sim)
    before = await snapshot()
    await sim.post("/stats/reset")
    sim.recorder.reset()
    result = await incremental(sim)
    assert len(sim.recorder.requests) <= 2  # TARGETS S5
    assert len(sim.recorder.requests) == 1 and result.requests == 1
    assert sum((await sim.stats())["requests"].values()) == 1  # the simulator agrees
    assert (result.added, result.changed, result.gone, result.pages, result.products) == (0, 0, 0, 0, 0)
    assert (await CatalogSyncRun.get(id=result.run_id)).status == SyncStatus.FINISHED
    assert await snapshot() == before


async def test_brand_going_inactive_reaches_its_products_incrementally(sim):
    await full(sim)
    await sim.post("/catalog/brands/2118/status", {"status": "TemporaryInactive"})
    result = await incremental(sim)
    assert result.changed == 3
    assert {p.brand_live for p in await Product.filter(brand__vendor_key="2118")} == {False}


async def test_removed_product_is_marked_gone_by_a_full_sync_and_comes_back(sim):
    await full(sim)
    await sim.delete("/catalog/products/2120025")
    # Incremental syncs cannot see a disappearance.
    assert (await incremental(sim)).gone == 0
    assert (await Product.get(id=2120025)).gone_at is None

    result = await full(sim)
    assert (result.gone, result.added, result.changed, result.products) == (1, 0, 0, PRODUCTS - 1)
    gone = await Product.get(id=2120025)  # kept, never deleted
    assert gone.gone_at is not None and not gone.available
    assert await Product.filter(gone_at__isnull=False).count() == 1
    # A second full sync does not count it again.
    assert (await full(sim)).gone == 0

    await sim.post("/catalog/products", {"brandId": 2120, "faceValue": 25, "id": 2120025, "discount": "5"})
    back = await incremental(sim)
    assert (back.added, back.changed) == (0, 1)
    product = await Product.get(id=2120025)
    assert product.gone_at is None and product.available


async def test_a_whole_brand_disappearing_marks_all_its_products_gone(sim):
    await full(sim)
    for pid in (2121010, 2121025):
        await sim.delete(f"/catalog/products/{pid}")
    result = await full(sim)
    assert result.gone == 2
    assert {p.id for p in await Product.filter(gone_at__isnull=False)} == {2121010, 2121025}


async def test_interrupted_full_sync_resumes_without_duplicates(sim):
    sim.recorder.fail_when = lambda r: r.url.path.endswith("/catalog") and r.url.params.get("PageIndex") == "2"
    with pytest.raises(VendorUnavailable):
        await full(sim)
    run = await CatalogSyncRun.get()
    assert (run.status, run.next_page, run.pages) == (SyncStatus.RUNNING, 2, 2)
    assert "not reachable" in run.error
    committed = await Product.all().count()
    assert committed == run.products_seen == run.added and 0 < committed < PRODUCTS

    sim.recorder.fail_when = None
    sim.recorder.reset()
    seen: list[SyncProgress] = []
    result = await incremental(sim, progress=seen.append)  # any new sync resumes the RUNNING one
    assert result.run_id == run.id and result.resumed and result.full
    # Resumed, not restarted: the last committed page is read again once, page 0 never.
    assert sim.recorder.catalog_pages() == [1, 2, 3]
    assert (result.added, result.changed, result.gone) == (PRODUCTS, 0, 0)
    assert (result.pages, result.products) == (PAGES, PRODUCTS)
    assert seen[0].pages == 2 and seen[-1].pages == PAGES
    assert await Product.all().count() == PRODUCTS
    assert await CatalogSyncRun.all().count() == 1
    finished = await CatalogSyncRun.get(id=run.id)
    assert finished.status == SyncStatus.FINISHED and finished.error is None
    # Everything is consistent: a next full sync finds nothing to do.
    again = await full(sim)
    assert (again.added, again.changed, again.gone) == (0, 0, 0)


async def test_resumed_full_sync_still_detects_gone_products(sim):
    await full(sim)
    sim.recorder.fail_when = lambda r: r.url.path.endswith("/catalog") and r.url.params.get("PageIndex") == "3"
    with pytest.raises(VendorUnavailable):
        await full(sim)
    # Remove a product from the page not yet read (brands page in vendor id order).
    last_page = loads((await sim.admin.get(
        "/api/integration/v2.0/catalog", params={"PageIndex": 3, "PageSize": PAGE_SIZE},
        auth=("sim-client", "sim-secret"))).content)
    victim = last_page["items"][-1]["products"][0]["id"]
    await sim.delete(f"/catalog/products/{victim}")
    sim.recorder.fail_when = None
    result = await full(sim)
    assert result.resumed and result.gone == 1
    assert (await Product.get(id=victim)).gone_at is not None
    assert await Product.filter(gone_at__isnull=False).count() == 1


async def test_failure_while_resuming_keeps_the_run_resumable(sim):
    sim.recorder.fail_when = lambda r: r.url.path.endswith("/catalog") and r.url.params.get("PageIndex") == "1"
    with pytest.raises(VendorUnavailable):
        await full(sim)
    with pytest.raises(VendorUnavailable):
        await full(sim)
    sim.recorder.fail_when = None
    result = await full(sim)
    assert result.resumed and result.added == PRODUCTS and result.products == PRODUCTS
    assert await CatalogSyncRun.all().count() == 1


async def test_full_sync_supersedes_a_running_incremental(sim):
    await full(sim)
    sim.recorder.fail_when = lambda r: r.url.path.endswith("/catalog")
    with pytest.raises(VendorUnavailable):
        await incremental(sim)
    stuck = await CatalogSyncRun.filter(status=SyncStatus.RUNNING).get()
    assert not stuck.full
    sim.recorder.fail_when = None
    result = await full(sim)
    assert result.full and not result.resumed and result.run_id != stuck.id
    superseded = await CatalogSyncRun.get(id=stuck.id)
    assert superseded.status == SyncStatus.FAILED and "superseded" in superseded.error


async def test_empty_catalog_answer_does_not_mark_everything_gone(sim):
    await full(sim)

    def empty(request: httpx.Request):
        if request.url.path.endswith("/catalog"):
            return httpx.Response(200, json={"pageIndex": 0, "pageSize": PAGE_SIZE, "count": 0, "items": []})
        return None

    sim.recorder.answer = empty
    result = await full(sim)
    assert result.gone == 0 and result.gone_skipped and "glitch" in result.gone_skipped
    assert await Product.filter(gone_at__isnull=True).count() == PRODUCTS


async def test_concurrent_syncs_never_double_count(sim):
    outcomes = await asyncio.gather(full(sim), full(sim), return_exceptions=True)
    for outcome in outcomes:
        assert not isinstance(outcome, BaseException) or isinstance(outcome, SyncAlreadyRunning), outcome
    assert any(not isinstance(o, BaseException) for o in outcomes)
    assert await Product.all().count() == PRODUCTS
    runs = await CatalogSyncRun.filter(status=SyncStatus.FINISHED)
    assert sum(r.added for r in runs) == PRODUCTS
    assert all(r.products_seen <= PRODUCTS for r in runs)


async def test_a_429_mid_sync_waits_the_named_window_and_the_sync_completes(sim):
    limited = {"left": 2}

    def answer(request):
        if request.url.path.lower().endswith("/v2.0/catalog") and request.url.params.get("PageIndex") == "1":
            if limited["left"]:
                limited["left"] -= 1
                return httpx.Response(429, headers={"Retry-After": "1"},
                                      json={"message": "Too many requests. Retry after 1 second."})
        return None

    sim.recorder.answer = answer
    result = await full(sim)
    assert limited["left"] == 0
    assert result.products == PRODUCTS and result.pages == PAGES
    assert sim.recorder.catalog_pages().count(1) == 3  # page 1 asked again after each 429
    assert len(await snapshot()) == PRODUCTS
