"""Enqueueing after commit, with deterministic job ids (arq ignores a second job with the same id)."""

from __future__ import annotations

from arq.connections import ArqRedis


async def enqueue_place(redis: ArqRedis, order_id, *, attempt: int | str = 0, delay: float = 0.0) -> bool:
    job_id = f"place_order:{order_id}" if attempt in (0, "0") else f"place_order:{order_id}:{attempt}"
    job = await redis.enqueue_job("place_order", str(order_id), _job_id=job_id, _defer_by=delay or None)
    return job is not None


async def enqueue_poll(redis: ArqRedis, order_id, *, sequence: int | str, delay: float = 0.0,
                       placement_over: int | None = None) -> bool:
    # placement_over: the attempt whose request is known to be over (see pipeline.Step).
    extra = {} if placement_over is None else {"placement_over": placement_over}
    job = await redis.enqueue_job("poll_order", str(order_id), _job_id=f"poll_order:{order_id}:{sequence}",
                                  _defer_by=delay or None, **extra)
    return job is not None
