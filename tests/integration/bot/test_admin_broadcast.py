"""/broadcast through the real dispatcher: compose, a preview exactly as agents get it with the number of
recipients, Send once, the job queued; and the refusals — a non-admin (the unknown-command answer),
forged presses, a second or stale Send, text that cannot be sent."""

from __future__ import annotations

import pytest
from arq.constants import default_queue_name

from bot.flows.admin.common import AdminCb
from bot.flows.admin_broadcast.router import BroadcastCb
from core.audit.models import AuditEntry
from core.broadcast.models import Broadcast, BroadcastDelivery
from core.config import reset_settings_cache
from core.db import atomic
from core.parties import service as parties
from core.parties.models import PartyKind
from tests.factories import ADMIN, make_member, make_party

pytestmark = pytest.mark.usefixtures("db")

ADMIN_ID, GRANTED_ADMIN, MEMBER, STRANGER = 7301, 7302, 7311, 7399
AGENT_USERS = (7311, 7312, 7313)


@pytest.fixture(autouse=True)
def roomy_throttle(monkeypatch):
    monkeypatch.setenv("BOT_THROTTLE_UPDATES", "100")


@pytest.fixture
def admin(monkeypatch):
    """An admin from the environment (ADMIN_TELEGRAM_IDS), who belongs to no party."""
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", str(ADMIN_ID))
    reset_settings_cache()
    yield ADMIN_ID
    monkeypatch.delenv("ADMIN_TELEGRAM_IDS", raising=False)
    reset_settings_cache()


@pytest.fixture
async def agents():
    """Two agents and a sub-agent, one member each: three recipients."""
    top = await make_party(PartyKind.AGENT, name="Top")
    other = await make_party(PartyKind.AGENT, name="Other")
    sub = await make_party(PartyKind.SUBAGENT, parent=top, name="Sub")
    for party, user in zip((top, other, sub), AGENT_USERS):
        await make_member(party, telegram_user_id=user)
    return top, other, sub


def _send_button(harness, chat: int) -> str:
    return harness.button(chat, "Send to")


async def _queued(redis) -> set[str]:
    return {job_id.decode() for job_id in await redis.zrange(default_queue_name, 0, -1)}


async def test_an_admin_sees_exactly_what_agents_will_get_and_sends_it_once(harness, admin, agents, redis):
    await harness.send(ADMIN_ID, "/broadcast")
    assert "Type the message for every agent and sub-agent" in harness.last_text(ADMIN_ID)
    text = "Eid offer: <b>10%</b> off *all* cards!\nSee /order"
    await harness.send(ADMIN_ID, text)

    preview, question = harness.api.sent_messages(ADMIN_ID)[-2:]
    assert preview["text"] == text and "reply_markup" not in preview  # the text alone, as agents get it
    [sent] = [c for c in harness.api.calls_to("sendMessage", chat_id=ADMIN_ID) if c.params["text"] == text]
    assert "parse_mode" not in sent.params  # plain text: nothing in it is read as markup
    assert "It goes to 3 people" in question["text"] and "Partners" in question["text"]
    send = _send_button(harness, ADMIN_ID)
    assert "3 people" in harness.buttons(ADMIN_ID)[0][0]

    update = await harness.press(ADMIN_ID, send)
    [broadcast] = await Broadcast.all()
    assert (broadcast.text, broadcast.recipients, broadcast.notify_chat_id) == (text, 3, ADMIN_ID)
    assert sorted(await BroadcastDelivery.all().values_list("telegram_user_id", flat=True)) == list(AGENT_USERS)
    assert f"Broadcast #{broadcast.id} is on its way to 3 people" in harness.last_text(ADMIN_ID)
    assert f"send_broadcast:{broadcast.id}" in await _queued(redis)
    [entry] = await AuditEntry.filter(action="broadcast.create")
    assert entry.actor == f"tg:{ADMIN_ID}" and entry.request_id == f"tg:{ADMIN_ID}:{update['update_id']}"
    # Nobody got anything yet: the worker sends it.
    assert all(harness.api.sent_messages(user) == [] for user in AGENT_USERS)

    await harness.press(ADMIN_ID, send)  # the same Send again
    assert "already used" in harness.toasts()[-1]
    assert await Broadcast.all().count() == 1 and await BroadcastDelivery.all().count() == 3


