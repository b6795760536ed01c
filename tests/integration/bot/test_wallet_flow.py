"""/wallet through the real dispatcher: the figures, the last lines with what each was for, paging back
through the statement, the CSV document, in the member's language; viewers read it, strangers do not."""

from __future__ import annotations

import csv
import io

import pytest

from bot.i18n import available_languages, has_message
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.models import TransferKind
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party

pytestmark = pytest.mark.usefixtures("db")

OWNER, VIEWER, ARABIC = 7101, 7102, 7103


async def _allocate(agent, child, amount: int, key: str) -> None:
    async with atomic():
        await ledger.allocate(actor=ADMIN, parent_id=agent.id, child_id=child.id, amount=amount, idempotency_key=key)


@pytest.fixture
async def agent():
    agent = await make_party(PartyKind.AGENT, name="Top Agent", funds=100_00)
    sara = await make_party(PartyKind.SUBAGENT, parent=agent, name="Sara")
    await _allocate(agent, sara, 30_00, "w-1")
    await make_member(agent, telegram_user_id=OWNER)
    return agent


async def test_the_wallet_shows_every_figure_and_what_each_last_line_was_for(harness, agent):
    await harness.send(OWNER, "/wallet")
    text = harness.last_text(OWNER)
    assert text.startswith("💰 Top Agent — wallet")
    assert "Balance: 70.00 USD" in text and "held for orders in progress: 0.00 USD" in text
    assert "available: 70.00 USD" in text and "Credit limit: 0.00 USD" in text
    assert "Commission earned, paid into the wallet monthly: 0.00 USD" in text  # an agent may have children
    assert "−30.00 USD · Sent to Sara" in text and "+100.00 USD · Top-up from Steller" in text
    assert text.index("Sent to Sara") < text.index("Top-up")  # newest first
    labels = [label for label, _ in harness.buttons(OWNER)]
    assert labels == ["📄 Statement (CSV)", "‹ Back"]  # two lines: nothing more to page to


async def test_a_credit_limit_and_an_adjustments_reason_are_shown(harness, agent):
    async with atomic():
        await ledger.set_credit_limit(actor=ADMIN, party_id=agent.id, limit=50_00)
        await ledger.adjust(actor=ADMIN, party_id=agent.id, amount=-2_50, reason="Bank fee", idempotency_key="adj-1")
    await harness.send(OWNER, "/wallet")
    text = harness.last_text(OWNER)
    assert "Credit limit: 50.00 USD" in text and "spend up to 117.50 USD" in text
    assert "−2.50 USD · Adjustment by Steller: Bank fee" in text
    async with atomic():
        await ledger.adjust(actor=ADMIN, party_id=agent.id, amount=1, reason="x" * 400, idempotency_key="adj-2")
    await harness.send(OWNER, "/wallet")
    assert "Adjustment by Steller: " + "x" * 119 + "…" in harness.last_text(OWNER)  # the CSV keeps it whole


async def test_the_menu_button_opens_the_wallet_in_place_and_back_returns_to_the_menu(harness, agent):
    await harness.send(OWNER, "/menu")
    menu_message = harness.api.sent_messages(OWNER)[-1]["message_id"]
    await harness.press(OWNER, harness.button(OWNER, "Wallet"))
    assert harness.api.sent_messages(OWNER)[-1]["message_id"] == menu_message
    assert "Balance: 70.00 USD" in harness.last_text(OWNER)
    await harness.press(OWNER, harness.button(OWNER, "Back"))
    assert "what would you like to do" in harness.last_text(OWNER)
    assert len(harness.api.sent_messages(OWNER)) == 1


async def test_more_lines_pages_back_through_the_statement_and_forward_again(harness, agent):
    sara = await make_party(PartyKind.SUBAGENT, parent=agent, name="Omar")
    for i in range(10):
        await _allocate(agent, sara, 1_00, f"page-{i}")  # 12 lines in all
    await harness.send(OWNER, "/wallet")
    assert harness.last_text(OWNER).count("Sent to Omar") == 5  # the last five lines
    await harness.press(OWNER, harness.button(OWNER, "More lines"))
    assert harness.last_text(OWNER).startswith("🧾 Transactions 3–12 of 12:")
    assert [label for label, _ in harness.buttons(OWNER)] == ["Older ›", "‹ Wallet"]
    await harness.press(OWNER, harness.button(OWNER, "Older"))
    page = harness.last_text(OWNER)
    assert page.startswith("🧾 Transactions 1–2 of 12:") and "Top-up from Steller" in page and "Sent to Sara" in page
    assert [label for label, _ in harness.buttons(OWNER)] == ["‹ Newer", "‹ Wallet"]
    await harness.press(OWNER, harness.button(OWNER, "Newer"))
    assert harness.last_text(OWNER).startswith("🧾 Transactions 3–12 of 12:")
    await harness.press(OWNER, harness.button(OWNER, "Wallet"))
    assert harness.last_text(OWNER).startswith("💰 Top Agent")


async def test_the_statement_arrives_as_a_csv_document_after_an_upload_action(harness, agent):
    await harness.send(OWNER, "/wallet")
    await harness.press(OWNER, harness.button(OWNER, "Statement"))
    [sent] = harness.api.calls_to("sendDocument", chat_id=OWNER)
    upload = sent.files["document"]
    assert upload.filename.startswith(f"steller-statement-{agent.id}-") and upload.filename.endswith(".csv")
    text = upload.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["kind"], r["amount"], r["counterparty"]) for r in rows] == [
        ("topup", "100.00", ""), ("allocation", "-30.00", "Sara")]
    assert "2 lines" in sent.params["caption"]
    assert (OWNER, "upload_document") in harness.api.chat_actions


async def test_a_viewer_reads_the_wallet_and_its_statement(harness, agent):
    await make_member(agent, role="viewer", telegram_user_id=VIEWER)
    await harness.send(VIEWER, "/wallet")
    assert "Balance: 70.00 USD" in harness.last_text(VIEWER)
    await harness.press(VIEWER, harness.button(VIEWER, "Statement"))
    assert len(harness.api.calls_to("sendDocument", chat_id=VIEWER)) == 1


async def test_a_stranger_has_no_wallet_and_its_buttons_show_nothing(harness, agent):
    await harness.send(7199, "/wallet")
    assert "not a member" in harness.last_text(7199)
    before = len(harness.api.sent_messages(7199))
    await harness.press(7199, "w:csv:0")
    await harness.press(7199, "w:lines:0")
    assert "not a member" in harness.toasts()[-1] and len(harness.toasts()) == 2
    assert len(harness.api.sent_messages(7199)) == before and not harness.api.calls_to("sendDocument")


async def test_an_arabic_member_reads_the_wallet_in_arabic(harness, agent):
    await make_member(agent, role="manager", telegram_user_id=ARABIC)
    from core.parties.models import Member

    await Member.filter(telegram_user_id=ARABIC).update(language="ar")
    await harness.send(ARABIC, "/wallet")
    text = harness.last_text(ARABIC)
    assert "الرصيد" in text and "70.00" in text and "Sara" in text and "مُرسل إلى" in text


def test_every_kind_of_statement_line_reads_in_every_language():
    for language in available_languages():
        for kind in TransferKind:
            keys = ([f"wallet.what.{kind.value}.in", f"wallet.what.{kind.value}.out"]
                    if kind.value in ("allocation", "reclaim") else [f"wallet.what.{kind.value}"])
            assert all(has_message(key, language) for key in keys), (language, kind)
        assert has_message("wallet.what.other", language)
