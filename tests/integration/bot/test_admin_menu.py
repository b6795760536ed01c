"""/admin, /pending and /agent_invite through the real dispatcher: the menu, applications approved or
rejected once (the applicant told), invite links for agents and partners — and non-admins, typed or with
forged buttons, getting the answer for anything not understood while nothing changes."""

from __future__ import annotations

import pytest

from bot.flows.admin.callbacks import AdminInviteCb, PendingCb
from bot.flows.admin.common import AREAS, AdminCb
from bot.flows.menu import MenuCb
from core.audit.models import AuditEntry
from core.db import atomic
from core.notifications.models import Notification
from core.parties import invites
from core.parties import service as parties
from core.parties.models import Invite, Member, Party, PartyKind, PartyStatus
from tests.factories import ADMIN, make_member, make_party

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, OWNER, STRANGER = 7001, 7101, 7199
APPLICANTS = (7301, 7302)


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
async def applications():
    async with atomic():
        return [await parties.apply_as_agent(telegram_user_id=tg, display_name=f"Applicant {tg}") for tg in APPLICANTS]


# --- The menu ----------------------------------------------------------------------------------


async def test_the_admin_menu_has_a_button_per_area_and_the_main_menu_leads_there(harness, admin):
    shop = await make_party(PartyKind.AGENT)
    await make_member(shop, telegram_user_id=ADMIN_ID)  # an admin who is also a member
    await harness.send(ADMIN_ID, "/menu")
    await harness.press(ADMIN_ID, MenuCb(area="admin").pack())
    assert "Steller admin" in harness.last_text(ADMIN_ID)
    data = [d for _, d in harness.buttons(ADMIN_ID)]
    assert data[:len(AREAS)] == [AdminCb(area=a).pack() for a in AREAS] and data[-1] == MenuCb(area="home").pack()
    assert len(harness.api.sent_messages(ADMIN_ID)) == 1  # the menu replaced the main menu in place
    await harness.press(ADMIN_ID, AdminCb(area="tree").pack())
    await harness.press(ADMIN_ID, AdminCb(area="menu").pack())
    assert "Steller admin" in harness.last_text(ADMIN_ID)


async def test_non_admins_get_the_unknown_command_answer_for_every_admin_command(harness, applications):
    shop = await make_party(PartyKind.AGENT)
    await make_member(shop, telegram_user_id=OWNER)
    await harness.send(OWNER, "/nonsense")
    unknown_member = harness.last_text(OWNER)
    await harness.send(STRANGER, "/nonsense")
    unknown_stranger = harness.last_text(STRANGER)
    for command in ("/admin", "/pending", "/agent_invite", "/agent_invite partner", "/party 1", "/tree",
                    "/freeze 1", "/unfreeze 1", "/payout", "/credit", "/adjust", "/creditlimit"):
        await harness.send(OWNER, command)
        assert harness.last_text(OWNER) == unknown_member, command
        await harness.send(STRANGER, command)
        assert harness.last_text(STRANGER) == unknown_stranger, command
    assert not await Invite.all().exists()
    assert await Party.filter(status=PartyStatus.PENDING).count() == 2


# --- Applications --------------------------------------------------------------------------------


async def test_the_new_application_alert_button_opens_the_list_and_approving_tells_the_applicant(
        harness, admin, applications, redis):
    first, _second = applications
    await harness.send(ADMIN_ID, "/start")
    await harness.press(ADMIN_ID, "adm:pending")  # the alert's button data (core: apply_as_agent)
    text = harness.last_text(ADMIN_ID)
    assert "2 applications are waiting" in text and f"Applicant 7301 (#{first.id}, agent)" in text
    assert "(Telegram 7302)" in text
    approve = PendingCb(action="approve", party=first.id).pack()
    update = await harness.press(ADMIN_ID, approve)
    assert (await Party.get(id=first.id)).status == PartyStatus.ACTIVE
    text = harness.last_text(ADMIN_ID)
    assert "Applicant 7301 is approved" in text and "One application is waiting" in text
    [told] = await Notification.filter(telegram_user_id=7301)
    assert told.event_type == "party.approved"
    assert await redis.exists(f"arq:job:deliver_notification:{told.id}:0")  # enqueued after commit
    entry = await AuditEntry.get(action="party.status.active", object_id=str(first.id))
    assert entry.request_id == f"tg:{ADMIN_ID}:{update['update_id']}"
    await harness.press(ADMIN_ID, approve)  # a second press: already decided, nothing more
    assert "already decided" in harness.toasts()[-1]
    assert await Notification.filter(telegram_user_id=7301).count() == 1
    assert await AuditEntry.filter(action="party.status.active", object_id=str(first.id)).count() == 1


