"""The arq layer on real Redis: deterministic job ids, one enqueue runs an order to the end (place,
polls, settle, the completed webhook), and the reconciler rescues an order whose job was lost."""

from __future__ import annotations

from core.access.actor import Actor
import json
from decimal import Decimal

from arq.worker import Worker

from core.db import atomic
from core.ledger.invariants import check_ledger
from core.notifications import service as notifications
from core.orders import service as orders
from core.orders.models import Order, OrderStatus
from jobs import notifications as notification_jobs
from jobs import orders as order_jobs
from jobs.enqueue import enqueue_place
from tests.notifications_support import RecordingNotifier, WebhookReceiver
from tests.factories import ADMIN
from tests.support.vendor import MAGIC_RANGE_PRODUCT, magic_face




async def run_worker(redis, vendor, receiver: WebhookReceiver, **ctx) -> Worker:
    worker = Worker(
        functions=[*order_jobs.FUNCTIONS, *notification_jobs.FUNCTIONS], redis_pool=redis, burst=True,
        handle_signals=False, poll_delay=0.05, max_tries=3, keep_result=3600,
        ctx={"vendor": vendor, "http": receiver.client(), "telegram": RecordingNotifier(), **ctx},
    )
    try:
        await worker.main()
    finally:
        await worker.ctx["http"].aclose()
        await worker.close()
    return worker


async def create(party, face: Decimal, quantity: int = 1) -> Order:
    async with atomic():
        return (await orders.create_order(party_id=party.id, product_id=MAGIC_RANGE_PRODUCT, face_value=face,
                                          quantity=quantity, actor=Actor.admin(label="test"))).order


async def test_one_enqueue_runs_the_order_to_its_webhook(network, vendor, redis):
    sub = network["sub"]
    async with atomic():
        await notifications.set_webhook(party_id=sub.id, url="https://partner.example/hooks", events=None,
                                        actor=Actor.admin(label="test"))
    order = await create(sub, magic_face("partial"), quantity=2)
    assert await enqueue_place(redis, order.id)
    assert not await enqueue_place(redis, order.id)  # same deterministic id: a duplicate is ignored

    receiver = WebhookReceiver()
    worker = await run_worker(redis, vendor, receiver)

    await order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_COMPLETED and order.cards_delivered == 1
    assert worker.jobs_failed == 0 and worker.jobs_complete >= 3  # place, poll(s), deliver
    assert len(receiver.requests) == 1
    event = json.loads(receiver.requests[0].content)
    assert event["type"] == "order.partially_completed"
    assert event["data"]["order"]["id"] == str(order.id) and event["data"]["order"]["cards_delivered"] == 1
    async with atomic():
        codes = [c.code for c in await orders.reveal_cards(order_id=order.id, actor=ADMIN)]
    assert codes and not any(code in receiver.requests[0].content.decode() for code in codes)  # never in webhooks
    assert await check_ledger() == []


async def test_running_every_job_twice_changes_nothing(network, vendor, redis):
    order = await create(network["sub"], magic_face("ok"))
    await enqueue_place(redis, order.id)
    await run_worker(redis, vendor, WebhookReceiver())
    await order.refresh_from_db()
    settled_at = order.completed_at

    # arq may run a job again (a retry after a crash): every task is a no-op on a terminal order.
    ctx = {"redis": redis, "vendor": vendor}
    assert await order_jobs.place_order(ctx, str(order.id)) == "done"
    assert await order_jobs.poll_order(ctx, str(order.id)) == "done"
    await order.refresh_from_db()
    assert order.completed_at == settled_at and order.status == OrderStatus.COMPLETED
    assert await check_ledger() == []


async def test_reconciler_rescues_an_order_whose_job_was_lost(network, vendor, redis):
    order = await create(network["sub"], magic_face("ok"), quantity=2)
    # No enqueue: as if Redis lost the job right after the commit.
    ctx = {"redis": redis, "vendor": vendor, "stuck_after": 0}
    assert await order_jobs.reconcile_orders(ctx) == 1
    assert await order_jobs.reconcile_orders(ctx) == 0  # same minute bucket: not enqueued twice
    await run_worker(redis, vendor, WebhookReceiver())
    await order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.cards_delivered == 2
    assert await order_jobs.reconcile_orders(ctx) == 0  # terminal orders are left alone
    assert await check_ledger() == []
