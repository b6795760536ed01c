"""Partner self-signup: a pending partner with a test key and a funded sandbox wallet.

The partner integrates against the sandbox at once; an admin's approval (`approve`) makes it active
for live use. Admins are told in the same transaction (Telegram outbox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.access import api_keys
from core.access.actor import Actor
from core.db import require_transaction
from core.errors import Conflict, ValidationFailed
from core.parties.errors import EmailTaken
from core.parties.models import Party, PartyKind, PartyStatus
from core.parties.service import insert_party

SIGNUP_ACTOR = Actor.system("signup")
# Deliberately loose: one @, a dot in the domain, no spaces. Deliverability is the admin's check.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class SignupEmailTaken(Conflict):
    code = "signup.email_taken"


class InvalidEmail(ValidationFailed):
    code = "signup.invalid_email"


@dataclass(frozen=True)
class SignedUp:
    party: Party
    test_key: api_keys.CreatedKey
    notifications: tuple = ()  # the admins' outbox rows: enqueue after commit

    def __repr__(self) -> str:  # the key's secret must never reach a log
        return f"SignedUp(party_id={self.party.id})"


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise InvalidEmail("that does not look like an email address")
    return email


async def sign_up_partner(*, company_name: str, email: str, use_case: str | None = None,
                          request_id: str | None = None) -> SignedUp:
    require_transaction()
    email = normalize_email(email)
    actor = SIGNUP_ACTOR if request_id is None else SIGNUP_ACTOR.with_request(request_id)
    try:
        party = await insert_party(kind=PartyKind.PARTNER, name=company_name, actor=actor, email=email,
                                   status=PartyStatus.PENDING)
    except EmailTaken as exc:
        raise SignupEmailTaken("an account with this email exists already") from exc
    key = await api_keys.create_key(actor=actor, party_id=party.id, livemode=False, name="sandbox (signup)")
    from core.audit import service as audit
    from core.notifications import service as notifications

    if use_case:
        await audit.record(actor=actor, action="party.signup", object_type="party", object_id=party.id,
                           after={"use_case": use_case.strip()[:1000]})
    rows = await notifications.notify_admins(
        message_key="admin.new_partner_signup", params={"name": party.name, "email": email, "party_id": party.id},
        buttons=[{"text_key": "button.open_applications", "data": "adm:pending"}])
    return SignedUp(party=party, test_key=key, notifications=tuple(rows))
