"""/admins through the real dispatcher, and the core's admin list / grant / revoke: environment admins
marked and never revocable here, grants and revocations after a confirmation that works once, audited
with the update, the person told and their command menu refreshed; and the refusals (yourself, an
environment admin, a non-admin, forged presses)."""

from __future__ import annotations

import pytest

from bot.flows.admin.common import AdminCb
from bot.flows.admin_admins.router import AdminsCb
from core.access.errors import NotAdmin
from core.audit.models import AuditEntry
from core.config import reset_settings_cache
from core.db import atomic
from core.notifications.models import Notification
from core.parties import admins
from core.parties import service as parties
from core.parties.models import AdminUser, PartyKind
from tests.factories import ADMIN, make_member, make_party, member_actor

pytestmark = pytest.mark.usefixtures("db")

ENV_ADMIN, GRANTED, NEWCOMER, MEMBER = 7401, 7402, 7403, 7411


@pytest.fixture(autouse=True)
def roomy_throttle(monkeypatch):
    monkeypatch.setenv("BOT_THROTTLE_UPDATES", "100")


@pytest.fixture
async def admins_setup(monkeypatch):
    """ENV_ADMIN from ADMIN_TELEGRAM_IDS; GRANTED granted in the database (and a member of a shop)."""
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(ENV_ADMIN))
    reset_settings_cache()
    shop = await make_party(PartyKind.AGENT, name="Shop")
    await make_member(shop, telegram_user_id=GRANTED)
    await make_member(shop, telegram_user_id=MEMBER, role="manager")
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=GRANTED)
    yield shop
    monkeypatch.delenv("ADMIN_TELEGRAM_IDS", raising=False)
    reset_settings_cache()


async def test_the_list_marks_environment_admins_and_offers_revoke_only_for_others_grants(harness, admins_setup):
    await harness.send(ENV_ADMIN, "/admins")
    text = harness.last_text(ENV_ADMIN)
    assert "Admins (2)" in text
    assert f"Telegram user {ENV_ADMIN} — from ADMIN_TELEGRAM_IDS" in text and "· you" in text
    assert f"user {GRANTED} ({GRANTED}, Shop) — granted by test-admin" in text
    revokes = [data for label, data in harness.buttons(ENV_ADMIN) if "Revoke" in label]
    assert revokes == [AdminsCb(action="revoke", user=GRANTED).pack()]

    await harness.send(GRANTED, "/admins")  # GRANTED sees no Revoke for themselves nor for the environment's
    assert not [label for label, _ in harness.buttons(GRANTED) if "Revoke" in label]


async def test_granting_by_typed_id_after_one_confirmation(harness, admins_setup):
    await harness.send(ENV_ADMIN, "/admin")
    await harness.press(ENV_ADMIN, AdminCb(area="admins").pack())
    await harness.press(ENV_ADMIN, harness.button(ENV_ADMIN, "Make someone an admin"))
    await harness.send(ENV_ADMIN, "@newcomer")
    assert "not a Telegram user id" in harness.last_text(ENV_ADMIN)
    await harness.send(ENV_ADMIN, str(NEWCOMER))
    assert f"Make Telegram user {NEWCOMER} an admin?" in harness.last_text(ENV_ADMIN)
    assert not await AdminUser.filter(telegram_user_id=NEWCOMER).exists()

    confirm = harness.button(ENV_ADMIN, "Make admin")
    update = await harness.press(ENV_ADMIN, confirm)
    assert await AdminUser.filter(telegram_user_id=NEWCOMER, granted_by=f"tg:{ENV_ADMIN}").exists()
    assert f"Telegram user {NEWCOMER} is an admin now" in harness.last_text(ENV_ADMIN)
    [entry] = await AuditEntry.filter(action="admin.grant", object_id=str(NEWCOMER))
    assert entry.request_id == f"tg:{ENV_ADMIN}:{update['update_id']}"
    [told] = await Notification.filter(telegram_user_id=NEWCOMER)
    assert told.event_type == "admins.granted_you"
    commands = harness.api.commands_for({"type": "chat", "chat_id": NEWCOMER})
    assert "admin" in {c["command"] for c in commands}

    await harness.press(ENV_ADMIN, confirm)  # a second press grants nothing more
    assert "already used" in harness.toasts()[-1]
    assert await AuditEntry.filter(action="admin.grant", object_id=str(NEWCOMER)).count() == 1


async def test_the_grant_shortcut_and_an_admin_already(harness, admins_setup):
    await harness.send(ENV_ADMIN, f"/grant_admin {GRANTED}")
    assert "is an admin already" in harness.last_text(ENV_ADMIN)
    await harness.send(ENV_ADMIN, "/grant_admin twelve")
    assert "Usage: /grant_admin" in harness.last_text(ENV_ADMIN)
    await harness.send(ENV_ADMIN, f"/grant_admin {NEWCOMER}")
    await harness.press(ENV_ADMIN, harness.button(ENV_ADMIN, "Make admin"))
    assert await parties.is_admin(NEWCOMER)


