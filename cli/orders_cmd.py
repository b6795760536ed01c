"""`steller order …`."""

from __future__ import annotations

from decimal import Decimal

import click

from cli.runtime import CLI_ACTOR, echo_json, parse_decimal, run_with_db
from core.config import get_settings


@click.group()
def order() -> None:
    """Orders: create one for a party, look at it, list them."""


@order.command("create")
@click.option("--party", "party_id", type=int, required=True)
@click.option("--product", "product_id", type=int, required=True)
@click.option("--face-value", required=True, help="Face value in the card's currency, e.g. 10 or 25.50.")
@click.option("--quantity", type=int, default=1, show_default=True)
@click.option("--reference", default=None, help="Your idempotency key (default: a new one).")
def order_create(party_id: int, product_id: int, face_value: str, quantity: int, reference: str | None) -> None:
    """Create an order, hold the money and queue it for the worker; prints the order id."""
    from arq import create_pool
    from arq.connections import RedisSettings

    from core.db import run_atomic
    from core.orders import service as orders
    from jobs.enqueue import enqueue_place
    from jobs.notifications import enqueue_deliveries

    face = parse_decimal(face_value)

    async def go() -> str:
        created = await run_atomic(lambda: orders.create_order(
            actor=CLI_ACTOR, party_id=party_id, product_id=product_id, face_value=face, quantity=quantity,
            reference=reference))
        # After commit: a job for an order that never committed would be worse than a late one
        # (and the reconciler picks up an order whose job was never enqueued).
        redis = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
        try:
            await enqueue_place(redis, created.order.id)
            await enqueue_deliveries(redis, created.notifications)
        finally:
            await redis.aclose()
        return str(created.order.id)

    click.echo(run_with_db(go))


def _order_dict(o, cards) -> dict:
    from core.money import from_minor
    from core.orders.service import money_split

    split = money_split(o, o.cards_delivered)  # of the cards delivered so far

    return {
        "id": str(o.id), "party_id": o.party_id, "reference": o.reference, "status": o.status.value,
        "product_id": o.product_id, "face_value": format(Decimal(o.face_value).normalize(), "f"),
        "card_currency": o.card_currency, "quantity": o.quantity,
        "unit_price": str(from_minor(o.unit_price, o.currency)), "total": str(from_minor(o.total, o.currency)),
        "currency": o.currency, "cards_delivered": o.cards_delivered, "attempts": o.attempts,
        "created_at": o.created_at.isoformat(), "completed_at": o.completed_at.isoformat() if o.completed_at else None,
        "failure": None if o.failure_code is None else {"code": o.failure_code, "message": o.failure_message},
        "split": {k: str(from_minor(getattr(split, k), o.currency)) for k in ("vendor", "commission", "platform")},
        # What Bamboo actually charged, booked on the vendor leg, and how far it was from the quote.
        "vendor_cost": None if o.vendor_cost is None else str(from_minor(o.vendor_cost, o.currency)),
        "vendor_cost_difference": None if o.vendor_cost_difference is None
        else str(from_minor(o.vendor_cost_difference, o.currency)),
        "vendor_cost_source": o.vendor_cost_source,
        "attention": None if o.attention_reason is None else {
            "reason": o.attention_reason, "since": o.attention_at.isoformat() if o.attention_at else None,
            "halted": o.halted_at is not None},
        "cards": [{"code": c.masked_code, "serial": c.serial_number,
                   "expires_at": c.expires_at.isoformat() if c.expires_at else None} for c in cards],
    }


@order.command("show")
@click.argument("order_id")
@click.option("--json", "as_json", is_flag=True)
def order_show(order_id: str, as_json: bool) -> None:
    """Status, amounts and masked codes of one order."""
    from core.orders import service as orders

    async def go():
        o = await orders.get_order(actor=CLI_ACTOR, order_id=order_id)
        return _order_dict(o, await orders.masked_cards(order=o))

    data = run_with_db(go)
    if as_json:
        echo_json(data)
        return
    click.echo(f"order {data['id']}  {data['status']}")
    click.echo(f"  party {data['party_id']}  product {data['product_id']}  {data['quantity']} × "
               f"{data['face_value']} {data['card_currency']}  reference {data['reference']}")
    click.echo(f"  unit {data['unit_price']} {data['currency']}  total {data['total']} {data['currency']}  "
               f"cards {data['cards_delivered']}/{data['quantity']}")
    if data["failure"]:
        click.echo(f"  failure: {data['failure']['code']}: {data['failure']['message']}")
    if data["vendor_cost"] is not None:
        click.echo(f"  vendor charged {data['vendor_cost']} {data['currency']} ({data['vendor_cost_source']}), "
                   f"difference from the quote {data['vendor_cost_difference']}")
    if data["attention"]:
        click.echo(f"  needs an admin: {data['attention']['reason']}"
                   + (" (halted)" if data["attention"]["halted"] else ""))
    for card in data["cards"]:
        click.echo(f"  card {card['code']}  serial {card['serial']}  expires {card['expires_at']}")


