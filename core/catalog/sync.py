"""Catalog sync: Bamboo catalog v2 (brands → products) and categories into PostgreSQL.

* **Full** sync (`full=True`, or the first sync ever): every page; at the end, products that were
  in the catalog before and were not seen by this run get `gone_at` (never deleted); a product
  seen again gets `gone_at` cleared.
* **Incremental** sync: only products modified after the start of the last finished sync (minus
  `INCREMENTAL_SAFETY_MARGIN`), via Bamboo's `ModifiedDate`. Nothing is marked gone. With
  nothing changed it costs one request (one empty page).

Each page is one transaction: the brand upsert, the product upsert (one statement each, arrays
through `unnest`, `ON CONFLICT … DO UPDATE … WHERE <a column differs>` so an unchanged row is not
rewritten and `added`/`changed` are exact) and the run's progress (`next_page`, counts). A crash
loses at most the page in flight; the next sync finds the RUNNING run and resumes it from
`next_page`, re-reading the page before it once, so brands that shifted down a page in the
meantime are still seen (the re-read page is not counted twice).

"Seen by this full run" is persisted per product as `synced_at >= run.started_at` (so it survives
a resume in another process): a full sync moves `synced_at` of unchanged rows forward once, in a
separate statement that leaves content columns and counts alone. Incremental syncs never do that.

The sync adds no sleeps of its own: the client's shared rate limiter paces the calls. The next
page is requested while the current one is being written, so the wall time stays at the rate-limit
bound (pages × 1 s).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.catalog.models import CatalogSyncRun, SyncStatus
from core.errors import Conflict
from core.logging import get_logger
from core.vendors.bamboo import BambooClient, CatalogBrand, CatalogPage, CatalogProduct
from core.vendors.bamboo import Category as VendorCategory
from core.vendors.bamboo.client import CATALOG_MAX_PAGES, CATALOG_PAGE_SIZE
from core.vendors.bamboo.errors import VendorError, VendorRateLimited, VendorResponseInvalid

# A 429 mid-sync waits Bamboo's window and asks again this many times before the sync stops (resumable).
RATE_LIMITED_RETRIES = 5
log = get_logger(__name__)

# Incremental syncs ask for changes since the last finished sync's start minus this, to absorb
# clock skew between Bamboo and us (re-reading a few unchanged products costs nothing).
INCREMENTAL_SAFETY_MARGIN = timedelta(minutes=5)
# A RUNNING run older than this is abandoned (FAILED) rather than resumed.
MAX_RESUME_AGE = timedelta(hours=24)
# A full sync that would mark more than this share of the live catalog as gone (or saw no
# product at all) is treated as a vendor glitch: nothing is marked gone, the run notes why.
MAX_GONE_FRACTION = 0.5
# Serializes choosing/creating a run between processes (pg_advisory_xact_lock key).
_RUN_LOCK_KEY = 0x5354454C_43415431 & 0x7FFFFFFFFFFFFFFF  # "STELCAT1"

_MONEY_PLACES = Decimal("0.0001")  # catalog_product numeric(18, 4)
_TEXT_LIMITS = {"name": 300, "logo_url": 1000, "vendor_key": 200}

TEMPORARY_INACTIVE = "temporaryinactive"


class SyncAlreadyRunning(Conflict):
    """Another process is advancing the same sync run right now."""

    code = "catalog.sync_running"


@dataclass(frozen=True)
class SyncProgress:
    """Handed to the progress callback after each committed page (run totals)."""

    pages: int  # pages committed in this run, earlier attempts included
    products: int  # products seen in this run
    pages_total: int | None  # Bamboo's brand `count` / page size, once a page told us


ProgressCallback = Callable[[SyncProgress], None]


@dataclass(frozen=True)
class CatalogSyncResult:
    run_id: int
    full: bool
    resumed: bool  # this call continued an interrupted run
    added: int  # products, run totals
    changed: int
    gone: int
    pages: int
    products: int
    seconds: float  # wall time of this call
    categories: int | None  # categories upserted (full syncs), None if not fetched
    modified_since: datetime | None  # the ModifiedDate sent (incremental), else None
    requests: int  # catalog pages requested by this call
    gone_skipped: str | None = None  # why gone-marking was refused (vendor glitch guard)


@dataclass(frozen=True)
class _Run:
    id: int
    full: bool
    modified_since: datetime | None
    started_at: datetime
    next_page: int
    pages: int
    products: int
    resumed: bool


# --------------------------------------------------------------------------------------- service


async def sync_catalog(
    client: BambooClient,
    *,
    full: bool = False,
    progress: ProgressCallback | None = None,
    page_size: int = CATALOG_PAGE_SIZE,
    now: Callable[[], datetime] | None = None,
) -> CatalogSyncResult:
    """Sync the catalog; resumes the last RUNNING run if there is one (see module doc).

    `page_size` must stay the same between an interrupted run and its resume (tests lower it).
    Vendor errors propagate (the run stays RUNNING with `error` set, ready to resume).
    """
    clock = now or (lambda: datetime.now(UTC))
    started = time.perf_counter()
    run = await _open_run(full=full, now=clock())
    bound = log.bind(run_id=run.id, full=run.full, resumed=run.resumed)
    bound.info(
        "catalog.sync.start", next_page=run.next_page,
        modified_since=run.modified_since.isoformat() if run.modified_since else None,
    )
    pages_total: int | None = None  # from Bamboo's `count`, once a page arrived
    requests = 0

    def report(pages: int, products: int) -> None:
        if progress is not None:
            progress(SyncProgress(pages=pages, products=products, pages_total=pages_total))

    report(run.pages, run.products)
    # Categories have their own rate budget: fetched alongside the first page, full syncs only.
    categories_task = asyncio.create_task(_fetch_categories(client)) if run.full else None

    async def page_at(index: int) -> CatalogPage:
        """One page; a 429 (another process spent the budget, or clocks disagree by a hair) waits
        for the window Bamboo names and asks again, a few times, instead of failing the whole sync."""
        nonlocal requests
        for attempt in range(RATE_LIMITED_RETRIES + 1):
            requests += 1
            try:
                return await client.get_catalog_page(
                    page_index=index, page_size=page_size, modified_date=run.modified_since
                )
            except VendorRateLimited as exc:
                if attempt == RATE_LIMITED_RETRIES:
                    raise
                bound.info("catalog.sync.rate_limited", page=index, wait=exc.wait_seconds)
                await asyncio.sleep(exc.wait_seconds)
        raise AssertionError("unreachable")

    def fetch(index: int) -> asyncio.Task[CatalogPage]:
        return asyncio.create_task(page_at(index))

    # Resume: re-read the last committed page once (brands may have shifted down a page).
    page_index = run.next_page - 1 if run.resumed and run.next_page > 0 else run.next_page
    pending: asyncio.Task[CatalogPage] | None = fetch(page_index)
    try:
        while pending is not None:
            page = await pending
            pending = None
            if page_index >= CATALOG_MAX_PAGES:
                raise VendorResponseInvalid(
                    f"catalog still not exhausted after {CATALOG_MAX_PAGES} pages", endpoint="catalog"
                )
            effective = page.page_size if 0 < page.page_size < page_size else page_size
            if page.count is not None:
                pages_total = max(1, math.ceil(page.count / effective))
            more = bool(page.items) and len(page.items) >= effective and (
                page.count is None or (page_index + 1) * effective < page.count
            )
            if more:
                pending = fetch(page_index + 1)  # in flight while this page is written
            if page.items:
                counted = page_index >= run.next_page
                totals = await _commit_page(
                    run, page_index, page.items, counted=counted, now=clock()
                )
                if counted:
                    report(totals["pages"], totals["products_seen"])
            page_index += 1
        categories = await _store_categories(categories_task) if categories_task else None
        final = await _finish_run(run, now=clock())
    except BaseException as exc:
        _discard(pending)
        _discard(categories_task)
        if isinstance(exc, Exception) and not isinstance(exc, SyncAlreadyRunning):
            await _record_error(run.id, exc)
            bound.warning("catalog.sync.interrupted", error=type(exc).__name__, page=page_index)
        raise
    seconds = time.perf_counter() - started
    result = CatalogSyncResult(
        run_id=run.id,
        full=run.full,
        resumed=run.resumed,
        added=final["added"],
        changed=final["changed"],
        gone=final["gone"],
        pages=final["pages"],
        products=final["products_seen"],
        seconds=seconds,
        categories=categories,
        modified_since=run.modified_since,
        requests=requests,
        gone_skipped=final.get("gone_skipped"),
    )
    bound.info(
        "catalog.sync.done", added=result.added, changed=result.changed, gone=result.gone,
        pages=result.pages, products=result.products, requests=requests, seconds=round(seconds, 2),
    )
    return result


def _discard(task: asyncio.Task[Any] | None) -> None:
    """Cancel a task we no longer need; swallow the error it may already have ended with."""
    if task is None:
        return
    if task.done():
        if not task.cancelled():
            task.exception()
    else:
        task.cancel()


# --------------------------------------------------------------------------------------- runs


async def _open_run(*, full: bool, now: datetime) -> _Run:
    """The RUNNING run to resume, or a new one. Serialized across processes."""
    async with in_transaction("default") as conn:
        await conn.execute_query_dict("SELECT pg_advisory_xact_lock($1)", [_RUN_LOCK_KEY])
        running = await (
            CatalogSyncRun.filter(status=SyncStatus.RUNNING).using_db(conn).order_by("-id").all()
        )
        resume: CatalogSyncRun | None = None
        for candidate in running:
            reason = None
            if resume is not None:
                reason = "superseded by a later run"
            elif now - candidate.started_at > MAX_RESUME_AGE:
                reason = "abandoned: too old to resume"
            elif full and not candidate.full:
                reason = "superseded by a full sync"
            if reason is None:
                resume = candidate
                continue
            candidate.status = SyncStatus.FAILED
            candidate.finished_at = now
            candidate.error = reason if not candidate.error else f"{reason} (last error: {candidate.error})"
            await candidate.save(using_db=conn, update_fields=["status", "finished_at", "error"])
        if resume is not None:
            return _Run(
                id=resume.id, full=resume.full, modified_since=resume.modified_since,
                started_at=resume.started_at, next_page=resume.next_page, pages=resume.pages,
                products=resume.products_seen, resumed=True,
            )
        modified_since = None
        if not full:
            last = await (
                CatalogSyncRun.filter(status=SyncStatus.FINISHED)
                .using_db(conn).order_by("-started_at").first()
            )
            if last is None:
                full = True  # nothing to be incremental against
            else:
                modified_since = last.started_at - INCREMENTAL_SAFETY_MARGIN
        created = await CatalogSyncRun.create(
            using_db=conn, full=full, modified_since=modified_since, started_at=now,
            status=SyncStatus.RUNNING,
        )
        return _Run(
            id=created.id, full=full, modified_since=modified_since, started_at=now,
            next_page=0, pages=0, products=0, resumed=False,
        )


async def _record_error(run_id: int, exc: BaseException) -> None:
    text = str(exc) if isinstance(exc, VendorError) else f"{type(exc).__name__}: {exc}"
    try:
        async with in_transaction("default") as conn:
            await conn.execute_query_dict(
                "UPDATE catalog_sync_run SET error = $2 WHERE id = $1 AND status = 'running' RETURNING id",
                [run_id, text[:2000]],
            )
    except Exception:  # the original error matters more
        log.exception("catalog.sync.record_error_failed", run_id=run_id)


async def _lock_run(conn: BaseDBAsyncClient, run_id: int) -> dict[str, Any]:
    rows = await conn.execute_query_dict(
        "SELECT next_page, status FROM catalog_sync_run WHERE id = $1 FOR UPDATE", [run_id]
    )
    if not rows or rows[0]["status"] != SyncStatus.RUNNING.value:
        raise SyncAlreadyRunning(f"catalog sync run {run_id} is no longer running here")
    return rows[0]


# --------------------------------------------------------------------------------------- pages


async def _commit_page(
    run: _Run, page_index: int, items: Sequence[CatalogBrand], *, counted: bool, now: datetime
) -> dict[str, int]:
    """Write one page and the run's progress in one transaction; returns the run's totals."""
    brands, products = _page_rows(items)
    async with in_transaction("default") as conn:
        state = await _lock_run(conn, run.id)
        expected = page_index if counted else page_index + 1
        if state["next_page"] != expected:
            raise SyncAlreadyRunning(
                f"catalog sync run {run.id} moved on to page {state['next_page']} elsewhere"
            )
        brand_ids = await _upsert_brands(conn, brands, now)
        added, changed = await _upsert_products(conn, products, brand_ids, now)
        if run.full:
            await _mark_seen(conn, [p["id"] for p in products], now, run.started_at)
        rows = await conn.execute_query_dict(
            """
            UPDATE catalog_sync_run
               SET next_page = next_page + $2, pages = pages + $2,
                   products_seen = products_seen + $3, added = added + $4, changed = changed + $5
             WHERE id = $1
            RETURNING pages, products_seen, added, changed
            """,
            [run.id, 1 if counted else 0, len(products) if counted else 0, added, changed],
        )
    return rows[0]


async def _finish_run(run: _Run, *, now: datetime) -> dict[str, Any]:
    async with in_transaction("default") as conn:
        await _lock_run(conn, run.id)
        gone = 0
        note: str | None = None
        if run.full:
            gone, note = await _mark_gone(conn, run, now)
        rows = await conn.execute_query_dict(
            """
            UPDATE catalog_sync_run
               SET status = 'finished', finished_at = $2, gone = $3, error = $4
             WHERE id = $1
            RETURNING pages, products_seen, added, changed, gone
            """,
            [run.id, now, gone, note],
        )
    final = dict(rows[0])
    final["gone_skipped"] = note
    return final


async def _mark_gone(conn: BaseDBAsyncClient, run: _Run, now: datetime) -> tuple[int, str | None]:
    """Products not seen by this (completed) full run: `gone_at = now`. Guarded against a
    vendor answering an empty or truncated catalog."""
    rows = await conn.execute_query_dict(
        """
        SELECT count(*) FILTER (WHERE synced_at < $1) AS unseen, count(*) AS live,
               (SELECT products_seen FROM catalog_sync_run WHERE id = $2) AS seen
          FROM catalog_product WHERE gone_at IS NULL
        """,
        [run.started_at, run.id],
    )
    unseen, live, seen = rows[0]["unseen"], rows[0]["live"], rows[0]["seen"]
    if unseen == 0:
        return 0, None
    if seen == 0 or unseen > MAX_GONE_FRACTION * live:
        note = (
            f"gone-marking skipped: {unseen} of {live} live products unseen"
            f" (the vendor answered {seen} products); suspect a vendor glitch"
        )
        log.error("catalog.sync.gone_guard", run_id=run.id, unseen=unseen, live=live, seen=seen)
        return 0, note
    marked = await conn.execute_query_dict(
        "UPDATE catalog_product SET gone_at = $1 WHERE gone_at IS NULL AND synced_at < $2 RETURNING id",
        [now, run.started_at],
    )
    return len(marked), None


# --------------------------------------------------------------------------------------- rows


def _text(value: str | None, limit: int | None = None) -> str:
    text = value or ""
    return text[:limit] if limit else text


def _money(value: Decimal) -> Decimal:
    """Bamboo sends up to 8 decimals; the column keeps 4. Banker's rounding, as Bamboo charges
    (Steam 10 USD at 5.2995 % off = 9.47005 → 9.4700)."""
    return value.quantize(_MONEY_PLACES, rounding=ROUND_HALF_EVEN)


def brand_vendor_key(brand: CatalogBrand) -> str:
    """Bamboo's `internalId`, else name|country|currency."""
    if brand.internal_id and brand.internal_id.strip():
        return brand.internal_id.strip()[: _TEXT_LIMITS["vendor_key"]]
    key = f"{brand.name}|{brand.country_code or ''}|{brand.currency_code or ''}"
    return key[: _TEXT_LIMITS["vendor_key"]]


