"""The acting party of every core use case, explicit: never "None means admin".

The fronts build an `Actor` from something they verified (a Telegram user's active membership read
in this update, an API key looked up in this request, an admin check, the operator's shell) and pass
it to the core; the core checks it against the party the use case touches (`core.access.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class ActorKind(StrEnum):
    ADMIN = "admin"  # a platform admin (bot admin, or the operator's CLI)
    MEMBER = "member"  # a Telegram user acting for their party, with a role
    API_KEY = "api_key"  # a partner's API key acting for its party
    SYSTEM = "system"  # the platform itself: workers, crons (never built from outside input)


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str  # what the audit log and ledger operations record: "tg:42", "cli", "api:sk_live_ab12", "worker"
    party_id: int | None = None  # member / api key: the party it acts for
    role: str | None = None  # member: owner | manager | viewer
    member_id: int | None = None
    telegram_user_id: int | None = None
    api_key_id: int | None = None
    livemode: bool = True  # api key: sk_live_ (True) or sk_test_ (False)
    request_id: str | None = None  # the request or update this action came from (audit)

    @classmethod
    def admin(cls, *, label: str, telegram_user_id: int | None = None, request_id: str | None = None) -> Actor:
        """Build only after verifying admin rights (`core.access.policy.admin_actor`) or for the shell."""
        return cls(kind=ActorKind.ADMIN, label=label[:64], telegram_user_id=telegram_user_id,
                   request_id=request_id)

    @classmethod
    def member(cls, member, *, request_id: str | None = None) -> Actor:
        """From an active `Member` row read in this update."""
        return cls(kind=ActorKind.MEMBER, label=f"tg:{member.telegram_user_id}", party_id=member.party_id,
                   role=str(member.role), member_id=member.id, telegram_user_id=member.telegram_user_id,
                   request_id=request_id)

    @classmethod
    def api_key(cls, *, key_id: int, party_id: int, prefix: str, livemode: bool,
                request_id: str | None = None) -> Actor:
        """From an API key looked up (and found unrevoked) in this request."""
        return cls(kind=ActorKind.API_KEY, label=f"api:{prefix}"[:64], party_id=party_id, api_key_id=key_id,
                   livemode=livemode, role="owner", request_id=request_id)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=name[:64])

    def with_request(self, request_id: str | None) -> Actor:
        return replace(self, request_id=request_id)

    @property
    def is_admin(self) -> bool:
        return self.kind == ActorKind.ADMIN

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    def __str__(self) -> str:
        return self.label


def actor_label(actor: Actor | str) -> str:
    """Internal steps (holds, settlement) also accept a plain label for the audit trail."""
    return actor.label if isinstance(actor, Actor) else str(actor)[:64]
