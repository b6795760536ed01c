"""Every admin alert carries a button to the admin view where the problem is looked at: new applications
→ /pending, vendor balance low, vendor cost drift and vendor refusals → /vendor, stuck orders → /vendor
(its stuck-orders part), an invariant violation → /audit. The button's data is the admin menu's own
(`AdminCb`), and the notifier renders it with its text in the admin's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bot.flows.admin.common import AREAS, AdminCb
from core.access.actor import Actor
from core.catalog import cardlists
from core.config import Settings
from core.db import atomic
from core.notifications.models import Notification
from core.orders import service as orders
from core.orders.models import Order
from core.parties import service as parties
from core.parties.models import PartyKind
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product
from tests.support.telegram_api import running_telegram_api
from tests.support.vendor import MAGIC_RANGE_PRODUCT

pytestmark = pytest.mark.usefixtures("db")

ADMIN_CHAT = 7501
VENDOR = [{"text_key": "button.open_vendor", "data": "adm:vendor"}]
STUCK = [{"text_key": "button.open_stuck_orders", "data": "adm:vendor"}]
AUDIT = [{"text_key": "button.open_audit", "data": "adm:audit"}]
PENDING = [{"text_key": "button.open_applications", "data": "adm:pending"}]


@pytest.fixture(autouse=True)
async def an_admin(db):
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=ADMIN_CHAT)


async def _alerts(message_key: str) -> list[Notification]:
    return list(await Notification.filter(telegram_user_id=ADMIN_CHAT, event_type=message_key))


def _buttons(rows: list[Notification]) -> list:
    assert rows, "no alert was written"
    return [row.payload["buttons"] for row in rows]


async def _open_order(party) -> object:
    async with atomic():
        created = await orders.create_order(actor=Actor.admin(label="test"), party_id=party.id,
                                            product_id=MAGIC_RANGE_PRODUCT, face_value=Decimal(20), quantity=1,
                                            reference=uuid.uuid4().hex)
    return created.order


@pytest.fixture
async def shop():
    await make_product(MAGIC_RANGE_PRODUCT, face=("1", "1000"), vendor_discount="0.10", brand_name="Magic")
    agent = await make_party(PartyKind.AGENT, funds=1_000_00, name="Agent")
    async with atomic():
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.AGENT, actor=ADMIN)
        card_list = await cardlists.default_agent_list(actor=ADMIN)
        await cardlists.put_item(card_list=card_list, product_id=MAGIC_RANGE_PRODUCT, actor=ADMIN,
                                 min_face="1", max_face="1000")
    return agent


async def test_a_new_application_opens_the_pending_list():
    async with atomic():
        await parties.apply_as_agent(telegram_user_id=7590, display_name="Applicant")
    assert _buttons(await _alerts("admin.new_application")) == [PENDING]


async def test_vendor_balance_low_opens_the_vendor_view(redis):
    from jobs import periodic

    class LowVendor:
        async def get_accounts(self):
            return [SimpleNamespace(id=1, is_active=True, balance=Decimal(5), currency="USD")]

    await periodic.check_vendor_balance({"redis": redis, "vendor": LowVendor()})
    assert _buttons(await _alerts("admin.vendor_balance_low")) == [VENDOR]


async def test_an_invariant_violation_opens_the_audit_log(redis, monkeypatch):
    from jobs import periodic

    async def broken_ledger(*, actor):
        return SimpleNamespace(skipped=False, violations=["account 7: balance 5 != sum of entries 3"])

    monkeypatch.setattr(periodic, "run_check", broken_ledger)
    await periodic.check_invariants({"redis": redis})
    assert _buttons(await _alerts("admin.invariant_violations")) == [AUDIT]


async def test_stuck_orders_open_the_vendor_views_stuck_orders(shop):
    from core.orders.attention import flag_for_attention, flag_overdue_orders

    flagged, overdue = await _open_order(shop), await _open_order(shop)
    async with atomic():
        order = await Order.filter(id=flagged.id).select_for_update().get()
        await flag_for_attention(order, reason="the vendor lost it")
    assert _buttons(await _alerts("admin.order_attention")) == [STUCK]
    async with atomic():
        count, _ = await flag_overdue_orders(older_than=timedelta(0))
    assert count == 1 and overdue.id
    assert _buttons(await _alerts("admin.orders_overdue")) == [STUCK]


async def test_vendor_cost_drift_and_refusals_open_the_vendor_view():
    from core.orders.pipeline import _alert_vendor_problem
    from core.orders.settle import VendorCost, _alert_vendor_cost
    from core.orders.vendor_charges import (
        ChargeDrift,
        ChargeReconciliation,
        alert_drift,
    )

    now = datetime.now(UTC)
    async with atomic():
        await _alert_vendor_cost(SimpleNamespace(id=uuid.uuid4(), currency="USD"),
                                 VendorCost(booked=9_10, quoted=9_00, source="vendor", charge=None))
        await alert_drift(ChargeReconciliation(start=now - timedelta(days=1), end=now, drifts=[
            ChargeDrift(request_id="r-1", order_id=None, currency="USD", at_vendor=Decimal("9.10"), ours=Decimal(9))]))
        await _alert_vendor_problem(("auth", "credentials refused"), uuid.uuid4(), RuntimeError("401"))
    for key in ("admin.vendor_cost_difference", "admin.vendor_drift", "admin.vendor_config"):
        assert _buttons(await _alerts(key)) == [VENDOR], key


async def test_every_alert_button_is_an_admin_menu_area_and_renders_in_the_admins_language():
    from bot.notifier import make_notifier

    for buttons in (VENDOR, STUCK, AUDIT, PENDING):
        assert AdminCb.unpack(buttons[0]["data"]).area in AREAS
    async with running_telegram_api() as api:
        notifier = make_notifier(Settings(**api.env()))
        try:
            await notifier.send(telegram_user_id=ADMIN_CHAT, message_key="admin.vendor_balance_low",
                                params={"accounts": "USD 5"}, buttons=VENDOR)
            await notifier.send(telegram_user_id=ADMIN_CHAT, message_key="admin.invariant_violations",
                                params={"count": 1, "first": "x"}, buttons=AUDIT)
        finally:
            await notifier.aclose()
        markups = [m["reply_markup"]["inline_keyboard"] for m in api.sent_messages(ADMIN_CHAT)]
    assert markups == [[[{"text": "Open vendor status", "callback_data": "adm:vendor"}]],
                       [[{"text": "Open the audit log", "callback_data": "adm:audit"}]]]
