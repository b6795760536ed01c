"""arq tasks that act on Telegram messages for the bot: deleting a revealed code after its minute."""

from __future__ import annotations

from arq.connections import ArqRedis

from core.logging import get_logger

log = get_logger("jobs.telegram")


async def enqueue_delete(redis: ArqRedis, *, chat_id: int, message_id: int, delay: float) -> bool:
    """A deferred job in Redis, so the deletion survives a restart of the bot or the worker."""
    job = await redis.enqueue_job("delete_message", int(chat_id), int(message_id),
                                  _job_id=f"delete_message:{chat_id}:{message_id}", _defer_by=delay)
    return job is not None


async def delete_message(ctx, chat_id: int, message_id: int) -> bool:
    notifier = ctx.get("telegram")
    if notifier is None:
        log.warning("delete_message_without_bot", chat_id=chat_id)
        return False
    return await notifier.delete(chat_id=int(chat_id), message_id=int(message_id))


FUNCTIONS = [delete_message]
