"""One database transaction per update, with the acting member, its role and language loaded once."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.context import UpdateContext
from bot.i18n import pick_language
from core.access.policy import note_active_member
from core.db import atomic
from core.logging import get_logger
from core.parties.models import Member, MemberStatus
from core.parties.service import is_admin

log = get_logger("bot.context")


class UpdateTransaction(BaseMiddleware):
    """Open the update's transaction, load who is acting, run the handler, commit, then run the
    after-commit work (job enqueues). The handler runs once: a failure rolls back and is reported by
    the error boundary, never retried here (a retried handler could move money twice)."""

    async def __call__(self, handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        update_id = event.update_id if isinstance(event, Update) else 0
        chat = data.get("event_chat")
        chat_id = chat.id if chat is not None else user.id
        async with atomic():
            member = await Member.filter(telegram_user_id=user.id, status=MemberStatus.ACTIVE) \
                .select_related("party").first()
            if member is not None:
                note_active_member(member)  # read in this transaction: the core need not read it again
            ctx = UpdateContext(
                telegram_user_id=user.id,
                lang=pick_language((member.language if member else None) or user.language_code),
                request_id=f"tg:{chat_id}:{update_id}",
                member=member,
                party=member.party if member else None,
                is_admin=await is_admin(user.id),
            )
            data["ctx"] = ctx
            result = await handler(event, data)
        for job in ctx.after_commit:
            try:
                await job()
            except Exception as exc:  # noqa: BLE001 - committed already; the sweeper/reconciler catch up
                log.warning("bot_after_commit_failed", error_type=type(exc).__name__)
        return result
