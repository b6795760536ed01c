"""The order pipeline the worker runs: place once, poll until terminal, settle exactly once.

Each step returns what should happen next (`Step`); the job layer turns that into an arq job with
a deterministic id. No step holds a database transaction open while it talks to the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.crypto import encrypt
from core.db import atomic
from core.ledger import service as ledger
from core.ledger.accounts import party_account, system_account
from core.ledger.models import AccountKind, Hold, TransferKind
from core.ledger.posting import Leg, lock_accounts
from core.ledger.service import Split
from core.logging import get_logger
from core.orders import service as orders
from core.orders.models import TERMINAL_STATUSES, Card, Order, OrderStatus
from core.parties.models import Party
from core.vendors.bamboo import (
    BambooClient,
    OrderAlreadyExists,
    OrderNotFound,
    OrderProduct,
    VendorAuthError,
    VendorError,
    VendorOutcomeUnknown,
    VendorRateLimited,
    VendorRejected,
    VendorUnavailable,
)
from core.vendors.bamboo import Order as VendorOrder
from core.vendors.bamboo import OrderStatus as VendorStatus

log = get_logger("orders.pipeline")

# Vendor refusals that are about us, not the order: retry later instead of failing the buyer.
RETRYABLE_REJECTIONS = frozenset({"InsufficientBalance", "UserNotEnabled", "ClientCatalogNotExist", "WrongAccount"})
POLL_DELAYS = (0.5, 1, 1, 2, 2, 4, 8, 15, 30, 60)
# After a timeout the request may still be on its way: look for it only after this grace.
OUTCOME_UNKNOWN_GRACE = 5.0
RETRY_DELAY = 30.0
# Placements that provably did not reach Bamboo (each one checked by polling) before giving up.
# Outages do not count: while Bamboo is down the order waits in "placing" and is polled.
MAX_PLACE_ATTEMPTS = 5


@dataclass(frozen=True)
class Step:
    action: str  # "place" | "poll" | "done"
    delay: float = 0.0
    notifications: list = field(default_factory=list)  # outbox rows to deliver after commit
    # For a poll: the attempt whose request is known to be over (answered or timed out), told by
    # the job that sent it. Only then does "not found at Bamboo" prove it never arrived.
    placement_over: int | None = None

    @staticmethod
    def done(notifications: list | None = None) -> Step:
        return Step("done", 0.0, notifications or [])


def poll_delay(polls: int) -> float:
    return float(POLL_DELAYS[min(polls, len(POLL_DELAYS) - 1)])


def _short(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


async def place(*, order_id, vendor: BambooClient) -> Step:
    """Send the order to Bamboo once. A second run never re-sends blindly: it polls first."""
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status in TERMINAL_STATUSES:
            return Step.done()
        if order.status == OrderStatus.PROCESSING:
            return Step("poll")
        if order.status == OrderStatus.PLACING:
            # An earlier attempt may have reached Bamboo (crash, timeout): find out first.
            return Step("poll")
        if order.attempts >= MAX_PLACE_ATTEMPTS:
            give_up = True
        else:
            give_up = False
            await orders.move(order, OrderStatus.PLACING, attempts=order.attempts + 1,
                          placed_at=datetime.now(UTC))
    if give_up:
        return await settle_failed(order_id=order_id, code="vendor.unavailable",
                                   message="the vendor did not accept the order after several attempts")
    try:
        account_id = await vendor.resolve_account_id(order.card_currency)
        await vendor.place_order(
            request_id=order.vendor_request_id, account_id=account_id,
            products=[OrderProduct(product_id=order.product_id, quantity=order.quantity,
                                   value=Decimal(order.face_value))],
        )
    except OrderAlreadyExists:
        pass  # our earlier attempt reached Bamboo: go on polling
    except VendorRejected as exc:
        if exc.code in RETRYABLE_REJECTIONS:
            log.warning("vendor_refused_us", order_id=str(order_id), code=exc.code)
            return await _back_to_pending(order_id, exc, RETRY_DELAY)
        return await settle_failed(order_id=order_id, code=f"vendor.{exc.code}", message=exc.message)
    except VendorRateLimited as exc:
        return await _back_to_pending(order_id, exc, exc.wait_seconds)
    except VendorAuthError as exc:
        return await _back_to_pending(order_id, exc, RETRY_DELAY)
    except VendorUnavailable as exc:
        if not exc.request_sent:
            return await _back_to_pending(order_id, exc, RETRY_DELAY / 6)
        await _note_error(order_id, exc)
        return Step("poll", OUTCOME_UNKNOWN_GRACE, placement_over=order.attempts)
    except VendorOutcomeUnknown as exc:
        await _note_error(order_id, exc)
        return Step("poll", OUTCOME_UNKNOWN_GRACE, placement_over=order.attempts)
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status == OrderStatus.PLACING:
            await orders.move(order, OrderStatus.PROCESSING)
    return Step("poll", poll_delay(0))


async def _back_to_pending(order_id, error: Exception, delay: float, *, reached_vendor: bool = False) -> Step:
    """The vendor provably does not have the order: it may be placed again later.

    Only attempts that reached Bamboo count towards MAX_PLACE_ATTEMPTS; a rate limit or a
    refused connection is a deferral, so a 429 storm or an outage never fails an order.
    """
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status == OrderStatus.PLACING:
            changes = {"last_error": _short(error), "deferrals": order.deferrals + 1}
            if not reached_vendor:
                changes["attempts"] = max(order.attempts - 1, 0)
            await orders.move(order, OrderStatus.PENDING, **changes)
    return Step("place", max(delay, 0.5))


async def _note_error(order_id, error: Exception) -> None:
    async with atomic():
        order = await orders.lock_order(order_id)
        order.last_error = _short(error)
        await order.save(update_fields=["last_error", "updated_at"])


def _placement_may_be_in_flight(order: Order, vendor: BambooClient) -> bool:
    """Whether the request of the attempt that made this order `placing` may still reach Bamboo.

    The order turns `placing` before its job waits for slots of the shared rate budget (accounts once
    per process, the product, place-order: up to the limiter's max wait each) and sends (the accounts
    call, the order) with the client's timeouts. Until that much time has passed, only the sending
    job can tell its request is over (`placement_over`).
    """
    limiter = vendor.rate_limiter
    if order.placed_at is None or limiter is None or not limiter.enabled:
        return False
    max_wait = limiter.max_wait_seconds if limiter.max_wait_seconds is not None else 120.0
    t = vendor.timeout
    request = sum(x or 0 for x in (t.connect, t.write, t.read, t.pool))
    window = 3 * max_wait + 2 * request + OUTCOME_UNKNOWN_GRACE
    return datetime.now(UTC) - order.placed_at < timedelta(seconds=window)


async def poll(*, order_id, vendor: BambooClient, placement_over: int | None = None) -> Step:
    order = await Order.get(id=order_id)
    if order.status in TERMINAL_STATUSES:
        return Step.done()
    if order.status == OrderStatus.PENDING:
        return Step("place")
    # Touching updated_at tells the reconciler this order is being looked after.
    await Order.filter(id=order_id).update(polls=order.polls + 1, updated_at=datetime.now(UTC))
    try:
        vendor_order = await vendor.get_order(order.vendor_request_id)
    except OrderNotFound:
        if order.status == OrderStatus.PLACING:
            if placement_over != order.attempts and _placement_may_be_in_flight(order, vendor):
                # Its job may still be waiting for a rate-limit slot: "not found" proves nothing yet,
                # and placing it again now would send the same requestId twice.
                return Step("poll", poll_delay(order.polls))
            # Bamboo never recorded it: now it is known that placing again is safe.
            return await _back_to_pending(order_id, RuntimeError("not found at the vendor"), RETRY_DELAY / 6,
                                          reached_vendor=True)
        return Step("poll", poll_delay(order.polls))
    except VendorRateLimited as exc:
        return Step("poll", max(exc.wait_seconds, poll_delay(order.polls)), placement_over=placement_over)
    except VendorError as exc:
        await _note_error(order_id, exc)
        return Step("poll", poll_delay(order.polls), placement_over=placement_over)
    if not vendor_order.is_terminal:
        if order.status == OrderStatus.PLACING:
            async with atomic():
                locked = await orders.lock_order(order_id)
                if locked.status == OrderStatus.PLACING:
                    await orders.move(locked, OrderStatus.PROCESSING)
        return Step("poll", poll_delay(order.polls))
    return await settle(order_id=order_id, vendor_order=vendor_order)


def _delivered_cards(vendor_order: VendorOrder) -> list:
    return [c for c in vendor_order.cards() if c.card_code is not None and (c.status or "Sold") != "Failed"]


async def settle(*, order_id, vendor_order: VendorOrder) -> Step:
    """Store the cards, capture what was delivered, release the rest, notify — exactly once."""
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status in TERMINAL_STATUSES:
            return Step.done()  # another worker got here first
        delivered = _delivered_cards(vendor_order)[: order.quantity]
        if vendor_order.status == VendorStatus.FAILED:
            delivered = []
        for position, card in enumerate(delivered):
            code = card.card_code.get_secret_value()
            expires = card.expiration_date.isoformat() if card.expiration_date else None
            await Card.create(
                # Bamboo's card id; its position in the order when Bamboo gives none (never the serial).
                order_id=order.id, vendor_card_id=str(card.id) if card.id is not None else f"#{position}",
                code_encrypted=encrypt(code),
                pin_encrypted=encrypt(card.pin.get_secret_value()) if card.pin else None,
                serial_encrypted=encrypt(card.serial_number) if card.serial_number else None,
                expires_encrypted=encrypt(expires) if expires else None,
                code_last4=code[-4:],
            )
        count = len(delivered)
        if count == 0:
            status = OrderStatus.FAILED
        elif count < order.quantity:
            status = OrderStatus.PARTIALLY_COMPLETED
        else:
            status = OrderStatus.COMPLETED
        await _settle_money(order, count)
        failure_code = failure_message = None
        if status == OrderStatus.FAILED:
            failure_code = "vendor.failed"
            failure_message = (vendor_order.error_message or "the vendor could not deliver this card")[:500]
        await orders.move(order, status, cards_delivered=count, completed_at=datetime.now(UTC),
                          vendor_order_id=None if vendor_order.order_id is None else str(vendor_order.order_id),
                          failure_code=failure_code, failure_message=failure_message)
        notifications = await _notify_settled(order)
    log.info("order_settled", order_id=str(order_id), status=status, cards=count)
    return Step.done(notifications)


async def settle_failed(*, order_id, code: str, message: str) -> Step:
    """The vendor refused the order outright: the whole hold goes back."""
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status in TERMINAL_STATUSES:
            return Step.done()
        await _settle_money(order, 0)
        await orders.move(order, OrderStatus.FAILED, completed_at=datetime.now(UTC), failure_code=code,
                          failure_message=message[:500])
        notifications = await _notify_settled(order)
    return Step.done(notifications)


async def _settle_money(order: Order, delivered: int) -> None:
    """Capture the delivered cards' share (vendor, parent's commission, platform), release the rest."""
    key = f"order:{order.id}"
    if 0 < delivered < order.quantity:
        await _lock_settlement_accounts(order)
    if delivered:
        split = orders.money_split(order, delivered)
        vendor_total, commission_total, platform_total = split.vendor, split.commission, split.platform
        vendor = await system_account(AccountKind.VENDOR, order.currency)
        revenue = await system_account(AccountKind.REVENUE, order.currency)
        splits: list[Split] = []
        extra: list[Leg] = []
        if commission_total > 0:
            party = await Party.get(id=order.party_id)
            commission = await party_account(party.parent_id, AccountKind.COMMISSION, order.currency)
            splits.append(Split(commission.id, commission_total, TransferKind.COMMISSION_ACCRUAL))
        if platform_total >= 0:
            splits.append(Split(vendor.id, vendor_total))
            if platform_total:
                splits.append(Split(revenue.id, platform_total))
        else:  # an admin allowed this card below cost: the platform pays the difference
            splits.append(Split(vendor.id, vendor_total + platform_total))
            extra.append(Leg(revenue.id, vendor.id, -platform_total, TransferKind.ORDER_CAPTURE))
        await ledger.capture(hold_id=order.hold_id, splits=[s for s in splits if s.amount > 0], actor="worker",
                             idempotency_key=key, extra_legs=extra,
                             memo=await orders.order_memo(order, f"{delivered} of {order.quantity} delivered"))
    if delivered < order.quantity:
        missing = order.quantity - delivered
        text = "not delivered, refunded" if delivered == 0 else f"{missing} of {order.quantity} not delivered, refunded"
        await ledger.release(hold_id=order.hold_id, actor="worker", idempotency_key=key,
                             memo=await orders.order_memo(order, text))


async def _lock_settlement_accounts(order: Order) -> None:
    """A capture then a release in one transaction: lock every account of both first, ascending.

    Locked operation by operation, the capture takes the holds account before the release takes the
    buyer's wallet: the reverse of a new order's hold (wallet, then holds, ascending ids), so a
    partial settlement and an order of the same party deadlock.
    """
    hold = await Hold.get(id=order.hold_id)
    ids = {hold.wallet_account_id, hold.hold_account_id,
           (await system_account(AccountKind.VENDOR, order.currency)).id,
           (await system_account(AccountKind.REVENUE, order.currency)).id}
    if order.quote["commission_unit"] > 0:
        party = await Party.get(id=order.party_id)
        ids.add((await party_account(party.parent_id, AccountKind.COMMISSION, order.currency)).id)
    await lock_accounts(ids)


async def _notify_settled(order: Order) -> list:
    """Outbox rows for the partner's webhook and the ordering member, written in this transaction."""
    from core.orders.notify import order_settled

    return await order_settled(order)
