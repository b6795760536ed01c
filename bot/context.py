"""What every handler gets with an update: who is acting, in which language, and what to do after commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.access.actor import Actor
from core.parties.models import Member, Party


@dataclass
class UpdateContext:
    telegram_user_id: int
    lang: str
    request_id: str  # "tg:<chat_id>:<update_id>": audit rows of this update carry it (who, where, which update)
    member: Member | None = None  # the user's active membership (a removed member is a stranger)
    party: Party | None = None
    is_admin: bool = False
    # Run after the update's transaction committed: enqueue jobs, deliver outbox rows.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def actor(self) -> Actor | None:
        """The acting member for core calls; None for someone who belongs to no party."""
        if self.member is None:
            return None
        return Actor.member(self.member, request_id=self.request_id)

    @property
    def role(self) -> str | None:
        return str(self.member.role) if self.member is not None else None

    async def admin_actor(self) -> Actor:
        """An admin actor after re-checking admin rights now (environment list and database)."""
        from core.access.policy import admin_actor

        return await admin_actor(telegram_user_id=self.telegram_user_id, request_id=self.request_id)

    def t(self, key: str, /, **params) -> str:
        from bot.i18n import t

        return t(key, self.lang, **params)

    def later(self, job: Callable[[], Awaitable[None]]) -> None:
        self.after_commit.append(job)
