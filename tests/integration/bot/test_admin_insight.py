"""/metrics, /vendor, /sync and /audit through the real dispatcher — and the worker's side of /vendor and
/sync (the jobs that edit the admin's message through the notifier): figures per period edited in place
with a chart, the vendor's state, a sync followed to "done", the audit log paged and filtered — and the
refusals: non-admins (typed or forged), junk arguments, a sync already running, Bamboo down."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.flows.admin.common import AdminCb
from bot.flows.admin_insight.callbacks import AuditCb, MetricsCb, SyncCb, VendorCb
from bot.notifier import AiogramNotifier
from core.audit import service as audit
from core.audit.models import AuditEntry
from core.catalog import cardlists
from core.catalog.models import CatalogSyncRun, SyncStatus
from core.config import get_settings
from core.db import atomic
from core.orders import resolve
from core.orders import service as orders
from core.orders.models import Order
from core.orders.settle import DeliveredCard
from core.parties import service as parties
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.vendors.bamboo import SharedRateLimiter, VendorUnavailable
from core.vendors.bamboo.ratelimit import DEFAULT_KEY_PREFIX
from jobs import admin as admin_jobs
from tests.factories import ADMIN, make_member, make_party, make_product

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, STRANGER = 7301, 7311, 7399
PRODUCT = 9101


@pytest.fixture(autouse=True)
def roomy_throttle(monkeypatch):
    """Admin journeys press many buttons; throttling has its own tests."""
    monkeypatch.setenv("BOT_THROTTLE_UPDATES", "100")


@pytest.fixture
async def admin():
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=ADMIN_ID)
    return ADMIN_ID


@pytest.fixture
async def agent():
    """An agent at 5 % (owner OWNER) buying a card that costs us 90 % of its face."""
    await make_product(PRODUCT, face=("1", "500"), vendor_discount="0.10", brand_name="Steam")
    party = await make_party(PartyKind.AGENT, name="Top Agent", funds=1_000_00)
    await make_member(party, telegram_user_id=OWNER)
    async with atomic():
        await pricing.set_discount(actor=ADMIN, rate="0.05", party_kind=PartyKind.AGENT)
        await cardlists.put_item(card_list=await cardlists.default_agent_list(actor=ADMIN), product_id=PRODUCT,
                                 actor=ADMIN)
    return party


async def sold(party, face: str, quantity: int, *, days_ago: int = 0) -> None:
    async with atomic():
        created = await orders.create_order(actor=ADMIN, party_id=party.id, product_id=PRODUCT,
                                            face_value=Decimal(face), quantity=quantity)
    async with atomic():
        await resolve.complete_order(actor=ADMIN, order_id=created.order.id, cards=[
            DeliveredCard(vendor_card_id=f"c{i}", code=f"CODE-{created.order.id.hex[:6]}-{i:04d}")
            for i in range(quantity)])
    if days_ago:
        await Order.filter(id=created.order.id).update(completed_at=datetime.now(UTC) - timedelta(days=days_ago))


async def unknown_answer(harness, user: int) -> str:
    await harness.send(user, "/nonsense")
    return harness.last_text(user)


async def job_ids(redis, name: str) -> list[str]:
    return sorted(k.decode().removeprefix("arq:job:") for k in await redis.keys(f"arq:job:{name}:*"))


# --- /metrics ---------------------------------------------------------------------------------------


async def test_metrics_show_each_figure_and_periods_edit_one_message(harness, admin, agent):
    await sold(agent, "100", 1)  # 95.00, revenue 5.00
    await sold(agent, "100", 2, days_ago=12)  # 190.00, revenue 10.00
    await harness.send(ADMIN_ID, "/metrics")
    text = harness.last_text(ADMIN_ID)
    assert "Steller, the last 7 days" in text
    assert "Signups: 1 (agents 1, sub-agents 0, partners 0)" in text
    assert "Activations (first sale): 0" in text  # its first sale was 12 days ago
    assert "Orders delivered: one order, one card" in text
    assert "USD: GMV 95.00 USD · revenue 5.00 USD · margin 5.26 %" in text
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "30 days"))
    assert [m["message_id"] for m in harness.api.sent_messages(ADMIN_ID)] == [message_id]
    text = harness.last_text(ADMIN_ID)
    assert "the last 30 days" in text and "Activations (first sale): 1" in text
    assert "GMV 285.00 USD · revenue 15.00 USD · margin 5.26 %" in text
    assert "• 30 days" in [t for t, _ in harness.buttons(ADMIN_ID)]
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Definitions"))
    assert "Revenue: the platform's margin captured" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Back"))
    await harness.press(ADMIN_ID, AdminCb(area="metrics").pack())  # the /admin menu's button
    assert "the last 7 days" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/metrics today")
    assert "Steller today" in harness.last_text(ADMIN_ID)


async def test_the_metrics_chart_is_a_png_drawn_off_the_event_loop(harness, admin, agent, monkeypatch):
    from bot.flows.admin_insight import metrics

    await sold(agent, "100", 1)
    threads = []
    real = metrics.render_daily_chart

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(metrics, "render_daily_chart", spy)
    await harness.send(ADMIN_ID, "/metrics 30d")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Chart"))
    [call] = harness.api.calls_to("sendPhoto", chat_id=ADMIN_ID)
    assert call.files["photo"].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert threads and threads[0] != threading.get_ident()
    assert "GMV per day in USD" in harness.api.texts(ADMIN_ID)[-1] and "95.00 USD in total" in harness.api.texts(ADMIN_ID)[-1]


async def test_metrics_without_sales_say_so_and_junk_periods_get_the_usage(harness, admin):
    await harness.send(ADMIN_ID, "/metrics")
    assert "No sales in this period" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Chart"))
    assert "No sales" in harness.toasts()[-1] and not harness.api.calls_to("sendPhoto")
    await harness.send(ADMIN_ID, "/metrics yesterday")
    assert "Use: /metrics" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, MetricsCb(action="show", period="month").pack())
    assert "no longer valid" in harness.toasts()[-1]


async def test_metrics_in_arabic(harness, admin, agent):
    await sold(agent, "100", 1)
    await harness.send(ADMIN_ID, "/metrics", language_code="ar")
    assert "إجمالي المبيعات" in harness.last_text(ADMIN_ID) and "الهامش" in harness.last_text(ADMIN_ID)


# --- /vendor ----------------------------------------------------------------------------------------


@dataclass
class VendorAccount:
    id: int
    currency: str
    balance: Decimal
    is_active: bool = True


class FakeVendor:
    def __init__(self, accounts=None, error: Exception | None = None):
        self.accounts, self.error, self.calls = accounts or [], error, 0

    async def get_accounts(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.accounts


def worker_ctx(harness, redis, vendor) -> dict:
    return {"vendor": vendor, "redis": redis, "telegram": AiogramNotifier(harness.bot)}


async def test_vendor_shows_what_it_knows_at_once_and_the_worker_fills_in_the_balance(harness, admin, redis):
    await harness.send(ADMIN_ID, "/vendor")
    text = harness.last_text(ADMIN_ID)
    assert "Account balances: not read yet" in text and "Asking Bamboo for the balances now" in text
    assert "No calls in the current windows" in text
    assert "No catalog sync has finished yet" in text and "No orders stuck at the vendor" in text
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    [job] = await job_ids(redis, "refresh_vendor_balance")
    assert job.startswith(f"refresh_vendor_balance:{ADMIN_ID}:{message_id}:")

    vendor = FakeVendor([VendorAccount(555, "USD", Decimal("12345.67")), VendorAccount(556, "EUR", Decimal(20))])
    assert await admin_jobs.refresh_vendor_balance(worker_ctx(harness, redis, vendor), ADMIN_ID, message_id, "en")
    text = harness.last_text(ADMIN_ID)
    assert "Account 555: 12,345.67 USD" in text and "Account 556: 20.00 EUR ⚠️ low" in text
    assert "Asking Bamboo" not in text
    assert [m["message_id"] for m in harness.api.sent_messages(ADMIN_ID)] == [message_id]  # one message, edited

    down = FakeVendor(error=VendorUnavailable("Bamboo answered 503", endpoint="accounts"))
    await admin_jobs.refresh_vendor_balance(worker_ctx(harness, redis, down), ADMIN_ID, message_id, "en")
    text = harness.last_text(ADMIN_ID)
    assert "Bamboo did not answer" in text and "VendorUnavailable" in text
    assert "Account 555: 12,345.67 USD" in text  # the last good reading stays, with its time


async def test_vendor_shows_rate_limits_the_last_sync_and_stuck_orders(harness, admin, agent, redis):
    limiter = SharedRateLimiter(redis, key_prefix=f"{DEFAULT_KEY_PREFIX}{get_settings().bamboo_client_id}:")
    await limiter.acquire("catalog")
    await limiter.block("place_order", 30)
    now = datetime.now(UTC)
    await CatalogSyncRun.create(full=False, status=SyncStatus.FINISHED, started_at=now - timedelta(minutes=5),
                                finished_at=now - timedelta(minutes=4), pages=3, added=2, changed=1)
    async with atomic():
        stuck = await orders.create_order(actor=ADMIN, party_id=agent.id, product_id=PRODUCT,
                                          face_value=Decimal(20), quantity=1)
    await Order.filter(id=stuck.order.id).update(created_at=now - timedelta(hours=30))
    await harness.send(ADMIN_ID, "/start")
    await harness.press(ADMIN_ID, AdminCb(area="vendor").pack())
    text = harness.last_text(ADMIN_ID)
    assert "catalog: 1 of 1 per 1 s" in text
    assert "place_order: 0 of 2 per 1 s — ⛔ Bamboo asked us to wait" in text
    assert "Last sync: changes only" in text and "pages: 3, new: 2, changed: 1" in text
    assert "One order needs an admin" in text and str(stuck.order.id)[:8] in text
    await harness.press(ADMIN_ID, VendorCb(action="refresh").pack())
    assert len(await job_ids(redis, "refresh_vendor_balance")) == 1  # two presses within seconds: one job


# --- /sync ------------------------------------------------------------------------------------------


async def test_sync_is_audited_queued_once_per_message_and_followed_to_done(harness, admin, redis, monkeypatch):
    from tests.integration.catalog.catalog_sim import PAGE_SIZE, PAGES, PRODUCTS, Sim

    update = await harness.send(ADMIN_ID, "/sync")
    assert "Catalog sync (changes only): queued" in harness.last_text(ADMIN_ID)
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    assert await job_ids(redis, "sync_catalog_now") == [f"sync_catalog_now:{ADMIN_ID}:{message_id}"]
    entry = await AuditEntry.get(action="catalog.sync_requested")
    assert entry.after == {"full": False} and entry.request_id == f"tg:{ADMIN_ID}:{update['update_id']}"

    monkeypatch.setattr(admin_jobs, "PROGRESS_EDIT_SECONDS", 0)
    sim = Sim()
    try:
        ctx = {"vendor": sim.client, "redis": redis, "telegram": AiogramNotifier(harness.bot)}
        outcome = await admin_jobs.sync_catalog_now(ctx, ADMIN_ID, message_id, "en", False, page_size=PAGE_SIZE)
    finally:
        await sim.aclose()
    assert outcome == "done"
    edits = [c.params["text"] for c in harness.api.calls_to("editMessageText", chat_id=ADMIN_ID)]
    assert any(f"of {PAGES}" in text for text in edits)  # progress on the way
    final = harness.last_text(ADMIN_ID)
    assert final.startswith("✅ Catalog sync (full) done")  # the first sync ever is a full one
    assert f"pages: {PAGES}, cards seen: {PRODUCTS}, new: {PRODUCTS}, changed: 0, gone: 0" in final
    assert [m["message_id"] for m in harness.api.sent_messages(ADMIN_ID)] == [message_id]


async def test_sync_from_the_menu_offers_changes_or_full(harness, admin, redis):
    await harness.send(ADMIN_ID, "/start")
    await harness.press(ADMIN_ID, AdminCb(area="sync").pack())
    assert "Catalog sync — cards in the catalog: 0" in harness.last_text(ADMIN_ID)
    full = harness.button(ADMIN_ID, "Full sync")
    await harness.press(ADMIN_ID, full)
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    assert "Catalog sync (full): queued" in harness.last_text(ADMIN_ID)
    assert await job_ids(redis, "sync_catalog_now") == [f"sync_catalog_now:{ADMIN_ID}:{message_id}"]
    assert (await AuditEntry.get(action="catalog.sync_requested")).after == {"full": True}


async def test_a_sync_already_running_or_bamboo_down_is_told_in_the_message(harness, admin, redis, monkeypatch):
    from core.catalog.sync import SyncAlreadyRunning

    await harness.send(ADMIN_ID, "/sync full")
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    ctx = {"vendor": None, "redis": redis, "telegram": AiogramNotifier(harness.bot)}

    async def busy(*args, **kwargs):
        raise SyncAlreadyRunning("run 1 moved on elsewhere")

    monkeypatch.setattr(admin_jobs, "sync_catalog", busy)
    assert await admin_jobs.sync_catalog_now(ctx, ADMIN_ID, message_id, "en", True) == "busy"
    assert "Another catalog sync is running right now" in harness.last_text(ADMIN_ID)

    async def down(*args, progress=None, **kwargs):
        from core.catalog.sync import SyncProgress

        progress(SyncProgress(pages=0, products=0, pages_total=None))
        raise VendorUnavailable("Bamboo answered 502", endpoint="catalog")

    monkeypatch.setattr(admin_jobs, "sync_catalog", down)
    assert await admin_jobs.sync_catalog_now(ctx, ADMIN_ID, message_id, "ar", True) == "failed"
    assert "توقفت مزامنة الكتالوج" in harness.last_text(ADMIN_ID)


async def test_sync_with_junk_arguments_gets_the_usage_and_starts_nothing(harness, admin, redis):
    await harness.send(ADMIN_ID, "/sync everything")
    assert "Use: /sync" in harness.last_text(ADMIN_ID)
    assert await job_ids(redis, "sync_catalog_now") == []
    assert not await AuditEntry.filter(action="catalog.sync_requested").exists()


# --- /audit -----------------------------------------------------------------------------------------


async def test_audit_pages_newest_first_with_who_what_when_and_before_after(harness, admin, agent):
    await harness.send(ADMIN_ID, "/discount agent 6")
    await harness.press(ADMIN_ID, next(d for _, d in harness.buttons(ADMIN_ID) if d.startswith("adc:ok:")))
    await harness.send(ADMIN_ID, "/audit")
    text = harness.last_text(ADMIN_ID)
    assert text.startswith("📜 Audit log, newest first")
    first = text.split("\n\n")[1]
    assert f"tg:{ADMIN_ID} (tg:{ADMIN_ID}:" in first and "pricing.discount · discount" in first
    assert '{"rate": "0.0500"} → {' in first and '"rate": "0.0600"' in first
    for i in range(6):
        async with atomic():
            await audit.record(actor="cli", action=f"test.step{i}", object_type="party", object_id=agent.id)
    await harness.send(ADMIN_ID, "/audit")
    assert "test.step5" in harness.last_text(ADMIN_ID) and "test.step1" in harness.last_text(ADMIN_ID)
    assert "test.step0" not in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Older"))
    assert "test.step0" in harness.last_text(ADMIN_ID) and "test.step5" not in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Newest"))
    assert "test.step5" in harness.last_text(ADMIN_ID)


async def test_audit_filters_combine_and_survive_paging(harness, admin, agent):
    for i in range(7):
        async with atomic():
            await audit.record(actor="cli", action=f"ledger.step{i}", object_type="party", object_id=agent.id)
            await audit.record(actor="cli", action=f"other.step{i}", object_type="party", object_id=agent.id)
    await harness.send(ADMIN_ID, f"/audit action:ledger party:{agent.id} by:cli")
    text = harness.last_text(ADMIN_ID)
    assert f"newest first — action:ledger actor:cli party:{agent.id}" in text
    assert "ledger.step6" in text and "other." not in text
    older = harness.button(ADMIN_ID, "Older")
    await harness.press(ADMIN_ID, older)
    text = harness.last_text(ADMIN_ID)
    assert "ledger.step1" in text and "ledger.step0" in text and "other." not in text
    await harness.send(ADMIN_ID, "/audit party:424242")
    assert "Nothing recorded" in harness.last_text(ADMIN_ID)


async def test_audit_junk_filters_and_expired_filter_buttons(harness, admin, redis):
    for junk in ("/audit nonsense", "/audit action:", "/audit party:1 order:2", '/audit "unclosed'):
        await harness.send(ADMIN_ID, junk)
        assert "Use: /audit" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/audit action:x")
    await harness.press(ADMIN_ID, AuditCb(action="page", filters="0123456789ab", cursor=5).pack())
    assert "no longer valid" in harness.toasts()[-1]


# --- Who may -----------------------------------------------------------------------------------------


async def test_non_admins_get_the_unknown_answer_for_every_insight_command(harness, admin, agent, redis):
    unknown_member = await unknown_answer(harness, OWNER)
    unknown_stranger = await unknown_answer(harness, STRANGER)
    for text in ("/metrics", "/metrics 30d", "/vendor", "/sync", "/sync full", "/audit", "/audit action:ledger"):
        await harness.send(OWNER, text)
        assert harness.last_text(OWNER) == unknown_member
        await harness.send(STRANGER, text)
        assert harness.last_text(STRANGER) == unknown_stranger
    assert await job_ids(redis, "sync_catalog_now") == [] and await job_ids(redis, "refresh_vendor_balance") == []
    assert not await AuditEntry.filter(action="catalog.sync_requested").exists()


async def test_forged_insight_buttons_from_a_non_admin_change_nothing(harness, admin, agent, redis):
    await harness.send(OWNER, "/menu")
    for data in (MetricsCb(action="show", period="7d").pack(), MetricsCb(action="chart", period="7d").pack(),
                 VendorCb(action="refresh").pack(), SyncCb(action="start", full=1).pack(),
                 AuditCb(action="page").pack(), AdminCb(area="sync").pack(), AdminCb(area="audit").pack()):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert not harness.api.calls_to("sendPhoto")
    assert await job_ids(redis, "sync_catalog_now") == [] and await job_ids(redis, "refresh_vendor_balance") == []
    assert not await AuditEntry.filter(action="catalog.sync_requested").exists()


async def test_the_admin_menus_buttons_of_these_areas_all_answer(harness, admin):
    await harness.send(ADMIN_ID, "/admin")
    menu_text, menu = harness.last_text(ADMIN_ID), [data for _, data in harness.buttons(ADMIN_ID)]
    for area in ("discount", "cardlist", "metrics", "vendor", "sync", "audit"):
        assert AdminCb(area=area).pack() in menu, area
        await harness.send(ADMIN_ID, "/admin")
        await harness.press(ADMIN_ID, AdminCb(area=area).pack())
        assert harness.last_text(ADMIN_ID) != menu_text, area  # the menu message now shows the area
        assert not any("no longer valid" in toast for toast in harness.toasts()), area


async def test_the_workers_edit_helper_says_when_the_message_is_gone(harness, admin):
    notifier = AiogramNotifier(harness.bot)
    await harness.send(ADMIN_ID, "/sync everything")
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    assert await notifier.edit_text(chat_id=ADMIN_ID, message_id=message_id, text="edited")
    assert harness.last_text(ADMIN_ID) == "edited"
    assert await notifier.edit_text(chat_id=ADMIN_ID, message_id=message_id, text="edited")  # not modified: done
    assert not await notifier.edit_text(chat_id=ADMIN_ID, message_id=message_id + 999, text="lost")
