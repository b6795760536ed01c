"""The order pipeline the worker runs: place once, poll until terminal, settle exactly once.

Each step returns what should happen next (`Step`); the job layer turns that into an arq job with
a deterministic id. No step holds a database transaction open while it talks to the vendor.

Attempts. Only a place request that really went out counts towards MAX_PLACE_ATTEMPTS: the Bamboo
account lookup, a rate-limit wait, a refused connection and our own configuration errors are
deferrals. Configuration errors (no Bamboo account for the currency, credentials refused, an answer
we cannot read, Bamboo refusing us rather than the order) alert the admins once and retry slowly.
Giving up proves first that Bamboo has no such order: one last lookup by requestId once the last
attempt's request can no longer be on its way.

Settlement never loops: an error no retry heals (a missing commission account, a ledger rule)
halts the order — it leaves the worker's and the reconciler's hands, admins are alerted once, and
an admin settles it (`core.orders.resolve`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.config import get_settings
from core.db import atomic, is_retryable_db_error, run_atomic
from core.logging import get_logger
from core.orders import service as orders
from core.orders.models import TERMINAL_STATUSES, Order, OrderStatus
from core.orders.settle import cards_at_vendor, charge_of, settle_locked
from core.vendors.bamboo import (
    BambooClient,
    NoVendorAccount,
    OrderAlreadyExists,
    OrderNotFound,
    OrderProduct,
    VendorAuthError,
    VendorError,
    VendorOutcomeUnknown,
    VendorRateLimited,
    VendorRejected,
    VendorResponseInvalid,
    VendorUnavailable,
)
from core.vendors.bamboo import Order as VendorOrder

log = get_logger("orders.pipeline")

# Vendor refusals that are about us, not the order: retry later instead of failing the buyer.
RETRYABLE_REJECTIONS = frozenset({"InsufficientBalance", "UserNotEnabled", "ClientCatalogNotExist", "WrongAccount"})
POLL_DELAYS = (0.5, 1, 1, 2, 2, 4, 8, 15, 30, 60)
# After a timeout the request may still be on its way: look for it only after this grace.
OUTCOME_UNKNOWN_GRACE = 5.0
RETRY_DELAY = 30.0
# A configuration problem (no account, credentials, unreadable answers) is not fixed in seconds.
CONFIG_RETRY_DELAY = 300.0
# Placements that provably did not reach Bamboo (each one checked by polling) before giving up.
# Outages do not count: while Bamboo is down the order waits in "placing" and is polled.
MAX_PLACE_ATTEMPTS = 5
WORKER = "worker"


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


# --- place -------------------------------------------------------------------------------------


async def place(*, order_id, vendor: BambooClient) -> Step:
    """Send the order to Bamboo once. A second run never re-sends blindly: it polls first."""
    order = await Order.get(id=order_id)
    if order.is_terminal or order.halted_at is not None:
        return Step.done()
    if order.status != OrderStatus.PENDING:
        return Step("poll")  # an earlier attempt may have reached Bamboo (crash, timeout): find out first
    if order.attempts >= MAX_PLACE_ATTEMPTS:
        return await _give_up(order, vendor)
    # The account first: a failed lookup never sent the order, so it is no attempt.
    try:
        account_id = await vendor.resolve_account_id(order.card_currency)
    except NoVendorAccount as exc:
        return await _defer(order_id, exc, CONFIG_RETRY_DELAY,
                            alert=(f"vendor_account:{order.card_currency}", "no_account"))
    except VendorAuthError as exc:
        return await _defer(order_id, exc, CONFIG_RETRY_DELAY, alert=("vendor_auth", "auth"))
    except VendorRateLimited as exc:
        return await _defer(order_id, exc, exc.wait_seconds)
    except VendorError as exc:  # down, 5xx, unreadable: the order itself never went out
        return await _defer(order_id, exc, RETRY_DELAY / 6)
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.is_terminal or order.halted_at is not None:
            return Step.done()
        if order.status != OrderStatus.PENDING:
            return Step("poll")
        await orders.move(order, OrderStatus.PLACING, attempts=order.attempts + 1, placed_at=datetime.now(UTC))
    try:
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
            return await _back_to_pending(order_id, exc, RETRY_DELAY, alert=(f"vendor_refused:{exc.code}", exc.code))
        return await settle_failed(order_id=order_id, code=f"vendor.{exc.code}", message=exc.message)
    except VendorRateLimited as exc:
        return await _back_to_pending(order_id, exc, exc.wait_seconds)
    except VendorAuthError as exc:
        return await _back_to_pending(order_id, exc, CONFIG_RETRY_DELAY, alert=("vendor_auth", "auth"))
    except VendorUnavailable as exc:
        if not exc.request_sent:
            return await _back_to_pending(order_id, exc, RETRY_DELAY / 6)
        await _note_error(order_id, exc)
        return Step("poll", OUTCOME_UNKNOWN_GRACE, placement_over=order.attempts)
    except VendorOutcomeUnknown as exc:
        await _note_error(order_id, exc)
        return Step("poll", OUTCOME_UNKNOWN_GRACE, placement_over=order.attempts)
    except VendorResponseInvalid as exc:
        return await _unreadable_answer(order, exc, vendor)
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status == OrderStatus.PLACING:
            await orders.move(order, OrderStatus.PROCESSING)
    return Step("poll", poll_delay(0))


async def _alert_vendor_problem(alert: tuple[str, str], order_id, error: Exception) -> list:
    """Admins hear once (per problem and TTL) that the vendor refuses us for a reason of ours."""
    from core.notifications.alerts import alert_admins_once

    key, problem = alert
    return await alert_admins_once(key=f"vendor_config:{key}", message_key="admin.vendor_config",
                                   params={"problem": problem, "error": _short(error)[:300],
                                           "order_id": str(order_id)},
                                   buttons=[{"text_key": "button.open_vendor", "data": "adm:vendor"}])


async def _defer(order_id, error: Exception, delay: float, *, alert: tuple[str, str] | None = None) -> Step:
    """A pending order waits without an attempt (nothing was sent); the next place job gets a new id."""
    rows: list = []
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status != OrderStatus.PENDING:
            return Step.done() if order.is_terminal else Step("poll")
        order.last_error = _short(error)
        order.deferrals += 1
        await order.save(update_fields=["last_error", "deferrals", "updated_at"])
        if alert is not None:
            rows = await _alert_vendor_problem(alert, order_id, error)
    return Step("place", max(delay, 0.5), rows)


async def _back_to_pending(order_id, error: Exception, delay: float, *, reached_vendor: bool = False,
                           alert: tuple[str, str] | None = None) -> Step:
    """The vendor provably does not have the order: it may be placed again later.

    Only attempts that reached Bamboo count towards MAX_PLACE_ATTEMPTS; a rate limit or a
    refused connection is a deferral, so a 429 storm or an outage never fails an order.
    """
    rows: list = []
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.status == OrderStatus.PLACING:
            changes = {"last_error": _short(error), "deferrals": order.deferrals + 1}
            if not reached_vendor:
                changes["attempts"] = max(order.attempts - 1, 0)
            await orders.move(order, OrderStatus.PENDING, **changes)
            if alert is not None:
                rows = await _alert_vendor_problem(alert, order_id, error)
    return Step("place", max(delay, 0.5), rows)


async def _note_error(order_id, error: Exception, *, alert: tuple[str, str] | None = None) -> list:
    async with atomic():
        order = await orders.lock_order(order_id)
        order.last_error = _short(error)
        await order.save(update_fields=["last_error", "updated_at"])
        return await _alert_vendor_problem(alert, order_id, error) if alert is not None else []


async def _unreadable_answer(order: Order, error: VendorResponseInvalid, vendor: BambooClient) -> Step:
    """Bamboo answered the place call with something we cannot read: a contract or configuration
    problem (a wrong BAMBOO_BASE_URL answers 404), not the order's. Look the order up: if Bamboo
    has it, go on polling; if not, the order waits without losing an attempt, and admins hear."""
    try:
        await vendor.get_order(order.vendor_request_id)
    except OrderNotFound:
        return await _back_to_pending(order.id, error, CONFIG_RETRY_DELAY, alert=("unreadable", "unreadable"))
    except VendorError:  # the lookup failed too: the normal poll decides later
        await _note_error(order.id, error)
        return Step("poll", OUTCOME_UNKNOWN_GRACE, placement_over=order.attempts)
    await _note_error(order.id, error)
    return Step("poll", 0.0, placement_over=order.attempts)


async def _give_up(order: Order, vendor: BambooClient) -> Step:
    """After MAX_PLACE_ATTEMPTS: release the money only once Bamboo provably has no such order."""
    wait = _in_flight_seconds_left(order, vendor)
    if wait > 0:  # the last attempt's request could still arrive: look after that
        return await _defer(order.id, RuntimeError("waiting out the last attempt before giving up"), wait)
    try:
        found = await vendor.get_order(order.vendor_request_id)
    except OrderNotFound:
        return await settle_failed(order_id=order.id, code="vendor.unavailable",
                                   message="the vendor did not accept the order after several attempts")
    except VendorRateLimited as exc:
        return await _defer(order.id, exc, exc.wait_seconds)
    except VendorError as exc:
        return await _defer(order.id, exc, RETRY_DELAY)
    log.warning("order_found_at_vendor_before_giving_up", order_id=str(order.id), status=found.status)
    async with atomic():
        locked = await orders.lock_order(order.id)
        if locked.status == OrderStatus.PENDING and locked.halted_at is None:
            await orders.move(locked, OrderStatus.PLACING)
    return Step("poll", 0.0, placement_over=order.attempts)


def _in_flight_window(vendor: BambooClient) -> float | None:
    """How long after an order turns `placing` its request may still reach Bamboo.

    The order turns `placing` before its job waits for slots of the shared rate budget (the
    product, place-order: up to the limiter's max wait each, one more to spare) and sends with the
    client's timeouts.
    None: no shared budget, so nothing waits and the sending job alone knows its request is over.
    """
    limiter = vendor.rate_limiter
    if limiter is None or not limiter.enabled:
        return None
    max_wait = limiter.max_wait_seconds if limiter.max_wait_seconds is not None else 120.0
    t = vendor.timeout
    request = sum(x or 0 for x in (t.connect, t.write, t.read, t.pool))
    return 3 * max_wait + 2 * request + OUTCOME_UNKNOWN_GRACE


def _in_flight_seconds_left(order: Order, vendor: BambooClient) -> float:
    window = _in_flight_window(vendor)
    if window is None or order.placed_at is None:
        return 0.0
    return max(0.0, window - (datetime.now(UTC) - order.placed_at).total_seconds())


def _placement_may_be_in_flight(order: Order, vendor: BambooClient) -> bool:
    """Whether the request of the attempt that made this order `placing` may still reach Bamboo."""
    return _in_flight_seconds_left(order, vendor) > 0


# --- poll --------------------------------------------------------------------------------------


async def poll(*, order_id, vendor: BambooClient, placement_over: int | None = None) -> Step:
    order = await Order.get(id=order_id)
    if order.status in TERMINAL_STATUSES or order.halted_at is not None:
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
    except (VendorAuthError, VendorResponseInvalid) as exc:  # ours to fix, not the order's: say so, poll slowly
        problem = "auth" if isinstance(exc, VendorAuthError) else "unreadable"
        rows = await _note_error(order_id, exc, alert=(problem, problem))
        return Step("poll", max(RETRY_DELAY, poll_delay(order.polls)), rows, placement_over=placement_over)
    except VendorError as exc:
        await _note_error(order_id, exc)
        return Step("poll", poll_delay(order.polls), placement_over=placement_over)
    pending = cards_at_vendor(vendor_order).pending if vendor_order.is_terminal else 0
    if vendor_order.is_terminal and (not pending or await _stop_waiting_for_cards(order, pending)):
        return await settle(order_id=order_id, vendor_order=vendor_order)
    if order.status == OrderStatus.PLACING:  # Bamboo has it: it is processing, not being placed
        async with atomic():
            locked = await orders.lock_order(order_id)
            if locked.status == OrderStatus.PLACING:
                await orders.move(locked, OrderStatus.PROCESSING)
    return Step("poll", poll_delay(order.polls))


async def _stop_waiting_for_cards(order: Order, pending: int) -> bool:
    """Bamboo is final but some cards have no code yet: wait for them, ORDER_CARD_WAIT_SECONDS at most.

    Bamboo charged for them, so refunding them early would pay the buyer back for cards that are
    about to arrive. Past the bound the order settles on what was delivered.
    """
    wait = timedelta(seconds=get_settings().order_card_wait_seconds)
    now = datetime.now(UTC)
    if order.cards_pending_since is None:
        await Order.filter(id=order.id, cards_pending_since__isnull=True).update(cards_pending_since=now)
        log.info("order_waits_for_cards", order_id=str(order.id), pending=pending)
        return wait.total_seconds() <= 0
    if now - order.cards_pending_since < wait:
        return False
    log.warning("order_cards_never_arrived", order_id=str(order.id), pending=pending)
    return True


# --- settle ------------------------------------------------------------------------------------


async def settle(*, order_id, vendor_order: VendorOrder) -> Step:
    """Store the cards Bamboo delivered, book what it charged, capture their share, release the rest,
    notify — exactly once (several workers may get here with the same answer)."""
    at_vendor = cards_at_vendor(vendor_order)
    failure = None
    if not at_vendor.delivered:
        failure = ("vendor.failed", (vendor_order.error_message or "the vendor could not deliver this card"))
    vendor_order_id = None if vendor_order.order_id is None else str(vendor_order.order_id)

    async def go(order: Order) -> list:
        return await settle_locked(order, cards=at_vendor.delivered, charge=charge_of(vendor_order), actor=WORKER,
                                   failure=failure, vendor_order_id=vendor_order_id)

    return await _settle_or_halt(order_id, go)


async def settle_failed(*, order_id, code: str, message: str) -> Step:
    """The vendor refused the order outright (or provably never got it): the whole hold goes back."""
    async def go(order: Order) -> list:
        return await settle_locked(order, cards=[], charge=None, actor=WORKER, failure=(code, message))

    return await _settle_or_halt(order_id, go)


async def _settle_or_halt(order_id, settle_order) -> Step:
    async def once() -> Step:
        order = await orders.lock_order(order_id)
        if order.is_terminal or order.halted_at is not None:
            return Step.done()  # another worker got here first, or an admin has it
        return Step.done(await settle_order(order))

    try:
        return await run_atomic(once)
    except Exception as exc:
        if heals_by_retrying(exc):
            raise  # the job is retried, and the reconciler comes back to it
        return await halt(order_id, exc)


def heals_by_retrying(exc: BaseException) -> bool:
    """A lost race or a lost connection heals; a broken rule (a missing account, a bug) does not."""
    if is_retryable_db_error(exc):
        return True
    import asyncpg
    from tortoise.exceptions import DBConnectionError

    transient = (OSError, asyncio.TimeoutError, DBConnectionError, asyncpg.PostgresConnectionError,
                 asyncpg.InterfaceError)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, transient):
            return True
        current = current.__cause__ or current.__context__
    return False


async def halt(order_id, error: Exception) -> Step:
    """Stop working on the order and hand it to the admins (once): retrying would loop forever."""
    from core.orders.attention import flag_for_attention

    code = getattr(error, "code", None) or type(error).__name__
    reason = f"settlement failed: {code}: {getattr(error, 'message', None) or error}"[:500]
    log.error("order_settlement_halted", order_id=str(order_id), error=type(error).__name__, code=code)
    async with atomic():
        order = await orders.lock_order(order_id)
        if order.is_terminal:
            return Step.done()
        rows = await flag_for_attention(order, reason=reason, halt=True)
    return Step.done(rows)