async def test_rejecting_asks_first_and_its_confirm_works_once(harness, admin, applications):
    first, _ = applications
    await harness.send(ADMIN_ID, "/pending")
    await harness.press(ADMIN_ID, PendingCb(action="reject", party=first.id).pack())
    assert "closed for good" in harness.last_text(ADMIN_ID)
    assert (await Party.get(id=first.id)).status == PartyStatus.PENDING
    confirm = harness.button(ADMIN_ID, "Reject")
    await harness.press(ADMIN_ID, confirm)
    assert (await Party.get(id=first.id)).status == PartyStatus.CLOSED
    assert "Applicant 7301 was rejected" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await Notification.filter(telegram_user_id=7301, event_type="party.rejected").count() == 1
    await harness.press(ADMIN_ID, PendingCb(action="reject", party=first.id).pack())  # decided already
    assert "already decided" in harness.toasts()[-1]


async def test_applications_are_paged(harness, admin):
    async with atomic():
        for tg in range(7400, 7407):
            await parties.apply_as_agent(telegram_user_id=tg, display_name=f"A{tg}")
    await harness.send(ADMIN_ID, "/pending")
    assert "Page 1 of 2" in harness.last_text(ADMIN_ID) and "A7406" not in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Next"))
    assert "Page 2 of 2" in harness.last_text(ADMIN_ID) and "7. A7406" in harness.last_text(ADMIN_ID)


async def test_no_applications_says_so(harness, admin):
    await harness.send(ADMIN_ID, "/pending")
    assert "No applications are waiting" in harness.last_text(ADMIN_ID)


async def test_forged_application_buttons_from_a_non_admin_change_nothing(harness, applications):
    first, _ = applications
    await harness.send(OWNER, "/start")
    for data in (PendingCb(action="approve", party=first.id).pack(), PendingCb(action="reject", party=first.id).pack(),
                 "adm:pending", "acf:reject:ok:abcdefabcdef"):
        await harness.press(OWNER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert (await Party.get(id=first.id)).status == PartyStatus.PENDING
    assert not await Notification.filter(event_type__in=["party.approved", "party.rejected"]).exists()


# --- Invite links --------------------------------------------------------------------------------


async def test_agent_invite_makes_a_single_use_agent_link_that_founds_a_top_level_agent(harness, admin):
    await harness.send(ADMIN_ID, "/agent_invite")
    text = harness.last_text(ADMIN_ID)
    assert "A link for a new agent, for one person" in text
    link = text.rsplit("\n", 1)[-1]
    assert link.startswith("https://t.me/steller_test_bot?start=inv_")
    invite = await Invite.get()
    assert (invite.inviter_id, invite.child_kind, invite.max_uses) == (None, PartyKind.AGENT, 1)
    await harness.send(7501, "/start " + link.split("start=", 1)[1])
    await harness.press(7501, harness.button(7501, "Join"))
    member = await Member.get(telegram_user_id=7501).prefetch_related("party")
    assert (member.party.kind, member.party.parent_id, member.party.status) == (PartyKind.AGENT, None,
                                                                                 PartyStatus.ACTIVE)


async def test_partner_links_and_multi_use_links_from_the_shortcut_and_the_menu(harness, admin):
    await harness.send(ADMIN_ID, "/agent_invite partner 5")
    assert "A link for a new partner, for 5 people" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="invite").pack())
    await harness.press(ADMIN_ID, AdminInviteCb(action="partner").pack())
    kinds = await Invite.all().order_by("id").values_list("child_kind", "max_uses")
    assert kinds == [(PartyKind.PARTNER, 5), (PartyKind.PARTNER, 1)]
    await harness.send(ADMIN_ID, "/agent_invite wholesale")
    assert harness.last_text(ADMIN_ID).startswith("Usage: /agent_invite")
    await harness.send(ADMIN_ID, "/agent_invite 5000")
    assert harness.last_text(ADMIN_ID).startswith("Usage: /agent_invite")
    assert await Invite.all().count() == 2


async def test_open_admin_links_are_listed_and_revoked_after_a_confirmation_once(harness, admin):
    async with atomic():
        created = await invites.create_invite(actor=ADMIN, inviter_party_id=None)
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="invite").pack())
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Open links (1)"))
    assert created.invite.code_hint in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Revoke"))
    confirm = harness.button(ADMIN_ID, "Revoke")
    await harness.press(ADMIN_ID, confirm)
    assert (await Invite.get(id=created.invite.id)).revoked_at is not None
    assert "is revoked" in harness.last_text(ADMIN_ID) and "No admin invite links are open" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, confirm)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await AuditEntry.filter(action="invite.revoke").count() == 1


async def test_forged_invite_buttons_from_a_non_admin_create_and_revoke_nothing(harness):
    async with atomic():
        created = await invites.create_invite(actor=ADMIN, inviter_party_id=None)
    await harness.send(STRANGER, "/start")
    for data in (AdminInviteCb(action="agent").pack(), AdminInviteCb(action="partner").pack(),
                 AdminInviteCb(action="revoke", invite=created.invite.id).pack(), AdminCb(area="invite").pack()):
        await harness.press(STRANGER, data)
        assert "no longer valid" in harness.toasts()[-1]
    assert await Invite.all().count() == 1 and (await Invite.get()).revoked_at is None
