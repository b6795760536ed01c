"""Who may configure and read a party's webhook: its owners and its API keys (MANAGE), its viewers and
managers read; nobody else, and never another party, a parent, or a bare string."""

from __future__ import annotations

import pytest

from core.access.actor import Actor
from core.db import atomic
from core.errors import DomainError, PermissionDenied
from core.notifications import service as notifications
from core.notifications.models import Notification, WebhookEndpoint
from core.parties import service as parties
from core.parties.models import Member, MemberRole, PartyKind, PartyStatus
from tests.factories import make_party
from tests.notifications_support import emit

ADMIN = Actor.admin(label="test")
URL = "https://partner.example/hooks"


def key_of(party) -> Actor:
    return Actor.api_key(key_id=party.id, party_id=party.id, prefix="sk_live_ab12", livemode=True)


async def member_of(party, role: MemberRole, telegram_user_id: int) -> Actor:
    async with atomic():
        await parties.bind_member(party_id=party.id, telegram_user_id=telegram_user_id, role=role,
                                  display_name=str(role), actor=ADMIN)
    return Actor.member(await Member.get(telegram_user_id=telegram_user_id))


def managing_calls(party_id: int, notification_id: int):
    """Every MANAGE use case, as (name, call)."""
    return [
        ("set_webhook", lambda actor: notifications.set_webhook(actor=actor, party_id=party_id, url=URL, events=None)),
        ("rotate_secret", lambda actor: notifications.rotate_secret(actor=actor, party_id=party_id)),
        ("send_test_ping", lambda actor: notifications.send_test_ping(actor=actor, party_id=party_id)),
        ("replay", lambda actor: notifications.replay(actor=actor, party_id=party_id,
                                                      notification_id=notification_id)),
    ]


def reading_calls(party_id: int):
    return [
        ("get_webhook", lambda actor: notifications.get_webhook(actor=actor, party_id=party_id)),
        ("list_deliveries", lambda actor: notifications.list_deliveries(actor=actor, party_id=party_id)),
    ]


async def attempt(call, actor) -> DomainError | None:
    try:
        async with atomic():
            await call(actor)
    except DomainError as exc:
        return exc
    return None


@pytest.fixture
async def setup(hooked):
    [row] = await emit(hooked.party.id)
    return hooked, row


async def test_owner_and_api_key_may_manage_and_read_their_own_webhook(setup):
    hooked, row = setup
    owner = await member_of(hooked.party, MemberRole.OWNER, 7001)
    for actor in (owner, key_of(hooked.party)):
        for name, call in managing_calls(hooked.party.id, row.id) + reading_calls(hooked.party.id):
            assert await attempt(call, actor) is None, (actor.kind, name)


async def test_viewers_and_managers_read_but_do_not_manage(setup):
    hooked, row = setup
    viewer = await member_of(hooked.party, MemberRole.VIEWER, 7002)
    manager = await member_of(hooked.party, MemberRole.MANAGER, 7003)
    before = await Notification.all().count()
    for actor in (viewer, manager):
        for name, call in reading_calls(hooked.party.id):
            assert await attempt(call, actor) is None, (actor.role, name)
        for name, call in managing_calls(hooked.party.id, row.id):
            refused = await attempt(call, actor)
            assert refused is not None and refused.code == "member.role_not_allowed", (actor.role, name)
    assert await Notification.all().count() == before  # no ping, no replay was written
    endpoint = await WebhookEndpoint.get(party_id=hooked.party.id)
    assert endpoint.previous_secret_encrypted is None  # never rotated


async def test_another_party_a_parent_and_a_bare_label_are_refused_alike(setup):
    hooked, row = setup
    stranger = await make_party(PartyKind.PARTNER, name="Stranger")
    parent = await make_party(PartyKind.AGENT, name="Parent")
    child = await make_party(PartyKind.SUBAGENT, parent=parent, name="Child")
    async with atomic():
        await notifications.set_webhook(actor=ADMIN, party_id=child.id, url=URL, events=None)
    cases = [(key_of(stranger), hooked.party.id, row.id),
             (await member_of(stranger, MemberRole.OWNER, 7004), hooked.party.id, row.id),
             (key_of(parent), child.id, row.id),  # a parent does not run its child's webhook
             ("api:sk_live_ab12", hooked.party.id, row.id)]  # a string is never an actor
    for actor, party_id, notification_id in cases:
        for name, call in managing_calls(party_id, notification_id) + reading_calls(party_id):
            refused = await attempt(call, actor)
            assert isinstance(refused, PermissionDenied) and refused.code == "access.denied", (actor, name)
    stored = await WebhookEndpoint.get(party_id=hooked.party.id)
    assert stored.url == hooked.endpoint.url


async def test_a_frozen_party_reads_its_webhook_but_changes_nothing(setup):
    hooked, row = setup
    key = key_of(hooked.party)
    async with atomic():
        await parties.change_status(actor=ADMIN, party_id=hooked.party.id, to=PartyStatus.FROZEN)
    for name, call in reading_calls(hooked.party.id):
        assert await attempt(call, key) is None, name
    for name, call in managing_calls(hooked.party.id, row.id):
        refused = await attempt(call, key)
        assert refused is not None and refused.code == "party.inactive", name


async def test_an_api_key_sees_and_makes_only_deliveries_of_its_own_mode(setup):
    hooked, live_row = setup
    test_key = Actor.api_key(key_id=1, party_id=hooked.party.id, prefix="sk_test_ab12", livemode=False)
    # A test key sees no webhook until it sets up its own (the live one is not its mode's).
    assert await notifications.get_webhook(actor=test_key, party_id=hooked.party.id) is None
    async with atomic():
        test_endpoint, _ = await notifications.set_webhook(actor=test_key, party_id=hooked.party.id,
                                                           url="https://partner.example/test-hooks", events=None)
        ping = await notifications.send_test_ping(actor=test_key, party_id=hooked.party.id)
    assert test_endpoint.livemode is False and test_endpoint.id != hooked.endpoint.id
    assert (await notifications.get_webhook(actor=test_key, party_id=hooked.party.id)).id == test_endpoint.id
    assert (await notifications.get_webhook(actor=key_of(hooked.party), party_id=hooked.party.id)).id \
        == hooked.endpoint.id
    assert ping.livemode is False
    page = await notifications.list_deliveries(actor=test_key, party_id=hooked.party.id)
    assert [row.id for row in page.items] == [ping.id]  # the live event is not there
    refused = await attempt(lambda actor: notifications.replay(actor=actor, party_id=hooked.party.id,
                                                               notification_id=live_row.id), test_key)
    assert refused is not None and refused.code == "not_found"
    live_page = await notifications.list_deliveries(actor=key_of(hooked.party), party_id=hooked.party.id)
    assert [row.id for row in live_page.items] == [live_row.id]
    # Asking for the other mode explicitly is refused, not quietly answered.
    for call in (lambda actor: notifications.get_webhook(actor=actor, party_id=hooked.party.id, livemode=True),
                 lambda actor: notifications.list_deliveries(actor=actor, party_id=hooked.party.id, livemode=True),
                 lambda actor: notifications.rotate_secret(actor=actor, party_id=hooked.party.id, livemode=True)):
        refused = await attempt(call, test_key)
        assert refused is not None and refused.code == "access.denied"
    assert (await WebhookEndpoint.get(id=hooked.endpoint.id)).previous_secret_encrypted is None
