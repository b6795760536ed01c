"""Test orders go to a simulator, never to Bamboo — also when real Bamboo credentials are set."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.access import api_keys
from core.access.actor import Actor
from core.db import atomic
from core.ledger.invariants import check_ledger
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from core.parties.models import PartyKind
from core.pricing import service as pricing
from jobs.sandbox import sandbox_vendor, vendor_for
from tests.factories import ADMIN, make_party, make_product
from tests.support.vendor import drive

pytestmark = pytest.mark.usefixtures("db")

BAMBOO_ONLY_PRODUCT = 987_654_321  # a real Bamboo id: the simulator's own catalog lacks it


async def test_with_real_credentials_the_worker_places_test_orders_at_an_in_process_simulator(redis):
    await make_product(BAMBOO_ONLY_PRODUCT, face=("1", "500"), vendor_discount="0.05")
    partner = await make_party(PartyKind.PARTNER)
    async with atomic():
        await pricing.set_discount(rate="0.0200", party_kind=PartyKind.PARTNER, actor=ADMIN)
        key = await api_keys.create_key(actor=ADMIN, party_id=partner.id, livemode=False)
        actor = Actor.api_key(key_id=key.key.id, party_id=partner.id, prefix=key.key.prefix, livemode=False)
        order = (await orders.create_order(actor=actor, party_id=partner.id, product_id=BAMBOO_ONLY_PRODUCT,
                                           face_value=Decimal("25.00"), quantity=2)).order
    live_bamboo = object()  # stands for the real client: touching it would fail the test
    production = SimpleNamespace(sandbox_bamboo_base_url=None, uses_simulator=False)
    sandbox = sandbox_vendor(production, live_vendor=live_bamboo, redis=redis)
    try:
        assert sandbox is not live_bamboo and sandbox.base_url == "http://sandbox-simulator"
        assert vendor_for({"vendor": live_bamboo, "sandbox_vendor": sandbox}, livemode=False) is sandbox
        assert vendor_for({"vendor": live_bamboo, "sandbox_vendor": sandbox}, livemode=True) is live_bamboo
        await drive(order.id, sandbox)
    finally:
        await sandbox.aclose()
    order = await Order.get(id=order.id)
    assert (order.status, order.cards_delivered) == (OrderStatus.COMPLETED, 2)
    assert await check_ledger() == []


def test_a_worker_without_a_sandbox_vendor_never_sends_a_test_order_to_bamboo(monkeypatch):
    from core import config

    real = config.get_settings()
    monkeypatch.setattr(config, "get_settings", lambda: real.model_copy(update={"uses_simulator": False}))
    with pytest.raises(RuntimeError):
        vendor_for({"vendor": object()}, livemode=False)