def _brand_live(product: CatalogProduct) -> bool:
    # Catalog v2 has no brand status; the simulator (and some Bamboo variants) put the brand's
    # status on each product. Absent means Live.
    return (product.status or "").strip().lower() != TEMPORARY_INACTIVE


def _page_rows(items: Sequence[CatalogBrand]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One row per brand (by vendor key) and per product id; the last occurrence wins."""
    brands: dict[str, dict[str, Any]] = {}
    products: dict[int, dict[str, Any]] = {}
    for item in items:
        key = brand_vendor_key(item)
        country = (item.country_code or "").upper()[:3]
        currency = (item.currency_code or "").upper()[:3]
        brands[key] = {
            "vendor_key": key,
            "name": _text(item.name, _TEXT_LIMITS["name"]),
            "country": country,
            "currency": currency,
            "description": _text(item.description),
            "disclaimer": _text(item.disclaimer),
            "redemption_instructions": _text(item.redemption_instructions),
            "terms": _text(item.terms),
            "logo_url": _text(item.logo_url, _TEXT_LIMITS["logo_url"]),
            "category_ids": json.dumps(sorted({c.id for c in item.categories}), separators=(",", ":")),
            "vendor_modified_at": item.modified_date,
        }
        for p in item.products:
            products[p.id] = {
                "id": p.id,
                "vendor_key": key,
                "name": _text(p.name, _TEXT_LIMITS["name"]),
                "country": country,
                "currency": currency,
                "min_face": _money(p.min_face_value),
                "max_face": _money(p.max_face_value),
                "price_min": _money(p.price.min),
                "price_max": _money(p.price.max),
                "price_currency": (p.price.currency_code or currency).upper()[:3],
                "stock": p.count,
                "brand_live": _brand_live(p),
                "vendor_modified_at": p.modified_date,
            }
    return list(brands.values()), list(products.values())


_BRAND_COLUMNS = (
    "name", "country", "currency", "description", "disclaimer", "redemption_instructions", "terms",
    "logo_url", "category_ids", "vendor_modified_at",
)

_UPSERT_BRANDS = f"""
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
        AS t(vendor_key, name, country, currency, description, disclaimer, redemption_instructions,
             terms, logo_url, category_ids, vendor_modified_at)
), up AS (
    INSERT INTO catalog_brand AS b (vendor_key, {", ".join(_BRAND_COLUMNS)}, synced_at)
    SELECT vendor_key, name, country, currency, description, disclaimer, redemption_instructions,
           terms, logo_url, category_ids::jsonb, vendor_modified_at, $12 FROM input
    ON CONFLICT (vendor_key) DO UPDATE
       SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _BRAND_COLUMNS)}, synced_at = EXCLUDED.synced_at
     WHERE ({", ".join(f"b.{c}" for c in _BRAND_COLUMNS)})
           IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _BRAND_COLUMNS)})
    RETURNING b.id, b.vendor_key, (b.xmax = 0) AS inserted
)
SELECT i.vendor_key, COALESCE(up.id, b.id) AS id, up.inserted
  FROM input i
  LEFT JOIN up ON up.vendor_key = i.vendor_key
  LEFT JOIN catalog_brand b ON b.vendor_key = i.vendor_key
