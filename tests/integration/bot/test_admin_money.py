"""/credit, /adjust and /creditlimit through the real dispatcher: a summary with the party's name, the exact
amount and the balance after, a Confirm that moves money once — and every refusal: non-admins (typed or
forged), junk amounts, missing arguments, a frozen party, an admin whose rights were revoked, a second press."""

from __future__ import annotations

import pytest

from bot.flows.admin.callbacks import ConfirmCb, PartyCb
from bot.flows.admin.common import AdminCb
from core.access.actor import Actor
from core.audit.models import AuditEntry
from core.config import reset_settings_cache
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.models import Operation, TransferKind
from core.notifications.models import Notification
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, balance, make_member, make_party

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, STRANGER = 7001, 7101, 7199
OTHER_ADMIN = Actor.admin(label="other-admin", telegram_user_id=1)


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
async def shop():
    party = await make_party(PartyKind.AGENT, name="Top Agent", funds=40_00)
    await make_member(party, telegram_user_id=OWNER)
    return party


def confirm_data(harness, user: int = ADMIN_ID) -> str:
    return next(data for _, data in harness.buttons(user) if data.startswith("acf:") and ":ok:" in data)


async def operations(kind: TransferKind) -> int:
    return await Operation.filter(kind=kind).count()


# --- /credit -----------------------------------------------------------------------------------


async def test_credit_shows_name_amount_and_balance_after_and_credits_once(harness, admin, shop, redis):
    await harness.send(ADMIN_ID, '/credit "Top Agent" 150.50 BANK-7731')
    summary = harness.last_text(ADMIN_ID)
    assert f"Credit Top Agent (#{shop.id}, agent)" in summary
    assert "Amount: 150.50 USD" in summary and "External reference: BANK-7731" in summary
    assert "Available: 40.00 USD → 190.50 USD" in summary
    assert await balance(shop.id) == 40_00  # nothing moves before Confirm
    confirm = confirm_data(harness)
    update = await harness.press(ADMIN_ID, confirm)
    assert await balance(shop.id) == 190_50
    assert "150.50 USD credited to Top Agent" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)  # the same Confirm again: nothing more
    assert await balance(shop.id) == 190_50
    assert "already used or has expired" in harness.toasts()[-1]
    [told] = await Notification.filter(telegram_user_id=OWNER)
    assert told.event_type == "wallet.credited.topup"
    assert await redis.exists(f"arq:job:deliver_notification:{told.id}:0")  # enqueued after commit
    entry = await AuditEntry.filter(action="ledger.topup", object_id=str(shop.id)).order_by("-id").first()
    assert entry.after["reference"] == "BANK-7731" and entry.actor == f"tg:{ADMIN_ID}"
    assert entry.request_id == f"tg:{ADMIN_ID}:{update['update_id']}"


async def test_credit_by_id_with_a_reference_used_before_moves_nothing_again(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/credit {shop.id} 10 REF-1")
    await harness.press(ADMIN_ID, confirm_data(harness))
    await harness.send(ADMIN_ID, f"/credit #{shop.id} 10 REF-1")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert "already credited" in harness.last_text(ADMIN_ID) and "nothing new moved" in harness.last_text(ADMIN_ID)
    assert await balance(shop.id) == 50_00
    assert await operations(TransferKind.TOPUP) == 2  # the seed and REF-1


async def test_credit_from_the_menu_asks_party_amount_and_reference(harness, admin, shop):
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="credit").pack())
    assert "type the party's id" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "Nobody Here")
    assert "No party has the id or the name “Nobody Here”" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "top agent")  # the exact name in another case still finds it
    assert "Credit Top Agent" in harness.last_text(ADMIN_ID) and "Available now: 40.00 USD" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "twelve")
    assert "That is not an amount" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "12,5")  # the question stays; a comma is a decimal mark
    assert "external reference" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "RCPT 55")
    assert "Available: 40.00 USD → 52.50 USD" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert await balance(shop.id) == 52_50


