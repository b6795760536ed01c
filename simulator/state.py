"""In-memory simulator state: accounts, orders, transactions, stats, notification config.

Concurrency: every mutation runs without an ``await`` inside it (and under an RLock), so it is
atomic for the asyncio event loop and safe if a thread ever calls in. Orders are processed by
time: each order has a due time; a ``loop.call_later`` timer finalizes it then, and any read of
the order (get order, report, transactions, stats) finalizes it too if the timer has not fired
yet, so the status never depends on the timer alone.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx

from simulator import rates
from simulator.catalog import Brand, Catalog, Product, generate_catalog, utcnow
from simulator.config import SimulatorConfig
from simulator.faults import Faults
from simulator.jsonutil import dumps, fmt_date, fmt_date_plain
from simulator.ratelimit import RateLimiter, message as rate_limit_message, whole_seconds

log = logging.getLogger("simulator")

_CENT = Decimal("0.01")
_MONEY_QUANTUM = Decimal("0.0001")  # Bamboo's totals and balances carry 4 decimals
TERMINAL = ("Succeeded", "Failed", "PartialFailed")

# Face value cents → forced outcome (README "Magic values"). Priority when several lines differ.
MAGIC_CENTS = {1: "failed", 2: "partial", 3: "slow", 4: "error500", 5: "hang", 6: "late", 7: "paused"}
_MAGIC_PRIORITY = ["error500", "hang", "failed", "partial", "slow", "late", "paused"]
# Outcomes that end Succeeded while some cards have no code yet (README "Magic values").
_WITHHOLDING = {"late": "Processing", "paused": "Paused"}

REASON_MESSAGES = {
    "WrongAccount": "The account ID being used is incorrect. Please ensure you are using the valid account ID as indicated in the API response.",
    "InsufficientBalance": "Your account balance is insufficient for this transaction. Kindly add funds to your account and attempt the transaction again.",
    "InvalidProductIds": "The product IDs you are providing are invalid. Please use valid IDs from your catalog.",
    "InvalidProduct": "This product cannot be ordered. Please try again with a different product.",
    "InvalidDenomination": "The denomination value you are providing is invalid. Please pass a value that matches the minimum or maximum product value.",
    "NoProducts": "The request must contain products to buy.",
    "OrderAlreadyExists": "This order already exists. Please try again with a new requestId.",
    "ClientCatalogNotExist": "The catalogue you are using does not exist.",
    "OrderNotFound": "The order you are trying to get is not found.",
    "CardsLimitExceeded": "There is a limit on the number of cards you can purchase for this product in a single call. The maximum limit is 500 cards.",
    "ProductIsOutOfStock": "The product is out of stock.",
    "ClientPriceInvalid": "If the client price is not valid, contact your account manager.",
    "UserNotEnabled": "This user is not enabled yet.",
}


def money(value: Decimal) -> Decimal:
    """Round to Bamboo's 4 decimals, banker's rounding (.NET's default), no trailing zeros."""
    return clean(value.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN))


