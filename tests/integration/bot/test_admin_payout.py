"""/payout through the real dispatcher: a preview of the accrued commission, Confirm pays each active party
once and shows the total, a second press pays nothing more, a frozen party keeps its commission — and a
non-admin, typed or with a forged button, pays nothing."""

from __future__ import annotations

import pytest

from bot.flows.admin.callbacks import ConfirmCb
from bot.flows.admin.common import AdminCb
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.models import AccountKind, Operation, TransferKind
from core.ledger.service import Split
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, STRANGER = 7001, 7101, 7199


@pytest.fixture(autouse=True)
def roomy_throttle(monkeypatch):
    """Admin journeys press many buttons; throttling has its own tests."""
    monkeypatch.setenv("BOT_THROTTLE_UPDATES", "100")


@pytest.fixture
async def admin():
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=ADMIN_ID)
    return ADMIN_ID


async def earn(agent, amount: int) -> None:
    """`agent` earns `amount` of commission on a 10.00 order of a sub-agent of its own."""
    sub = await make_party(PartyKind.SUBAGENT, parent=agent)
    key = f"earn-{agent.id}-{await Operation.all().count()}"
    vendor = await system_account(AccountKind.VENDOR, "USD")
    commission = await party_account(agent.id, AccountKind.COMMISSION, "USD")
    async with atomic():
        await ledger.allocate(parent_id=agent.id, child_id=sub.id, amount=10_00, actor=ADMIN, idempotency_key=key)
        h = await ledger.hold(party_id=sub.id, amount=10_00, reference=key, actor=ADMIN, idempotency_key=key)
        await ledger.capture(hold_id=h.id, splits=[Split(vendor.id, 10_00 - amount),
                                                   Split(commission.id, amount, TransferKind.COMMISSION_ACCRUAL)],
                             actor=ADMIN, idempotency_key=key)


@pytest.fixture
async def earners():
    first = await make_party(PartyKind.AGENT, name="First", funds=50_00)
    second = await make_party(PartyKind.AGENT, name="Second", funds=50_00)
    await earn(first, 1_50)
    await earn(second, 2_25)
    await make_member(first, telegram_user_id=OWNER)
    return first, second


async def payouts() -> int:
    return await Operation.filter(kind=TransferKind.COMMISSION_PAYOUT).count()


async def test_the_preview_lists_the_accrued_commission_and_confirm_pays_it_once(harness, admin, earners, redis):
    first, second = earners
    await harness.send(ADMIN_ID, "/payout")
    text = harness.last_text(ADMIN_ID)
    assert text.startswith("🏆 Commission accrued by 2 accounts:")
    assert f"• First #{first.id}: 1.50 USD" in text and f"• Second #{second.id}: 2.25 USD" in text
    assert "Pay 3.75 USD to 2 accounts now?" in text
    assert await payouts() == 0
    confirm = harness.button(ADMIN_ID, "Pay now")
    await harness.press(ADMIN_ID, confirm)
    assert "Paid 3.75 USD to 2 accounts" in harness.last_text(ADMIN_ID)
    assert harness.api.calls_to("sendChatAction", chat_id=ADMIN_ID)
    assert (await ledger.read_wallet(party_id=first.id)).commission == 0
    assert (await ledger.read_wallet(party_id=first.id)).available == 50_00 - 10_00 + 1_50
    [told] = await Notification.filter(telegram_user_id=OWNER, event_type="wallet.credited.commission")
    assert await redis.exists(f"arq:job:deliver_notification:{told.id}:0")  # enqueued after commit
    await harness.press(ADMIN_ID, confirm)  # a second press pays nothing more
    assert "already used or has expired" in harness.toasts()[-1]
    assert await payouts() == 2
    await harness.send(ADMIN_ID, "/payout")
    assert "No commission is waiting to be paid" in harness.last_text(ADMIN_ID)


async def test_a_frozen_party_keeps_its_commission(harness, admin, earners):
    _first, second = earners
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=second.id)
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="payout").pack())
    text = harness.last_text(ADMIN_ID)
    assert "2.25 USD — ❄️ frozen, not paid now" in text and "Pay 1.50 USD to one account now?" in text
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Pay now"))
    assert "Paid 1.50 USD to one account" in harness.last_text(ADMIN_ID)
    assert (await ledger.read_wallet(party_id=second.id)).commission == 2_25


async def test_a_party_frozen_after_the_preview_is_skipped_and_said_so(harness, admin, earners):
    _, second = earners
    await harness.send(ADMIN_ID, "/payout")
    confirm = harness.button(ADMIN_ID, "Pay now")
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=second.id)
    await harness.press(ADMIN_ID, confirm)
    text = harness.last_text(ADMIN_ID)
    assert "Paid 1.50 USD to one account" in text and "One account was not active and kept its commission" in text


async def test_cancel_pays_nothing(harness, admin, earners):
    await harness.send(ADMIN_ID, "/payout")
    confirm = harness.button(ADMIN_ID, "Pay now")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Cancel"))
    await harness.press(ADMIN_ID, confirm)
    assert await payouts() == 0


async def test_non_admins_typing_or_forging_a_payout_pay_nothing(harness, admin, earners):
    await harness.send(ADMIN_ID, "/payout")
    confirm = harness.button(ADMIN_ID, "Pay now")
    await harness.send(OWNER, "/nonsense")
    unknown = harness.last_text(OWNER)
    await harness.send(OWNER, "/payout")
    assert harness.last_text(OWNER) == unknown
    for data in (confirm, ConfirmCb(kind="payout", action="ok", token="abcdefabcdef").pack(),
                 AdminCb(area="payout").pack()):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert await payouts() == 0