"""


async def _upsert_brands(
    conn: BaseDBAsyncClient, brands: list[dict[str, Any]], now: datetime
) -> dict[str, int]:
    """Brand id by vendor key, for every brand of the page."""
    if not brands:
        return {}
    columns = ("vendor_key", *_BRAND_COLUMNS)
    rows = await conn.execute_query_dict(
        _UPSERT_BRANDS, [[b[c] for b in brands] for c in columns] + [now]
    )
    return {r["vendor_key"]: r["id"] for r in rows}


_PRODUCT_COLUMNS = (
    "brand_id", "name", "country", "currency", "min_face", "max_face", "price_min", "price_max",
    "price_currency", "stock", "brand_live", "vendor_modified_at",
)

_UPSERT_PRODUCTS = f"""
INSERT INTO catalog_product AS p (id, {", ".join(_PRODUCT_COLUMNS)}, gone_at, allow_loss, synced_at)
SELECT t.*, NULL::timestamptz, false, $14
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::numeric[],
              $7::numeric[], $8::numeric[], $9::numeric[], $10::text[], $11::int[], $12::bool[],
              $13::timestamptz[])
    AS t(id, {", ".join(_PRODUCT_COLUMNS)})
ON CONFLICT (id) DO UPDATE
   SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _PRODUCT_COLUMNS)},
       gone_at = NULL, synced_at = EXCLUDED.synced_at
 WHERE p.gone_at IS NOT NULL
    OR ({", ".join(f"p.{c}" for c in _PRODUCT_COLUMNS)})
       IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _PRODUCT_COLUMNS)})
