"""The sandbox book: test keys move sandbox money only, and the database refuses anything else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise.exceptions import OperationalError, IntegrityError

from core.access import api_keys
from core.access.actor import Actor
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.invariants import check_ledger
from core.ledger.models import Account, AccountKind, Hold
from core.ledger.posting import Leg, apply_legs, claim_operation
from core.ledger.models import TransferKind
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from core.parties.models import PartyKind, PartyStatus
from core.pricing import service as pricing
from tests.factories import ADMIN, make_party, make_product
from tests.support.vendor import MAGIC_RANGE_PRODUCT, drive

pytestmark = pytest.mark.usefixtures("db")


async def _test_key_actor(party) -> Actor:
    async with atomic():
        created = await api_keys.create_key(actor=ADMIN, party_id=party.id, livemode=False, name="sandbox")
    return Actor.api_key(key_id=created.key.id, party_id=party.id, prefix=created.key.prefix, livemode=False)


async def _priced_partner(*, status=PartyStatus.ACTIVE, funds=0):
    product = await make_product(MAGIC_RANGE_PRODUCT, face=("1", "1000"), vendor_discount="0.10")
    partner = await make_party(PartyKind.PARTNER, status=status, funds=funds)
    async with atomic():
        await pricing.set_discount(rate="0.0500", party_kind=PartyKind.PARTNER, actor=ADMIN)
    return partner, product


async def _book_balances(livemode: bool) -> dict[str, int]:
    return {a.code: a.balance for a in await Account.filter(livemode=livemode)}


async def test_the_first_test_key_opens_a_funded_sandbox_wallet_once():
    partner = await make_party(PartyKind.PARTNER, funds=50_00)
    actor = await _test_key_actor(partner)
    await _test_key_actor(partner)  # a second test key funds nothing more
    sandbox = await ledger.wallet_summary(actor=actor, party_id=partner.id)
    live = await ledger.wallet_summary(actor=ADMIN, party_id=partner.id)
    assert (sandbox.available, sandbox.livemode) == (1000_00, False)
    assert (live.available, live.livemode) == (50_00, True)
    wallet = await party_account(partner.id, AccountKind.WALLET, "USD", livemode=False)
    assert wallet.code == f"test:party:{partner.id}:wallet:USD" and wallet.livemode is False
    assert await check_ledger() == []


async def test_a_test_order_holds_and_settles_in_the_sandbox_and_never_touches_live_money(simulator, vendor):
    partner, _ = await _priced_partner(funds=500_00)
    actor = await _test_key_actor(partner)
    live_before = await _book_balances(True)
    async with atomic():
        created = await orders.create_order(actor=actor, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                            face_value=Decimal("20.00"), quantity=2)
    order = created.order
    hold = await Hold.get(id=order.hold_id)
    assert (order.livemode, hold.livemode) == (False, False)
    assert (await ledger.wallet_summary(actor=actor, party_id=partner.id)).held == order.total
    await drive(order.id, vendor)
    order = await Order.get(id=order.id)
    assert order.status == OrderStatus.COMPLETED
    # Every live account is exactly as it was; the sandbox's vendor and revenue took the money.
    assert await _book_balances(True) == live_before
    test_vendor = await system_account(AccountKind.VENDOR, "USD", livemode=False)
    test_revenue = await system_account(AccountKind.REVENUE, "USD", livemode=False)
    assert test_vendor.balance + test_revenue.balance == order.total
    assert (await ledger.wallet_summary(actor=actor, party_id=partner.id)).available == 1000_00 - order.total
    assert await check_ledger() == []


async def test_a_pending_partner_orders_in_the_sandbox_but_not_live(simulator, vendor):
    partner, _ = await _priced_partner(status=PartyStatus.PENDING)
    actor = await _test_key_actor(partner)
    async with atomic():
        created = await orders.create_order(actor=actor, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                            face_value=Decimal("10.00"), quantity=1)
    assert created.order.livemode is False
    live_actor = Actor.api_key(key_id=1, party_id=partner.id, prefix="x", livemode=True)
    from core.access.errors import PartyInactive

    with pytest.raises(PartyInactive):
        async with atomic():
            await orders.create_order(actor=live_actor, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                      face_value=Decimal("10.00"), quantity=1)


async def test_the_sandbox_has_no_credit_and_refuses_an_order_beyond_its_balance():
    partner, _ = await _priced_partner(funds=10_000_00)
    actor = await _test_key_actor(partner)
    from core.orders.errors import OrderInsufficientFunds

    with pytest.raises(OrderInsufficientFunds):
        async with atomic():
            await orders.create_order(actor=actor, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                      face_value=Decimal("600.00"), quantity=2)
    assert await Order.all().count() == 0


async def test_the_database_refuses_a_transfer_between_the_books():
    partner = await make_party(PartyKind.PARTNER, funds=100_00)
    await _test_key_actor(partner)
    live = await party_account(partner.id, AccountKind.WALLET, "USD")
    sandbox = await party_account(partner.id, AccountKind.WALLET, "USD", livemode=False)
    with pytest.raises((OperationalError, IntegrityError)):
        async with atomic():
            posted = await claim_operation(kind=TransferKind.ADJUSTMENT, idempotency_key="cross-book",
                                           fingerprint="x", actor=ADMIN)
            await apply_legs(posted, [Leg(live.id, sandbox.id, 1_00)])
    assert (await Account.get(id=live.id)).balance == 100_00


async def test_the_database_refuses_an_order_whose_hold_is_of_the_other_mode():
    partner, _ = await _priced_partner(funds=500_00)
    actor = await _test_key_actor(partner)
    async with atomic():
        test_order = (await orders.create_order(actor=actor, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                                face_value=Decimal("10.00"), quantity=1)).order
        live_order = (await orders.create_order(actor=ADMIN, party_id=partner.id, product_id=MAGIC_RANGE_PRODUCT,
                                                face_value=Decimal("10.00"), quantity=1)).order
    with pytest.raises((OperationalError, IntegrityError)):
        async with atomic():
            await Order.filter(id=test_order.id).update(hold_id=live_order.hold_id)
    with pytest.raises((OperationalError, IntegrityError)):
        async with atomic():
            await Hold.filter(id=test_order.hold_id).update(livemode=True)
    assert (await Order.get(id=test_order.id)).hold_id != live_order.hold_id


async def test_the_ledger_check_covers_the_sandbox_book_on_its_own():
    partner = await make_party(PartyKind.PARTNER, funds=100_00)
    await _test_key_actor(partner)
    wallet = await party_account(partner.id, AccountKind.WALLET, "USD", livemode=False)
    await Account.filter(id=wallet.id).update(balance=wallet.balance + 1)  # money from nowhere
    found = await check_ledger()
    assert any(v.rule == "sum_zero" and "sandbox book" in v.subject for v in found), found
    assert not any("live book" in v.subject for v in found if v.rule == "sum_zero")