@order.command("list")
@click.option("--party", "party_id", type=int, default=None)
@click.option("--status", type=click.Choice(["pending", "placing", "processing", "completed",
                                             "partially_completed", "failed"]), default=None)
@click.option("--limit", default=20, show_default=True)
def order_list(party_id: int | None, status: str | None, limit: int) -> None:
    from core.money import from_minor
    from core.orders import service as orders
    from core.orders.models import OrderStatus

    async def go():
        return await orders.list_orders(actor=CLI_ACTOR, party_id=party_id, status=OrderStatus(status) if status else None,
                                        limit=limit)

    for o in run_with_db(go):
        click.echo(f"{o.id}  {o.created_at:%Y-%m-%d %H:%M}  party {o.party_id:<5} {o.status.value:<20} "
                   f"{o.quantity} × {format(Decimal(o.face_value).normalize(), 'f')} {o.card_currency}  "
                   f"{from_minor(o.total, o.currency)} {o.currency}")


@order.command("attention")
@click.option("--json", "as_json", is_flag=True)
def order_attention(as_json: bool) -> None:
    """Open orders an admin must settle: halted by the worker, or open longer than ORDER_ATTENTION_AFTER_HOURS."""
    from datetime import timedelta

    from core.orders import attention

    hours = get_settings().order_attention_after_hours

    async def go():
        items = await attention.orders_needing_attention(actor=CLI_ACTOR, overdue_after=timedelta(hours=hours))
        return [{"id": str(i.order.id), "status": i.order.status.value, "party_id": i.order.party_id,
                 "since": i.since.isoformat(), "halted": i.halted, "reason": i.reason,
                 "last_error": i.order.last_error} for i in items]

    items = run_with_db(go)
    if as_json:
        echo_json(items)
        return
    for item in items:
        flag = "halted" if item["halted"] else "open"
        click.echo(f"{item['id']}  {item['status']:<11} {flag:<6} since {item['since'][:16]}  {item['reason']}")


@order.command("resolve")
@click.argument("order_id")
@click.option("--fail", "fail", is_flag=True, help="Fail the order and release its money to the buyer.")
@click.option("--complete-from-vendor", is_flag=True,
              help="Complete it with the cards (and the charge) Bamboo's Get Order reports now.")
@click.option("--reason", default=None, help="Why: required with --fail, kept in the audit log.")
def order_resolve(order_id: str, fail: bool, complete_from_vendor: bool, reason: str | None) -> None:
    """Settle an order by hand, once (admins; audited): --fail or --complete-from-vendor."""
    if fail == complete_from_vendor:
        raise click.UsageError("choose exactly one of --fail and --complete-from-vendor")
    if fail and not (reason or "").strip():
        raise click.UsageError("--fail needs --reason")
    from arq import create_pool
    from arq.connections import RedisSettings

    from core.db import run_atomic
    from core.money import format_money
    from core.orders import resolve
    from core.orders import service as orders
    from core.vendors.bamboo import BambooClient, VendorError
    from jobs.notifications import enqueue_deliveries

    async def go() -> str:
        redis = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
        try:
            if complete_from_vendor:
                found = await orders.get_order(actor=CLI_ACTOR, order_id=order_id)
                try:
                    async with BambooClient.from_settings(get_settings(), redis=redis) as vendor:
                        vendor_order = await vendor.get_order(found.vendor_request_id)
                except VendorError as exc:
                    raise click.ClickException(f"Bamboo: {exc}") from None
                resolved = await run_atomic(lambda: resolve.complete_from_vendor(
                    actor=CLI_ACTOR, order_id=order_id, vendor_order=vendor_order))
            else:
                resolved = await run_atomic(lambda: resolve.fail_order(actor=CLI_ACTOR, order_id=order_id,
                                                                       reason=reason))
            await enqueue_deliveries(redis, resolved.notifications)  # after commit
        finally:
            await redis.aclose()
        o = resolved.order
        paid = format_money(o.unit_price * o.cards_delivered, o.currency)
        return (f"order {o.id} {o.status.value}: {o.cards_delivered}/{o.quantity} card(s), {paid} captured, "
                f"{format_money(o.total - o.unit_price * o.cards_delivered, o.currency)} released")

    click.echo(run_with_db(go))
