"""Joining and the first minutes, through the real dispatcher: /start, invites, applying, language, help,
and the rules every update follows (error boundary, throttling, forged buttons, one press only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import atomic
from core.notifications.models import Notification
from core.parties import invites
from core.parties.models import Invite, Member, Party, PartyKind, PartyStatus
from tests.factories import ADMIN, make_party, make_member

pytestmark = pytest.mark.usefixtures("db")


async def _invite(inviter, **kwargs) -> invites.CreatedInvite:
    async with atomic():
        return await invites.create_invite(actor=ADMIN, inviter_party_id=inviter.id if inviter else None, **kwargs)


async def test_a_stranger_learns_how_to_join_and_can_apply_once(harness):
    await harness.send(501, "/start")
    assert "invite link" in harness.last_text(501)
    await harness.press(501, harness.button(501, "Apply"))
    confirm = harness.button(501, "Yes, apply")
    await harness.press(501, confirm)
    assert "application" in harness.last_text(501)
    party = await Party.get(members__telegram_user_id=501)
    assert (party.kind, party.status) == (PartyKind.AGENT, PartyStatus.PENDING)
    await harness.press(501, confirm)  # the same confirmation again: nothing more happens
    assert await Party.filter(members__telegram_user_id=501).count() == 1
    assert "already used" in harness.toasts()[-1]


async def test_joining_through_an_agent_invite_makes_a_subagent_and_tells_the_inviter(harness):
    agent = await make_party(PartyKind.AGENT, name="Top Agent")
    await make_member(agent, telegram_user_id=600)
    created = await _invite(agent)
    await harness.send(601, f"/start {created.start_payload}", first_name="Sara")
    assert "Top Agent invites you to join Steller as a sub-agent" in harness.last_text(601)
    await harness.press(601, harness.button(601, "Join"))
    member = await Member.get(telegram_user_id=601).prefetch_related("party")
    assert (member.party.kind, member.party.parent_id, member.party.name) == (PartyKind.SUBAGENT, agent.id, "Sara")
    texts = harness.api.texts(601)
    assert any("Welcome to Sara" in text for text in texts) and "what would you like to do" in texts[-1]
    told = await Notification.filter(telegram_user_id=600).values_list("event_type", flat=True)
    assert told == ["invite.joined.party"]


async def test_an_expired_or_used_invite_gets_a_clear_answer_and_creates_nothing(harness):
    agent = await make_party(PartyKind.AGENT)
    expired = await _invite(agent)
    await Invite.filter(id=expired.invite.id).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    await harness.send(602, f"/start {expired.start_payload}")
    assert "expired" in harness.last_text(602)
    await harness.send(603, "/start inv_notarealcode12345")
    assert "not valid" in harness.last_text(603)
    assert not await Member.filter(telegram_user_id__in=[602, 603]).exists()


async def test_someone_elses_join_button_changes_nothing_and_the_rightful_one_still_works(harness):
    agent = await make_party(PartyKind.AGENT)
    created = await _invite(agent)
    await harness.send(604, f"/start {created.start_payload}")
    join = harness.button(604, "Join")
    # User 605 presses 604's button (forged callback data from another chat).
    message_id = harness.api.sent_messages(604)[-1]["message_id"]
    await harness.press(605, join, message_id=message_id, chat_id=604)
    assert not await Member.filter(telegram_user_id=605).exists()
    assert "already used or has expired" in harness.toasts()[-1]
    await harness.press(604, join)
    assert await Member.filter(telegram_user_id=604).exists()


async def test_menu_language_and_help_follow_the_member(harness):
    agent = await make_party(PartyKind.AGENT, name="Shop")
    await make_member(agent, telegram_user_id=610)
    await harness.send(610, "/start")
    assert harness.last_text(610).startswith("Shop")
    labels = [text for text, _ in harness.buttons(610)]
    assert "👥 Sub-agents" in labels and "✉️ Invite" in labels
    commands = harness.api.commands_for({"type": "chat", "chat_id": 610})
    assert {"order", "subagents", "invite", "report"} <= {c["command"] for c in commands}

    await harness.send(610, "/language")
    await harness.press(610, harness.button(610, "العربية"))
    assert (await Member.get(telegram_user_id=610)).language == "ar"
    assert "ماذا تريد" in harness.last_text(610)
    await harness.send(610, "/help")
    assert "/subagents" in harness.last_text(610) and "الدعم" in harness.last_text(610)


async def test_a_viewer_sees_a_reading_menu(harness):
    agent = await make_party(PartyKind.AGENT)
    await make_member(agent, telegram_user_id=611, role="viewer")
    await harness.send(611, "/menu")
    labels = {text for text, _ in harness.buttons(611)}
    assert "🛒 Order" not in labels and "📦 Orders" in labels and "✉️ Invite" not in labels


async def test_a_forged_button_is_refused_politely_and_every_press_is_answered(harness):
    await make_member(await make_party(), telegram_user_id=612)
    await harness.send(612, "/menu")
    await harness.press(612, "x:forged:data")
    await harness.press(612, "m:nonexistent")
    answered = harness.api.calls_to("answerCallbackQuery")
    assert len(answered) == 2 and all("no longer valid" in (c.params.get("text") or "") for c in answered)


async def test_an_unexpected_error_answers_with_a_reference_and_no_trace(harness, monkeypatch):
    from bot.flows import menu

    async def broken(*args, **kwargs):
        raise RuntimeError("boom /secret/path")

    monkeypatch.setattr(menu, "show_menu", broken)
    await make_member(await make_party(), telegram_user_id=613)
    await harness.send(613, "/menu")
    text = harness.last_text(613)
    assert "reference" in text and "boom" not in text and "Traceback" not in text


async def test_one_user_flooding_is_throttled(harness):
    for _ in range(14):
        await harness.send(614, "/help")
    texts = harness.api.texts(614)
    assert len(texts) == 11 and "Slow down" in texts[-1]  # 10 answered, one notice, then silence


async def test_a_button_under_a_photo_answers_with_a_new_message(harness):
    from aiogram.types import BufferedInputFile

    from bot.flows.menu import MenuCb
    from bot.ui import keyboard

    await make_member(await make_party(name="Photo Shop"), telegram_user_id=615)
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    photo = await harness.bot.send_photo(615, BufferedInputFile(png, "chart.png"),
                                         reply_markup=keyboard([[("Menu", MenuCb(area="home").pack())]]))
    await harness.press(615, MenuCb(area="home").pack(), message_id=photo.message_id)
    assert harness.last_text(615).startswith("Photo Shop")