def clean(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class SimError(Exception):
    """An error answer: ``{"message": message}`` with ``status``."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        *,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.extra}


def canonical_request_id(raw: Any) -> str:
    if not isinstance(raw, str):
        raise SimError("InvalidRequest", extra={"detail": "RequestId must be a GUID string"})
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise SimError("InvalidRequest", extra={"detail": "RequestId must be a GUID"}) from None


def magic_of(face: Decimal) -> str | None:
    if face != face.quantize(_CENT):
        return None
    return MAGIC_CENTS.get(int(face.quantize(_CENT).scaleb(2)) % 100)


@dataclass
class Account:
    id: int
    currency: str
    balance: Decimal
    active: bool = True

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "currency": self.currency,
            "balance": clean(self.balance),
            "isActive": self.active,
            "sandboxMode": True,
        }


@dataclass
class OrderLine:
    product_id: int | None  # v1 (by ProductId)
    quantity: int
    value: Decimal
    sku: str | None = None  # v2 (by Sku)


@dataclass
class OrderItem:
    product_id: int
    product_name: str
    brand_name: str
    sku: str
    country: str
    currency: str  # brand / price currency
    face: Decimal
    quantity: int
    unit_price: Decimal  # exact, brand currency
    discount: Decimal
    rate: Decimal  # brand currency → account currency
    delivered: int | None = None  # set when terminal
    status: str | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)
    # Card index → monotonic time its code appears (None: never), for cards charged but not yet
    # retrievable; listed meanwhile with `withheld_status` and no code.
    withheld: dict[int, float | None] = field(default_factory=dict)
    withheld_status: str = "Processing"

    def charge(self, quantity: int) -> Decimal:
        return self.unit_price * quantity * self.rate


@dataclass
class Order:
    order_id: int
    request_id: str  # as the client sent it
    key: str  # canonical lower-case GUID
    account_id: int
    currency: str  # account currency
    items: list[OrderItem]
    outcome: str  # succeeded | failed | partial | slow | late | paused
    magic: str | None
    created: datetime
    created_mono: float
    due_mono: float
    created_window: float
    total: Decimal  # what is charged now (full until terminal, then delivered only)
    api_version: str = "v1"
    final_status: str | None = None
    completed: datetime | None = None
    error_message: str | None = None

    @property
    def order_number(self) -> str:
        return f"O-{self.order_id:08d}"

    @property
    def total_cards(self) -> int:
        return sum(i.quantity for i in self.items)


def _empty_placement(request_id: str) -> dict[str, Any]:
    return {"requestId": request_id, "calls": 0, "created": False, "duplicates": 0, "rejections": {}}


class Stats:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.responses: dict[str, Counter[str]] = {}
        self.rate_limited: Counter[str] = Counter()
        self.faults_injected: dict[str, Counter[str]] = {}
        self.down_rejections = 0
        self.auth_failures: Counter[str] = Counter()
        self.placements: dict[str, dict[str, Any]] = {}
        self.invalid_place_requests = 0
        self.notifications: dict[str, Any] = {"sent": 0, "failed": 0, "attempts": 0, "recent": []}

    def response(self, endpoint: str, status: int) -> None:
        self.responses.setdefault(endpoint, Counter())[str(status)] += 1
        if status == 429:
            self.rate_limited[endpoint] += 1

    def fault(self, endpoint: str, status: int) -> None:
        self.faults_injected.setdefault(endpoint, Counter())[str(status)] += 1

    def placement(self, key: str, request_id: str) -> dict[str, Any]:
        entry = self.placements.get(key)
        if entry is None:
            entry = self.placements[key] = _empty_placement(request_id)
        return entry

    def reset_counters(self) -> None:
        self.__init__()


class Simulator:
    """The whole mutable state of one simulator instance."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self._lock = threading.RLock()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.generation = 0
        self.reset()

    # -- lifecycle ------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, products: int | None = None) -> None:
        cfg = self.config
        if seed is not None or products is not None:
            self.config = cfg = cfg.with_overrides(
                **({"seed": seed} if seed is not None else {}),
                **({"products": products} if products is not None else {}),
            )
        with self._lock:
            self.generation += 1
            for handle in self._timers.values():
                handle.cancel()
            self._timers.clear()
            self.catalog: Catalog = generate_catalog(cfg.seed, cfg.products)
            self.accounts: dict[int, Account] = {
                int(a["id"]): Account(
                    int(a["id"]), str(a["currency"]).upper(), Decimal(str(a["balance"])),
                    bool(a.get("active", True)),
                )
                for a in cfg.accounts
            }
            self.orders: dict[str, Order] = {}
            self.transactions: list[dict[str, Any]] = []
            self.stats = Stats()
            self.faults = Faults(
                down=cfg.down, error_rate=cfg.error_rate, error_statuses=list(cfg.error_statuses),
                latency_ms=cfg.latency_ms, seed=cfg.seed,
            )
            self.limiter = RateLimiter()
            self.rate_limits_enabled = cfg.rate_limits
            self.per_product_limit = cfg.per_product_limit
            self.order_delay = max(0.0, cfg.order_delay)
            self.pending_hold_seconds = max(0.0, cfg.pending_hold_seconds)
            self.timeout_hang_seconds = max(0.0, cfg.timeout_hang_seconds)
            self.late_card_seconds = max(0.0, cfg.late_card_seconds)
            self.client_enabled = True
            self.catalog_assigned = True
            self.notification: dict[str, Any] = {
                "notificationUrl": None, "notificationUrlSandbox": None, "secretKey": None,
            }
            self._next_order_id = 6_800_001
            self._next_card_id = 24_150_001
            self._next_transaction_id = 6_677_701

    async def aclose(self) -> None:
        with self._lock:
            for handle in self._timers.values():
                handle.cancel()
            self._timers.clear()
            tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def knobs(self) -> dict[str, Any]:
        return {
            "order_delay": self.order_delay,
            "pending_hold_seconds": self.pending_hold_seconds,
            "timeout_hang_seconds": self.timeout_hang_seconds,
            "late_card_seconds": self.late_card_seconds,
            "rate_limits": self.rate_limits_enabled,
            "per_product_limit": self.per_product_limit,
            "client_enabled": self.client_enabled,
            "catalog_assigned": self.catalog_assigned,
            "seed": self.config.seed,
            "products": self.config.products,
        }

    def set_knobs(self, spec: dict[str, Any]) -> None:
        mapping = {
            "order_delay": ("order_delay", float), "orderDelay": ("order_delay", float),
            "pending_hold_seconds": ("pending_hold_seconds", float),
            "pendingHoldSeconds": ("pending_hold_seconds", float),
            "timeout_hang_seconds": ("timeout_hang_seconds", float),
            "timeoutHangSeconds": ("timeout_hang_seconds", float),
            "late_card_seconds": ("late_card_seconds", float),
            "lateCardSeconds": ("late_card_seconds", float),
            "rate_limits": ("rate_limits_enabled", bool), "rateLimits": ("rate_limits_enabled", bool),
            "per_product_limit": ("per_product_limit", bool),
            "perProductLimit": ("per_product_limit", bool),
            "client_enabled": ("client_enabled", bool), "clientEnabled": ("client_enabled", bool),
            "catalog_assigned": ("catalog_assigned", bool),
            "catalogAssigned": ("catalog_assigned", bool),
        }
        unknown = set(spec) - set(mapping)
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        with self._lock:
            for key, value in spec.items():
                attr, kind = mapping[key]
                value = kind(value)
                if kind is float and value < 0:
                    raise ValueError(f"{key} must be >= 0")
                setattr(self, attr, value)

    # -- accounts -------------------------------------------------------------------------------

    def accounts_json(self) -> dict[str, Any]:
        return {"accounts": [a.json() for _, a in sorted(self.accounts.items())]}

    def upsert_account(self, account_id: int, spec: dict[str, Any]) -> Account:
        with self._lock:
            account = self.accounts.get(account_id)
            if account is None:
                currency = str(spec.get("currency", "")).upper()
                if currency not in rates.USD_RATES:
                    raise ValueError("a new account needs a currency from the rate table")
                account = self.accounts[account_id] = Account(account_id, currency, Decimal(0))
            if "currency" in spec:
                currency = str(spec["currency"]).upper()
                if currency not in rates.USD_RATES:
                    raise ValueError(f"currency {currency} is not in the rate table")
                account.currency = currency
            if "balance" in spec:
                account.balance = Decimal(str(spec["balance"]))
            if "active" in spec:
                account.active = bool(spec["active"])
            return account

    # -- orders ---------------------------------------------------------------------------------

    def place(self, raw_request_id: Any, account_id: Any, lines: list[OrderLine] | None,
              *, api_version: str = "v1", line_error: SimError | None = None) -> Order:
        """Validate and record an order (synchronous, atomic). Raises SimError."""
        try:
            key = canonical_request_id(raw_request_id)
        except SimError:
            self.stats.invalid_place_requests += 1
            raise
        with self._lock:
            entry = self.stats.placement(key, str(raw_request_id))
            entry["calls"] += 1
            try:
                order = self._place_locked(
                    key, str(raw_request_id), account_id, lines, api_version, line_error
                )
            except SimError as exc:
                if exc.message == "OrderAlreadyExists":
                    entry["duplicates"] += 1
                else:
                    code = exc.message if exc.status == 400 else str(exc.status)
                    entry["rejections"][code] = entry["rejections"].get(code, 0) + 1
                raise
            entry["created"] = True
            return order

    def _add_sandbox_product(self, product_id: int | None, currency: str) -> None:
        if product_id is None:
            return
        brand_id = 900_000_000 + product_id
        product = Product(id=product_id, brand_id=brand_id, name=f"Sandbox card {product_id}",
                          min_face=Decimal("0.01"), max_face=Decimal("100000"), count=None,
                          discount=Decimal("5"), modified=utcnow())
        self.catalog._add_brand(Brand(id=brand_id, name="Sandbox", sku=f"sandbox-{product_id}", country="US",
                                      currency=currency, status="Live", categories=[], modified=utcnow(),
                                      products=[product]))

    def resolve(self, line: OrderLine) -> Product:
        if line.sku is None:
            product = self.catalog.products.get(line.product_id) if line.product_id else None
            if product is None:
                raise SimError("InvalidProductIds")
            return product
        brand = self.catalog.brand_by_sku(line.sku)
        if brand is None or not brand.products:
            raise SimError(
                f"Product with sku {line.sku} not found. Ask your administrator to add it to catalog"
            )
        candidates = sorted(brand.products, key=lambda p: not p.is_fixed)  # fixed ones first
        product = next((p for p in candidates if p.accepts(line.value)), None)
        if product is None:
            raise SimError("InvalidProduct" if not brand.orderable else "InvalidDenomination")
        return product

    def _place_locked(self, key: str, request_id: str, account_id: Any,
                      lines: list[OrderLine] | None, api_version: str,
                      line_error: SimError | None) -> Order:
        cfg = self.config
        if not self.client_enabled:
            raise SimError("UserNotEnabled")
        if key in self.orders:
            raise SimError("OrderAlreadyExists")
        try:
            account = self.accounts.get(int(account_id))
        except (TypeError, ValueError):
            account = None
        if account is None or not account.active:
            raise SimError("WrongAccount")
        if not self.catalog_assigned:
            raise SimError("ClientCatalogNotExist")
        if not lines and line_error is None:
            raise SimError("NoProducts")
        if line_error is not None:
            raise line_error
        assert lines is not None
        if sum(line.quantity for line in lines) > cfg.max_cards_per_order:
            raise SimError("CardsLimitExceeded")

        items: list[OrderItem] = []
        products: list[Product] = []
        needed: Counter[int] = Counter()
        for line in lines:
            if cfg.accept_any_product and line.sku is None and line.product_id not in self.catalog.products:
                self._add_sandbox_product(line.product_id, account.currency)
            product = self.resolve(line)
            brand = self.catalog.brand_of(product)
            if not brand.orderable:
                raise SimError("InvalidProduct")
            if not product.accepts(line.value):
                raise SimError("InvalidDenomination")
            needed[product.id] += line.quantity
            if product.count is not None and product.count < needed[product.id]:
                raise SimError("ProductIsOutOfStock")
            unit = product.unit_price(line.value)
            if product.price_invalid or unit <= 0:
                raise SimError("ClientPriceInvalid")
            products.append(product)
            items.append(
                OrderItem(
                    product_id=product.id, product_name=product.name, brand_name=brand.name,
                    sku=brand.sku, country=brand.country, currency=brand.currency,
                    face=clean(line.value), quantity=line.quantity, unit_price=unit,
                    discount=product.discount, rate=rates.rate(brand.currency, account.currency),
                )
            )
        total = money(sum((item.charge(item.quantity) for item in items), Decimal(0)))
        if total > account.balance:
            raise SimError("InsufficientBalance")

        now_mono = time.monotonic()
        product_ids = [p.id for p in products]
        if self.rate_limits_enabled and self.per_product_limit:
            wait = self.limiter.product_wait(product_ids, now_mono)
            if wait > 0:
                seconds = whole_seconds(wait)
                raise SimError(rate_limit_message(seconds), 429, retry_after=seconds)

        magics = {m for m in (magic_of(line.value) for line in lines) if m}
        magic = next((m for m in _MAGIC_PRIORITY if m in magics), None)
        if magic == "error500":
            raise SimError("An error has occurred.", 500)

        # Record: charge, take stock, schedule processing.
        account.balance -= total
        for product in products:
            if product.count is not None:
                product.count -= needed.pop(product.id, 0)
        outcome = {"failed": "failed", "partial": "partial", "slow": "slow", "late": "late",
                   "paused": "paused"}.get(magic or "", "succeeded")
        delay = self.order_delay
        if outcome == "slow":
            delay = max(delay, self.pending_hold_seconds)
        order = Order(
            order_id=self._next_order_id, request_id=request_id, key=key,
            account_id=account.id, currency=account.currency, items=items, outcome=outcome,
            magic=magic, created=utcnow(), created_mono=now_mono, due_mono=now_mono + delay,
            created_window=min(0.25 * self.order_delay, 0.5), total=total,
            api_version=api_version,
        )
        self._next_order_id += 1
        self.orders[key] = order
        self.limiter.record_products(product_ids, now_mono)
        self._transaction(order, "Order", total, account)
        self._schedule(order, delay)
        return order

    def _schedule(self, order: Order, delay: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (sync caller): reads finalize the order lazily
        generation = self.generation
        self._timers[order.key] = loop.call_later(
            delay, self._timer_fired, order.key, generation
        )

    def _timer_fired(self, key: str, generation: int) -> None:
        try:
            if generation != self.generation:
                return
            self._timers.pop(key, None)
            order = self.orders.get(key)
            if order is not None:
                self.finalize(order)
        except Exception:  # never let a timer kill the loop
            log.exception("simulator: finalizing order %s failed", key)

    def find_order(self, raw_request_id: str) -> Order:
        try:
            key = str(uuid.UUID(raw_request_id.strip()))
        except ValueError:
            raise SimError("OrderNotFound") from None
        order = self.orders.get(key)
        if order is None:
            raise SimError("OrderNotFound")
        return order

    def status_of(self, order: Order, now: float | None = None) -> str:
        if order.final_status:
            return order.final_status
        now = time.monotonic() if now is None else now
        if now >= order.due_mono:
            self.finalize(order)
            return order.final_status or "Processing"
        if now - order.created_mono < order.created_window:
            return "Created"
        return "Pending" if order.outcome == "slow" else "Processing"

    def finalize(self, order: Order) -> None:
        with self._lock:
            if order.final_status:
                return
            if order.outcome == "failed":
                status, error = "Failed", "The card provider could not fulfil the order."
            elif order.outcome == "partial":
                status, error = "PartialFailed", "Some cards could not be issued."
            else:
                status, error = "Succeeded", None
            final_charge = Decimal(0)
            for item in order.items:
                if status == "Failed":
                    item.delivered = 0
                elif status == "PartialFailed":
                    item.delivered = item.quantity // 2
                else:
                    item.delivered = item.quantity
                item.status = (
                    "Succeeded" if item.delivered == item.quantity
                    else "Failed" if item.delivered == 0 else "PartialFailed"
                )
                item.cards = [self._card(order.created) for _ in range(item.delivered)]
                if order.outcome in _WITHHOLDING:
                    item.withheld_status = _WITHHOLDING[order.outcome]
                    if order.outcome == "late":  # the second half (all of one card) arrives later
                        due = time.monotonic() + self.late_card_seconds
                        item.withheld = {i: due for i in range(item.delivered // 2, item.delivered)}
                    elif item.delivered:  # the last card never arrives, though it is charged
                        item.withheld = {item.delivered - 1: None}
                final_charge += item.charge(item.delivered)
                undelivered = item.quantity - item.delivered
                product = self.catalog.products.get(item.product_id)
                if undelivered and product is not None and product.count is not None:
                    product.count += undelivered
            final_total = money(final_charge)
            refund = order.total - final_total
            order.total = final_total
            order.final_status = status
            order.error_message = error
            order.completed = utcnow()
            account = self.accounts.get(order.account_id)
            if refund > 0 and account is not None:
                account.balance += refund
                self._transaction(order, "Refund", refund, account)
            handle = self._timers.pop(order.key, None)
            if handle is not None:
                handle.cancel()
        self._notify(order)

    @staticmethod
    def _card_view(item: OrderItem, index: int, card: dict[str, Any]) -> dict[str, Any]:
        """A card as Get Order shows it now: a withheld one has no code, PIN or expiry yet."""
        if index not in item.withheld:
            return dict(card)
        due = item.withheld[index]
        if due is not None and time.monotonic() >= due:
            return dict(card)
        return {**card, "cardCode": None, "pin": None, "expirationDate": None, "status": item.withheld_status}

    def _card(self, created: datetime) -> dict[str, Any]:
        card_id = self._next_card_id
        self._next_card_id += 1
        try:
            expires = created.replace(year=created.year + 1)
        except ValueError:  # 29 February
            expires = created + timedelta(days=365)
        return {
            "id": card_id,
            "serialNumber": str(uuid.uuid4()),
            "cardCode": uuid.uuid4().hex,
            "pin": f"{secrets.randbelow(1000):03d}",
            "expirationDate": fmt_date(expires),
            "status": "Sold",
        }

    def settle_due(self) -> None:
        """Finalize every order whose time has come (reads call this before reporting)."""
        now = time.monotonic()
        for order in list(self.orders.values()):
            if not order.final_status and now >= order.due_mono:
                self.finalize(order)

    # -- JSON views -----------------------------------------------------------------------------

    def order_json(self, order: Order) -> dict[str, Any]:
        status = self.status_of(order)
        return {
            "orderId": order.order_id,
            "requestId": order.request_id,
            "items": [
                {
                    "brandCode": None,
                    "productId": item.product_id,
                    "productFaceValue": item.face,
                    "quantity": item.quantity,
                    "pictureUrl": None,
                    "countryCode": item.country,
                    "currencyCode": item.currency,
                    "status": item.status or status,
                    "cards": [self._card_view(item, i, card) for i, card in enumerate(item.cards)],
                }
                for item in order.items
            ],
            "status": status,
            "createdDate": fmt_date(order.created),
            "total": clean(order.total),
            "errorMessage": order.error_message,
            "orderType": "Sandbox",
            "currency": order.currency,
        }

    def place_v2_json(self, order: Order) -> dict[str, Any]:
        return {
            "requestId": order.request_id,
            "orderNumber": order.order_number,
            "status": self.status_of(order),
            "currencyCode": order.currency,
            "totalCards": order.total_cards,
        }

    def report(self, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
        self.settle_due()
        rows = []
        for order in sorted(self.orders.values(), key=lambda o: o.order_id):
            if (start and order.created < start) or (end and order.created > end):
                continue
            status = self.status_of(order)
            day = order.created.replace(hour=0, minute=0, second=0, microsecond=0)
            for item in order.items:
                quantity = item.quantity if item.delivered is None else item.delivered
                rows.append({
                    "clientName": self.config.client_name,
                    "orderNumber": order.order_number,
                    "orderDate": fmt_date_plain(day),
                    "clientReferenceNumber": order.request_id,
                    "channel": "Sandbox",
                    "productName": item.product_name,
                    "denomination": f"{item.currency} {item.face}",
                    "quantity": item.quantity,
                    "unitPrice": money(item.unit_price * item.rate),
                    "subTotal": money(item.charge(quantity)),
                    "total": clean(order.total),
                    "accountCurrency": order.currency,
                    "status": status,
                })
        return rows

    def _transaction(self, order: Order, kind: str, amount: Decimal, account: Account) -> None:
        txn_id = self._next_transaction_id
        self._next_transaction_id += 1
        self.transactions.append({
            "id": txn_id, "order": order, "kind": kind, "amount": clean(amount),
            "balance": clean(account.balance), "at": utcnow(),
        })

    def transactions_json(self, start: datetime | None, end: datetime | None) -> dict[str, Any]:
        self.settle_due()
        out = []
        for txn in self.transactions:
            at: datetime = txn["at"]
            if (start and at < start) or (end and at > end):
                continue
            order: Order = txn["order"]
            acct = order.currency
            out.append({
                "orderId": order.order_id,
                "requestId": order.request_id,
                "productId": order.items[0].product_id,
                "orderNumber": order.order_number,
                "orderTotal": {"value": clean(order.total), "currencyCode": acct},
                "orderTotalForSelectedProducts": {"value": clean(order.total), "currencyCode": acct},
                "currencyCode": None,
                "orderDate": fmt_date(order.created),
                # Bamboo's examples carry a trailing space in transactionId; so do we.
                "transactionId": f"{txn['id']} ",
                "transactionType": txn["kind"],
                "comment": None,
                "notes": None,
                "availableBalance": {"value": txn["balance"], "currencyCode": acct},
                "transactionAmount": {"value": txn["amount"], "currencyCode": acct},
                "transactionDate": fmt_date(at),
                "orderItems": [self._txn_item(item, acct) for item in order.items],
                "clientName": None,
                "orderType": None,
                "xeroCreditNoteNumber": None,
            })
        now = utcnow()
        first = min((t["at"] for t in self.transactions), default=now)
        return {
            "startDate": fmt_date_plain(start or first.replace(hour=0, minute=0, second=0, microsecond=0)),
            "endDate": fmt_date_plain(end or now),
            "clients": [{"clientName": self.config.client_name, "transactions": out}],
        }

    @staticmethod
    def _txn_item(item: OrderItem, account_currency: str) -> dict[str, Any]:
        quantity = item.quantity if item.delivered is None else item.delivered
        same = item.currency == account_currency
        return {
            "createdDate": "0001-01-01T00:00:00",
            "productName": item.product_name,
            "brandName": item.brand_name,
            "brandCurrencyCode": item.currency,
            "brandWithDenominationCurrency": f"{item.brand_name} {item.currency}",
            "denomination": {"value": item.face, "currencyCode": item.currency},
            "clientDiscountType": "Percentage",
            "clientDiscountValue": item.discount,
            "clientTransactionFeeType": "Fixed",
            "clientTransactionFeeValue": 0,
            "clientPrice": {"value": money(item.unit_price), "currencyCode": item.currency},
            "estimatedPrice": {"value": money(item.unit_price), "currencyCode": item.currency},
            "quantity": quantity,
            "clientTotal": money(item.charge(quantity)),
            "clientExchangeRate": {
                "fromCurrency": item.currency,
                "toCurrency": account_currency,
                "exchangeRate": 0 if same else item.rate,
            },
        }

    # -- notifications --------------------------------------------------------------------------

    def set_notification(self, spec: dict[str, Any]) -> dict[str, Any]:
        lowered = {k.lower(): v for k, v in spec.items()}
        with self._lock:
            for name in ("notificationUrl", "notificationUrlSandbox", "secretKey"):
                if name.lower() in lowered:
                    value = lowered[name.lower()]
                    self.notification[name] = None if value is None else str(value)
            return dict(self.notification)

    def _notify(self, order: Order) -> None:
        url = self.notification.get("notificationUrlSandbox") or self.notification.get(
            "notificationUrl"
        )
        if not url:
            return
        payload = {
            "orderId": order.order_id,
            "status": (order.final_status or "").lower(),
            "totalCards": order.total_cards,
            "createdOn": fmt_date(order.created),
            "completedOn": fmt_date(order.completed or utcnow()),
            "secretKey": self.notification.get("secretKey"),
            "requestId": order.request_id,
        }
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._record_notification(url, payload, ok=False, attempts=0, error="no event loop")
            return
        task = loop.create_task(self._deliver(url, payload, self.generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, payload: dict[str, Any], generation: int) -> None:
        cfg = self.config
        attempts = 0
        error: str | None = None
        body = dumps(payload).encode()
        try:
            async with httpx.AsyncClient(
                transport=cfg.notification_transport, timeout=cfg.notification_timeout
            ) as client:
                for attempt in range(max(1, cfg.notification_retries)):
                    attempts += 1
                    self.stats.notifications["attempts"] += 1
                    try:
                        response = await client.post(
                            url, content=body, headers={"Content-Type": "application/json"}
                        )
                        if response.status_code < 300:
                            self._record_notification(url, payload, ok=True, attempts=attempts)
                            return
                        error = f"HTTP {response.status_code}"
                    except httpx.HTTPError as exc:
                        error = f"{type(exc).__name__}: {exc}"
                    if attempt + 1 < cfg.notification_retries:
                        await asyncio.sleep(cfg.notification_backoff * (2**attempt))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never crash the app over a callback
            error = f"{type(exc).__name__}: {exc}"
        if generation == self.generation:
            self._record_notification(url, payload, ok=False, attempts=attempts, error=error)

    def _record_notification(self, url: str, payload: dict[str, Any], *, ok: bool,
                             attempts: int, error: str | None = None) -> None:
        stats = self.stats.notifications
        stats["sent" if ok else "failed"] += 1
        stats["recent"].append({
            "requestId": payload["requestId"], "status": payload["status"], "url": url,
            "ok": ok, "attempts": attempts, "error": error,
        })
        del stats["recent"][:-100]

    # -- stats ----------------------------------------------------------------------------------

    def stats_json(self) -> dict[str, Any]:
        self.settle_due()
        st = self.stats
        by_status: Counter[str] = Counter(self.status_of(o) for o in self.orders.values())
        placements = st.placements
        return {
            "uptime_seconds": round(time.monotonic() - st.started, 3),
            "requests": dict(st.requests),
            "responses": {k: dict(v) for k, v in st.responses.items()},
            "rate_limited": dict(st.rate_limited),
            "rate_limited_total": sum(st.rate_limited.values()),
            "faults_injected": {k: dict(v) for k, v in st.faults_injected.items()},
            "down_rejections": st.down_rejections,
            "auth_failures": dict(st.auth_failures),
            "orders": {"total": len(self.orders), "by_status": dict(by_status)},
            "placements": placements,
            "invalid_place_requests": st.invalid_place_requests,
            "max_place_calls_per_request_id": max(
                (p["calls"] for p in placements.values()), default=0
            ),
            "duplicate_place_request_ids": sorted(
                p["requestId"] for p in placements.values() if p["duplicates"]
            ),
            "notifications": {
                **{k: v for k, v in st.notifications.items() if k != "recent"},
                "recent": list(st.notifications["recent"]),
            },
            "catalog": {
                "brands": len(self.catalog.listed_brands()),
                "products": self.catalog.product_count,
            },
            "knobs": self.knobs(),
            "faults": self.faults.describe(),
        }