async def test_the_menu_button_and_text_in_the_command_lead_to_the_same_preview(harness, admin, agents):
    await harness.send(ADMIN_ID, "/admin")
    await harness.press(ADMIN_ID, AdminCb(area="broadcast").pack())
    assert "Type the message" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/broadcast Maintenance tonight at 23:00")
    assert harness.api.sent_messages(ADMIN_ID)[-2]["text"] == "Maintenance tonight at 23:00"
    assert "It goes to 3 people" in harness.last_text(ADMIN_ID)


async def test_the_compose_screen_lists_recent_broadcasts_with_their_counts(harness, admin, agents):
    from core.broadcast import service as broadcasts

    async with atomic():
        done = await broadcasts.create_broadcast(actor=ADMIN, text="Earlier news", idempotency_key="k1",
                                                 notify_chat_id=ADMIN_ID)
    await BroadcastDelivery.filter(broadcast_id=done.id, telegram_user_id=AGENT_USERS[0]).update(status="blocked")
    await harness.send(ADMIN_ID, "/broadcast")
    text = harness.last_text(ADMIN_ID)
    assert "Recent broadcasts" in text and f"#{done.id}" in text
    assert "blocked 1" in text and "waiting 2" in text and "Earlier news" in text


async def test_a_non_admin_gets_the_unknown_command_answer_and_nothing_is_written(harness, admin, agents):
    await harness.send(MEMBER, "/nonsense")
    not_understood = harness.last_text(MEMBER)
    await harness.send(MEMBER, "/broadcast")
    assert harness.last_text(MEMBER) == not_understood
    await harness.send(MEMBER, "/broadcast Free money for everyone")
    assert harness.last_text(MEMBER) == not_understood
    await harness.send(STRANGER, "/broadcast Hi")
    assert "invite link" in harness.last_text(STRANGER)  # what a stranger gets for anything
    assert await Broadcast.all().count() == 0


async def test_forged_broadcast_presses_from_a_non_admin_change_nothing(harness, admin, agents):
    await harness.send(ADMIN_ID, "/broadcast Hello")
    send = _send_button(harness, ADMIN_ID)
    message_id = harness.api.sent_messages(ADMIN_ID)[-1]["message_id"]
    for data in (send, AdminCb(area="broadcast").pack(), BroadcastCb(action="send", token="guess").pack()):
        await harness.press(MEMBER, data, message_id=message_id, chat_id=ADMIN_ID)
        assert "no longer valid" in harness.toasts()[-1]
    assert await Broadcast.all().count() == 0
    await harness.press(ADMIN_ID, send)  # the rightful Send still works
    assert await Broadcast.all().count() == 1


async def test_cancel_or_change_makes_the_old_send_button_stale(harness, admin, agents):
    await harness.send(ADMIN_ID, "/broadcast First draft")
    first = _send_button(harness, ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Change the text"))
    assert "Type the message" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, first)
    assert "already used or has expired" in harness.toasts()[-1]
    await harness.send(ADMIN_ID, "Second draft")
    second = _send_button(harness, ADMIN_ID)
    await harness.press(ADMIN_ID, harness.button(ADMIN_ID, "Cancel"))
    assert "Nothing was sent" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, second)
    assert "already used or has expired" in harness.toasts()[-1]
    assert await Broadcast.all().count() == 0


async def test_text_that_cannot_be_sent_is_refused_and_the_admin_types_again(harness, admin, agents):
    await harness.send(ADMIN_ID, "/broadcast")
    await harness.send(ADMIN_ID, "x" * 4097)
    assert "longer than one Telegram message" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/wallet")  # a command while composing is not the message
    assert "Send to" not in str(harness.buttons(ADMIN_ID))
    await harness.send(ADMIN_ID, "Short and sweet")
    assert "It goes to 3 people" in harness.last_text(ADMIN_ID)


async def test_nobody_to_send_to_shows_no_send_button(harness, admin):
    await harness.send(ADMIN_ID, "/broadcast Anyone there?")
    assert "nobody would" in harness.last_text(ADMIN_ID)
    assert not any("Send to" in text for text, _ in harness.buttons(ADMIN_ID))


async def test_an_admin_whose_rights_were_revoked_cannot_send_the_preview_they_saw(harness, admin, agents):
    async with atomic():
        await parties.grant_admin(actor=ADMIN, telegram_user_id=GRANTED_ADMIN)
    await harness.send(GRANTED_ADMIN, "/broadcast Hello")
    send = _send_button(harness, GRANTED_ADMIN)
    async with atomic():
        await parties.revoke_admin(actor=ADMIN, telegram_user_id=GRANTED_ADMIN)
    await harness.press(GRANTED_ADMIN, send)
    assert "no longer valid" in harness.toasts()[-1]
    assert await Broadcast.all().count() == 0
