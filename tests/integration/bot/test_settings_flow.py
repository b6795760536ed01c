"""/settings through the real dispatcher: the party's name and team, Rename (owner only), Remove after a
confirmation (never the last owner), the language shortcut, and the refusals."""

from __future__ import annotations

import pytest

from core.audit.models import AuditEntry
from core.parties.models import Member, MemberStatus, Party, PartyKind, PartyStatus
from tests.factories import make_member, make_party

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def team():
    """"Sara" (owner 900) with a manager (901) and a viewer (902)."""
    party = await make_party(PartyKind.SUBAGENT, parent=await make_party(PartyKind.AGENT), name="Sara")
    owner = await make_member(party, telegram_user_id=900)
    manager = await make_member(party, telegram_user_id=901, role="manager")
    viewer = await make_member(party, telegram_user_id=902, role="viewer")
    return party, owner, manager, viewer


async def test_settings_show_the_name_and_the_team_with_roles(harness, team):
    await harness.send(900, "/settings")
    text = harness.last_text(900)
    assert text.startswith("⚙️ Sara") and "Sub-agent account, active." in text
    assert "user 900 — owner (you)" in text and "user 901 — manager" in text and "user 902 — viewer" in text
    labels = [label for label, _ in harness.buttons(900)]
    assert "✏️ Rename" in labels and "✖ Remove user 902" in labels and "🌐 Language" in labels


async def test_the_owner_renames_the_party_by_typing_a_name(harness, team):
    party, *_ = team
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Rename"))
    assert "Type the new name for “Sara”" in harness.last_text(900)
    await harness.send(900, "  Sara's Gift Shop ")
    assert (await Party.get(id=party.id)).name == "Sara's Gift Shop"
    assert harness.last_text(900).startswith("✅ The account is now called “Sara's Gift Shop”")
    await harness.send(900, "Another name")  # the prompt is over: plain text renames nothing
    assert (await Party.get(id=party.id)).name == "Sara's Gift Shop"


async def test_a_name_over_200_characters_is_refused_and_the_owner_may_type_another(harness, team):
    party, *_ = team
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Rename"))
    await harness.send(900, "x" * 201)
    assert "1 to 200 characters" in harness.last_text(900)
    assert (await Party.get(id=party.id)).name == "Sara"
    await harness.send(900, "Short")
    assert (await Party.get(id=party.id)).name == "Short"


async def test_cancelling_a_rename_keeps_the_name(harness, team):
    party, *_ = team
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Rename"))
    await harness.press(900, harness.button(900, "Cancel"))
    await harness.send(900, "Not a name")
    assert (await Party.get(id=party.id)).name == "Sara"


async def test_a_viewer_sees_the_team_but_cannot_rename(harness, team):
    from bot.flows.settings.router import SettingsCb

    party, *_ = team
    await harness.send(902, "/settings")
    labels = [label for label, _ in harness.buttons(902)]
    assert "user 902 — viewer (you)" in harness.last_text(902)
    assert not any("Rename" in label or "Remove" in label for label in labels)
    await harness.press(902, SettingsCb(action="rename").pack())  # forged: the button is not there
    assert "does not allow" in harness.toasts()[-1]
    await harness.send(902, "Viewer's name")
    assert (await Party.get(id=party.id)).name == "Sara"
    assert not await AuditEntry.filter(action="party.rename").exists()


async def test_a_manager_cannot_remove_anyone(harness, team):
    from bot.flows.settings.router import SettingsCb

    _, _, _, viewer = team
    await harness.send(901, "/settings")
    assert not any("Remove" in label for label, _ in harness.buttons(901))
    await harness.press(901, SettingsCb(action="remove", member_id=viewer.id).pack())
    assert "does not allow" in harness.toasts()[-1]
    assert (await Member.get(id=viewer.id)).status == MemberStatus.ACTIVE