async def test_credit_from_the_party_card_asks_only_the_amount_and_reference(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/party {shop.id}")
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Credit"))
    await harness.send(ADMIN_ID, "5")
    await harness.send(ADMIN_ID, "CARD-1")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert await balance(shop.id) == 45_00


async def test_junk_amounts_and_missing_arguments_move_nothing(harness, admin, shop):
    for text in ("/credit 'Top Agent' 12.345 R", "/credit 'Top Agent' -5 R", "/credit 'Top Agent' abc R"):
        await harness.send(ADMIN_ID, text)
        assert "That is not an amount" in harness.last_text(ADMIN_ID), text
    await harness.send(ADMIN_ID, "/credit 'Top Agent' 12")
    assert harness.last_text(ADMIN_ID).startswith("Usage: /credit")
    await harness.send(ADMIN_ID, '/credit "Top Agent 12 R')  # an unclosed quote
    assert harness.last_text(ADMIN_ID).startswith("Usage: /credit")
    await harness.send(ADMIN_ID, "/credit 'Top Agent' 12 " + "x" * 151)
    assert "1 to 150 characters" in harness.last_text(ADMIN_ID)
    assert await operations(TransferKind.TOPUP) == 1 and await balance(shop.id) == 40_00


async def test_a_name_two_parties_share_is_refused_with_their_ids(harness, admin):
    first = await make_party(PartyKind.AGENT, name="Twin")
    second = await make_party(PartyKind.AGENT, name="Twin")
    await harness.send(ADMIN_ID, "/credit Twin 5 R-1")
    assert f"#{first.id}, #{second.id}" in harness.last_text(ADMIN_ID)


async def test_a_frozen_party_is_not_credited_and_the_confirm_works_after_unfreezing(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/credit {shop.id} 10 FRZ-1")
    confirm = confirm_data(harness)
    async with atomic():
        await parties.freeze(actor=ADMIN, party_id=shop.id)
    await harness.press(ADMIN_ID, confirm)
    assert "not active" in harness.toasts()[-1]
    await harness.send(ADMIN_ID, f"/credit {shop.id} 10 FRZ-2")  # a new summary warns before Confirm
    assert "This account is ❄️ frozen: a top-up will be refused" in harness.last_text(ADMIN_ID)
    assert await balance(shop.id) == 40_00 and await operations(TransferKind.TOPUP) == 1
    async with atomic():
        await parties.unfreeze(actor=ADMIN, party_id=shop.id)
    await harness.press(ADMIN_ID, confirm)  # the refusal gave the confirmation back
    assert await balance(shop.id) == 50_00


# --- /adjust -----------------------------------------------------------------------------------


async def test_adjust_takes_a_signed_amount_and_a_reason_and_moves_once(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/adjust {shop.id} -12.50 duplicate order refund")
    summary = harness.last_text(ADMIN_ID)
    assert "Amount: -12.50 USD" in summary and "Reason: duplicate order refund" in summary
    assert "Available: 40.00 USD → 27.50 USD" in summary
    confirm = confirm_data(harness)
    await harness.press(ADMIN_ID, confirm)
    await harness.press(ADMIN_ID, confirm)
    assert await balance(shop.id) == 27_50 and await operations(TransferKind.ADJUSTMENT) == 1
    op = await Operation.get(kind=TransferKind.ADJUSTMENT)
    assert op.idempotency_key == f"adjustment:{ConfirmCb.unpack(confirm).token}"
    await harness.send(ADMIN_ID, f"/adjust {shop.id} +2 goodwill")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert await balance(shop.id) == 29_50


async def test_adjust_without_a_sign_is_not_an_amount_and_guided_adjust_works(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/adjust {shop.id} 5 reason")
    assert "That is not an amount" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/adjust")
    await harness.send(ADMIN_ID, str(shop.id))
    assert "+20 adds" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "−3")  # a typographic minus
    await harness.send(ADMIN_ID, "fee")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert await balance(shop.id) == 37_00


async def test_cancel_on_the_summary_moves_nothing_and_the_token_is_gone(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/adjust {shop.id} +5 oops")
    confirm = confirm_data(harness)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Cancel"))
    assert "Nothing was changed" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert await balance(shop.id) == 40_00


# --- /creditlimit ------------------------------------------------------------------------------


async def test_creditlimit_is_set_after_confirm_and_zero_takes_it_away(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/creditlimit {shop.id} 500")
    summary = harness.last_text(ADMIN_ID)
    assert "Limit: 0.00 USD → 500.00 USD" in summary and "up to 540.00 USD" in summary
    confirm = confirm_data(harness)
    await harness.press(ADMIN_ID, confirm)
    assert (await ledger.read_wallet(party_id=shop.id)).credit_limit == 500_00
    await harness.press(ADMIN_ID, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="creditlimit").pack())
    await harness.send(ADMIN_ID, "Top Agent")
    await harness.send(ADMIN_ID, "0")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert (await ledger.read_wallet(party_id=shop.id)).credit_limit == 0
    assert await AuditEntry.filter(action="ledger.credit_limit").count() == 2


async def test_creditlimit_below_the_credit_in_use_is_refused(harness, admin, shop):
    async with atomic():
        await ledger.set_credit_limit(actor=ADMIN, party_id=shop.id, limit=100_00)
        await ledger.adjust(actor=ADMIN, party_id=shop.id, amount=-90_00, reason="seed", idempotency_key="s")
    await harness.send(ADMIN_ID, f"/creditlimit {shop.id} 10")
    await harness.press(ADMIN_ID, confirm_data(harness))
    assert "already uses more credit" in harness.toasts()[-1]
    assert (await ledger.read_wallet(party_id=shop.id)).credit_limit == 100_00


# --- Who may --------------------------------------------------------------------------------------


async def test_non_admins_get_the_unknown_command_answer_and_nothing_moves(harness, shop):
    await harness.send(OWNER, "/nonsense")
    unknown_member = harness.last_text(OWNER)
    await harness.send(STRANGER, "/nonsense")
    unknown_stranger = harness.last_text(STRANGER)
    for text in (f"/credit {shop.id} 10 R-9", f"/adjust {shop.id} +10 x", f"/creditlimit {shop.id} 10", "/credit"):
        await harness.send(OWNER, text)
        assert harness.last_text(OWNER) == unknown_member
        await harness.send(STRANGER, text)
        assert harness.last_text(STRANGER) == unknown_stranger
    assert await balance(shop.id) == 40_00 and await Operation.all().count() == 1


async def test_an_admins_confirmation_pressed_by_a_non_admin_changes_nothing(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/credit {shop.id} 10 R-FORGED")
    confirm = confirm_data(harness)
    await harness.send(OWNER, "/menu")
    for data in (confirm, PartyCb(action="credit", party=shop.id).pack(), AdminCb(area="credit").pack()):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert await balance(shop.id) == 40_00
    await harness.press(ADMIN_ID, confirm)  # the admin's own confirmation still works
    assert await balance(shop.id) == 50_00


async def test_an_admin_whose_rights_were_revoked_cannot_confirm(harness, admin, shop):
    await harness.send(ADMIN_ID, f"/credit {shop.id} 10 R-REVOKED")
    confirm = confirm_data(harness)
    async with atomic():
        await parties.revoke_admin(actor=OTHER_ADMIN, telegram_user_id=ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert "no longer valid" in harness.toasts()[-1]
    assert await balance(shop.id) == 40_00


async def test_an_admin_from_the_environment_list_may_credit(harness, shop, monkeypatch):
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "7002")
    reset_settings_cache()
    try:
        await harness.send(7002, f"/credit {shop.id} 1 ENV-1")
        await harness.press(7002, confirm_data(harness, 7002))
        assert await balance(shop.id) == 41_00
    finally:
        monkeypatch.delenv("ADMIN_TELEGRAM_IDS")
        reset_settings_cache()
