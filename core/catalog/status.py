"""The catalog as admins watch it: when it was last synced, and a sync requested by hand (audited).

The sync itself runs in the worker (`core.catalog.sync.sync_catalog`); the bot only records who asked
for it, in the update's transaction, and enqueues the job after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.connection import get_connection

from core.access.actor import Actor
from core.access.policy import require_admin
from core.audit import service as audit
from core.catalog.models import CatalogSyncRun, Product, SyncStatus
from core.db import require_transaction


@dataclass(frozen=True)
class CatalogStatus:
    last_finished: CatalogSyncRun | None  # the newest finished run
    running: CatalogSyncRun | None  # a run in progress (or interrupted, waiting to resume)
    last_failed: CatalogSyncRun | None  # the newest failed run, when newer than the last finished one
    products: int  # products in the catalog (not gone)
    gone: int  # products marked gone (kept for the orders that reference them)
    product_synced_at: datetime | None  # the newest `synced_at` of any product


async def catalog_status(*, actor: Actor) -> CatalogStatus:
    require_admin(actor)
    finished = await CatalogSyncRun.filter(status=SyncStatus.FINISHED).order_by("-id").first()
    running = await CatalogSyncRun.filter(status=SyncStatus.RUNNING).order_by("-id").first()
    failed = await CatalogSyncRun.filter(status=SyncStatus.FAILED).order_by("-id").first()
    if failed is not None and finished is not None and failed.id < finished.id:
        failed = None
    rows = await get_connection("default").execute_query_dict("SELECT max(synced_at) AS newest FROM catalog_product")
    return CatalogStatus(
        last_finished=finished, running=running, last_failed=failed,
        products=await Product.filter(gone_at=None).count(),
        gone=await Product.filter(gone_at__isnull=False).count(),
        product_synced_at=rows[0]["newest"] if rows else None,
    )


async def request_sync(*, actor: Actor, full: bool) -> None:
    """An admin asks for a catalog sync now: audited here, run by the worker's `sync_catalog_now`."""
    require_transaction()
    require_admin(actor)
    await audit.record(actor=actor, action="catalog.sync_requested", object_type="catalog",
                       after={"full": bool(full)})