async def test_revoking_a_grant_after_one_confirmation(harness, admins_setup):
    await harness.send(ENV_ADMIN, "/admins")
    await harness.press(ENV_ADMIN, harness.button(ENV_ADMIN, "Revoke"))
    assert f"Revoke the admin rights of user {GRANTED}" in harness.last_text(ENV_ADMIN)
    confirm = harness.button(ENV_ADMIN, "➖ Revoke")
    await harness.press(ENV_ADMIN, confirm)
    assert not await parties.is_admin(GRANTED)
    assert "is no longer an admin" in harness.last_text(ENV_ADMIN)
    assert await AuditEntry.filter(action="admin.revoke", object_id=str(GRANTED)).count() == 1
    assert await Notification.filter(telegram_user_id=GRANTED, event_type="admins.revoked_you").count() == 1
    commands = harness.api.commands_for({"type": "chat", "chat_id": GRANTED})
    assert commands and "admin" not in {c["command"] for c in commands}
    await harness.press(ENV_ADMIN, confirm)
    assert "already used" in harness.toasts()[-1]


async def test_nobody_revokes_themselves_or_an_environment_admin_here(harness, admins_setup):
    await harness.send(GRANTED, f"/revoke_admin {GRANTED}")
    await harness.press(GRANTED, harness.button(GRANTED, "➖ Revoke"))
    assert "cannot revoke your own" in harness.toasts()[-1]
    await harness.send(GRANTED, f"/revoke_admin {ENV_ADMIN}")
    await harness.press(GRANTED, harness.button(GRANTED, "➖ Revoke"))
    assert "ADMIN_TELEGRAM_IDS" in harness.toasts()[-1]
    assert await parties.is_admin(GRANTED) and await parties.is_admin(ENV_ADMIN)
    assert await AuditEntry.filter(action="admin.revoke").count() == 0
    await harness.send(GRANTED, f"/revoke_admin {NEWCOMER}")
    assert "is not an admin" in harness.last_text(GRANTED)


async def test_cancel_leaves_everything_and_voids_the_confirmation(harness, admins_setup):
    await harness.send(ENV_ADMIN, f"/grant_admin {NEWCOMER}")
    confirm = harness.button(ENV_ADMIN, "Make admin")
    await harness.press(ENV_ADMIN, harness.button(ENV_ADMIN, "Cancel"))
    assert "Nothing changed" in harness.last_text(ENV_ADMIN)
    await harness.press(ENV_ADMIN, confirm)
    assert "already used" in harness.toasts()[-1]
    assert not await parties.is_admin(NEWCOMER)


async def test_a_non_admin_gets_the_unknown_command_answer_and_forged_presses_change_nothing(harness,
                                                                                               admins_setup):
    await harness.send(MEMBER, "/nonsense")
    not_understood = harness.last_text(MEMBER)
    for command in ("/admins", f"/grant_admin {MEMBER}", f"/revoke_admin {GRANTED}"):
        await harness.send(MEMBER, command)
        assert harness.last_text(MEMBER) == not_understood
    await harness.send(ENV_ADMIN, f"/grant_admin {MEMBER}")
    confirm = harness.button(ENV_ADMIN, "Make admin")
    message_id = harness.api.sent_messages(ENV_ADMIN)[-1]["message_id"]
    for data in (confirm, AdminsCb(action="revoke", user=GRANTED).pack(), AdminCb(area="admins").pack(),
                 AdminsCb(action="ok", token="guessed").pack()):
        await harness.press(MEMBER, data, message_id=message_id, chat_id=ENV_ADMIN)
        assert "no longer valid" in harness.toasts()[-1]
    assert not await parties.is_admin(MEMBER) and await parties.is_admin(GRANTED)
    assert await AuditEntry.filter(action__startswith="admin.").count() == 1  # the fixture's grant


async def test_the_core_lists_and_changes_admins_for_admins_only(admins_setup):
    member = await member_actor(admins_setup)
    for call in (admins.list_admins(actor=member), admins.known_user(actor=member, telegram_user_id=1)):
        with pytest.raises(NotAdmin):
            await call
    with pytest.raises(NotAdmin):
        async with atomic():
            await admins.grant(actor=member, telegram_user_id=member.telegram_user_id)
    entries = await admins.list_admins(actor=ADMIN)
    assert [(e.telegram_user_id, e.from_environment, e.granted, e.revocable) for e in entries] == [
        (ENV_ADMIN, True, False, False), (GRANTED, False, True, True)]
    async with atomic():
        assert await admins.grant(actor=ADMIN, telegram_user_id=GRANTED) == (False, [])
        assert await admins.revoke(actor=ADMIN, telegram_user_id=NEWCOMER) == (False, [])