RETURNING (p.xmax = 0) AS inserted
"""


async def _upsert_products(
    conn: BaseDBAsyncClient, products: list[dict[str, Any]], brand_ids: dict[str, int], now: datetime
) -> tuple[int, int]:
    """(added, changed); a product that reappears (gone_at cleared) counts as changed."""
    if not products:
        return 0, 0
    for p in products:
        p["brand_id"] = brand_ids[p["vendor_key"]]
    columns = ("id", *_PRODUCT_COLUMNS)
    rows = await conn.execute_query_dict(
        _UPSERT_PRODUCTS, [[p[c] for p in products] for c in columns] + [now]
    )
    added = sum(1 for r in rows if r["inserted"])
    return added, len(rows) - added


async def _mark_seen(
    conn: BaseDBAsyncClient, product_ids: list[int], now: datetime, run_started: datetime
) -> None:
    """Full sync bookkeeping: these products were in the catalog during this run."""
    if product_ids:
        await conn.execute_query(
            "UPDATE catalog_product SET synced_at = $1 WHERE id = ANY($2::bigint[]) AND synced_at < $3",
            [now, product_ids, run_started],
        )


# --------------------------------------------------------------------------------------- categories


async def _fetch_categories(client: BambooClient) -> list[VendorCategory]:
    return await client.get_categories()


async def _store_categories(task: asyncio.Task[list[VendorCategory]]) -> int | None:
    """Upsert the categories fetched alongside a full sync; a failure there does not fail it."""
    try:
        categories = await task
    except VendorError as exc:
        log.warning("catalog.sync.categories_failed", error=str(exc))
        return None
    return await upsert_categories(categories)


async def upsert_categories(categories: Sequence[VendorCategory]) -> int:
    by_id = {c.id: c for c in categories}
    if not by_id:
        return 0
    async with in_transaction("default") as conn:
        rows = await conn.execute_query_dict(
            """
            INSERT INTO catalog_category AS c (id, name, description)
            SELECT * FROM unnest($1::int[], $2::text[], $3::text[])
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description
             WHERE (c.name, c.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)
            RETURNING id
            """,
            [
                list(by_id),
                [c.name[:200] for c in by_id.values()],
                [c.description or "" for c in by_id.values()],
            ],
        )
    log.info("catalog.sync.categories", received=len(by_id), written=len(rows))
    return len(by_id)