async def test_removing_a_member_asks_first_and_a_second_press_changes_nothing(harness, team):
    _, _, _, viewer = team
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Remove user 902"))
    assert "Remove user 902 (viewer) from Sara?" in harness.last_text(900)
    assert (await Member.get(id=viewer.id)).status == MemberStatus.ACTIVE  # nothing yet
    confirm = harness.button(900, "Yes, remove")
    await harness.press(900, confirm)
    assert harness.last_text(900).startswith("✅ user 902 was removed")
    assert "user 902" not in harness.last_text(900).split("\n", 2)[2]
    assert (await Member.get(id=viewer.id)).status == MemberStatus.REMOVED
    await harness.press(900, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await AuditEntry.filter(action="member.remove").count() == 1
    await harness.send(902, "/settings")  # the removed viewer is a stranger now
    assert "not a member of any party" in harness.last_text(902)
    commands = harness.api.commands_for({"type": "chat", "chat_id": 902})
    assert "settings" not in {c["command"] for c in commands} and "report" not in {c["command"] for c in commands}


async def test_the_last_owner_cannot_be_removed(harness, team):
    _, owner, *_ = team
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Remove user 900"))
    assert "Leave Sara yourself?" in harness.last_text(900)
    await harness.press(900, harness.button(900, "Yes, remove"))
    assert "last owner cannot be removed" in harness.toasts()[-1]
    assert (await Member.get(id=owner.id)).status == MemberStatus.ACTIVE


async def test_an_owner_may_leave_when_another_owner_stays(harness, team):
    party, owner, *_ = team
    await make_member(party, telegram_user_id=903)  # a second owner
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Remove user 900"))
    await harness.press(900, harness.button(900, "Yes, remove"))
    assert "You left Sara" in harness.last_text(900)
    assert (await Member.get(id=owner.id)).status == MemberStatus.REMOVED


async def test_nobody_removes_another_partys_member_with_forged_buttons(harness, team):
    from bot.flows.settings.router import SettingsCb

    _, _, _, viewer = team
    await make_member(await make_party(PartyKind.AGENT, name="Other"), telegram_user_id=910)
    forged = SettingsCb(action="remove", member_id=viewer.id).pack()
    await harness.send(910, "/settings")
    await harness.press(910, forged)
    assert "not yours" in harness.toasts()[-1]
    await harness.send(911, "/start")  # belongs to no party
    await harness.press(911, forged)
    assert "not a member" in harness.toasts()[-1]
    assert (await Member.get(id=viewer.id)).status == MemberStatus.ACTIVE

    # The owner's own confirmation, pressed by someone else, finds nothing under their id.
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Remove user 902"))
    confirm = harness.button(900, "Yes, remove")
    message_id = harness.api.sent_messages(900)[-1]["message_id"]
    await harness.press(910, confirm, message_id=message_id, chat_id=900)
    assert "already used or has expired" in harness.toasts()[-1]
    assert (await Member.get(id=viewer.id)).status == MemberStatus.ACTIVE


async def test_a_frozen_partys_owner_reads_settings_but_cannot_rename(harness):
    from bot.flows.settings.router import SettingsCb

    party = await make_party(PartyKind.AGENT, name="Cold", status=PartyStatus.FROZEN)
    await make_member(party, telegram_user_id=920)
    await harness.send(920, "/settings")
    assert "Agent account, frozen." in harness.last_text(920)
    assert not any("Rename" in label for label, _ in harness.buttons(920))
    await harness.press(920, SettingsCb(action="rename").pack())
    assert "not active right now" in harness.toasts()[-1]


async def test_the_language_shortcut_opens_the_language_choice(harness, team):
    await harness.send(900, "/settings")
    await harness.press(900, harness.button(900, "Language"))
    assert "Choose your language" in harness.last_text(900)
    await harness.press(900, harness.button(900, "العربية"))
    await harness.send(900, "/settings")
    assert "حساب وكيل فرعي" in harness.last_text(900).replace("\u2068", "").replace("\u2069", "")
