"""Settling a locked order: store its cards, book what the vendor charged, capture and release.

Used by the worker (`pipeline.settle`, `pipeline.settle_failed`) and by an admin settling an order
by hand (`resolve`). The caller holds the order's row lock and owns the transaction; the money moves
through the ledger's one use case, `settle_hold`, exactly once per order.

Vendor cost. The vendor leg is what Bamboo says it charged (Get Order's `total`, in the Bamboo
account's currency), not the quote's cost from the hourly catalog sync. The buyer pays the quoted
price either way; the platform's revenue absorbs the difference, which is recorded on the order
(`vendor_cost_difference`) and alerted above VENDOR_COST_ALERT_PERCENT of the quoted cost.

Currencies. Bamboo charges in the account's currency, our ledger operation is in the order's
(wallet) currency:
- the same currency: the charge is booked as is (rounded half-up to the minor unit);
- another currency: it is converted at the synced Bamboo exchange rate (`catalog_exchange_rate`,
  no FX margin: that margin is the buyer's), the rate recorded with the charge on the order
  (`vendor_cost_source = "vendor_fx"`);
- no charge known (Bamboo sent no total or currency, no rate for the pair, cards entered by an
  admin): the quote's vendor cost is booked (`vendor_cost_source = "quote"`).
The periodic reconciliation (`core.orders.vendor_charges`) compares these bookings with Bamboo's
transactions report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.config import get_settings
from core.crypto import encrypt
from core.ledger.settlement import DeliveredSplit, settle_hold
from core.logging import get_logger
from core.money import format_money, round_to_minor
from core.orders import service as orders
from core.orders.models import Card, Order, OrderStatus

log = get_logger("orders.settle")

# Bamboo card statuses (bamboo-api.md §2.11): Sold = purchased; Failed = not charged; Paused,
# Processing, Created = not final yet (no code).
CARD_FAILED = "failed"


@dataclass(frozen=True)
class DeliveredCard:
    """One card as it is stored: the code and PIN only ever leave this object encrypted."""

    vendor_card_id: str
    code: str
    pin: str | None = None
    serial: str | None = None
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # a stray log of this object must not print the code
        return f"DeliveredCard(vendor_card_id={self.vendor_card_id!r}, code=****{self.code[-4:]})"


@dataclass(frozen=True)
class VendorCharge:
    """What the vendor says it charged for the whole order, in its account's currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CardsAtVendor:
    delivered: list[DeliveredCard]
    pending: int  # cards the vendor lists without a code yet (Processing, Paused, Created)


def cards_at_vendor(vendor_order) -> CardsAtVendor:
    """Bamboo's cards: delivered (a code, not Failed), still pending (no code, not Failed)."""
    from core.vendors.bamboo import OrderStatus as VendorStatus

    if vendor_order.status == VendorStatus.FAILED:
        return CardsAtVendor([], 0)
    delivered: list[DeliveredCard] = []
    pending = 0
    for position, card in enumerate(vendor_order.cards()):
        if (card.status or "").strip().lower() == CARD_FAILED:
            continue
        if card.card_code is None or not card.card_code.get_secret_value():
            pending += 1
            continue
        delivered.append(DeliveredCard(
            # Bamboo's card id; its position in the order when Bamboo gives none (never the serial).
            vendor_card_id=str(card.id) if card.id is not None else f"#{position}",
            code=card.card_code.get_secret_value(),
            pin=card.pin.get_secret_value() if card.pin else None,
            serial=card.serial_number, expires_at=card.expiration_date,
        ))
    return CardsAtVendor(delivered, pending)


def charge_of(vendor_order) -> VendorCharge | None:
    if vendor_order.total is None or not vendor_order.currency or vendor_order.total < 0:
        return None
    return VendorCharge(amount=vendor_order.total, currency=vendor_order.currency.strip().upper())


@dataclass(frozen=True)
class VendorCost:
    booked: int  # the vendor leg, minor units of the order's currency
    quoted: int  # the quote's vendor cost of the delivered cards
    source: str  # vendor | vendor_fx | quote | none
    charge: VendorCharge | None
    rate: Decimal | None = None  # charge currency → order currency, when converted

    @property
    def difference(self) -> int:
        return self.booked - self.quoted


async def vendor_cost(order: Order, delivered: int, charge: VendorCharge | None) -> VendorCost:
    quoted = order.quote["vendor_unit_cost"] * delivered
    if charge is None:
        return VendorCost(booked=quoted, quoted=quoted, source="quote" if delivered else "none", charge=None)
    if charge.currency == order.currency:
        return VendorCost(booked=round_to_minor(charge.amount, order.currency), quoted=quoted, source="vendor",
                          charge=charge)
    from core.catalog.rates import rate

    fx = await rate(charge.currency, order.currency)
    if fx is None:
        log.warning("vendor_charge_without_rate", order_id=str(order.id), currency=charge.currency)
        return VendorCost(booked=quoted, quoted=quoted, source="quote", charge=charge)
    return VendorCost(booked=round_to_minor(charge.amount * fx, order.currency), quoted=quoted,
                      source="vendor_fx", charge=charge, rate=fx)


def difference_worth_an_alert(cost: VendorCost) -> bool:
    if cost.difference == 0:
        return False
    if cost.quoted == 0:
        return True  # charged for cards nobody received
    return abs(cost.difference) * 100 > cost.quoted * get_settings().vendor_cost_alert_percent


async def settle_locked(order: Order, *, cards: list[DeliveredCard], charge: VendorCharge | None, actor,
                        failure: tuple[str, str] | None = None, vendor_order_id: str | None = None) -> list:
    """Store `cards`, capture their share, release the rest, write the outcome. Returns outbox rows.

    `failure` (code, message) explains an order that ends with no card.
    """
    delivered = cards[: order.quantity]
    for card in delivered:
        expires = card.expires_at.isoformat() if card.expires_at else None
        await Card.create(
            order_id=order.id, vendor_card_id=card.vendor_card_id, code_encrypted=encrypt(card.code),
            pin_encrypted=encrypt(card.pin) if card.pin else None,
            serial_encrypted=encrypt(card.serial) if card.serial else None,
            expires_encrypted=encrypt(expires) if expires else None, code_last4=card.code[-4:],
        )
    count = len(delivered)
    status = (OrderStatus.FAILED if count == 0 else
              OrderStatus.PARTIALLY_COMPLETED if count < order.quantity else OrderStatus.COMPLETED)
    cost = await vendor_cost(order, count, charge)
    commission = order.quote["commission_unit"] * count
    parent_id = None
    if commission:
        from core.parties.models import Party

        parent_id = await Party.filter(id=order.party_id).first().values_list("parent_id", flat=True)
    memo_delivered = await orders.order_memo(order, f"{count} of {order.quantity} delivered")
    missing = order.quantity - count
    memo_refund = await orders.order_memo(
        order, "not delivered, refunded" if count == 0 else f"{missing} of {order.quantity} not delivered, refunded")
    await settle_hold(
        hold_id=order.hold_id, actor=actor, idempotency_key=f"order:{order.id}",
        split=DeliveredSplit(paid=order.unit_price * count, vendor=cost.booked, commission=commission,
                             commission_party_id=parent_id),
        capture_memo=memo_delivered, release_memo=memo_refund,
    )
    failure_code, failure_message = failure if (failure and count == 0) else (None, None)
    await orders.move(
        order, status, cards_delivered=count, completed_at=datetime.now(UTC),
        vendor_order_id=vendor_order_id or order.vendor_order_id,
        failure_code=failure_code, failure_message=failure_message[:500] if failure_message else None,
        vendor_cost=cost.booked, vendor_cost_difference=cost.difference, vendor_cost_source=cost.source,
        vendor_charged=cost.charge.amount if cost.charge else None,
        vendor_charge_currency=cost.charge.currency if cost.charge else None,
        vendor_charge_rate=cost.rate,
    )
    from core.orders.notify import order_settled

    rows = list(await order_settled(order))
    if order.livemode and difference_worth_an_alert(cost):  # the simulator's sandbox charges alert no one
        rows += await _alert_vendor_cost(order, cost)
    log.info("order_settled", order_id=str(order.id), status=status, cards=count,
             vendor_cost=cost.booked, vendor_cost_difference=cost.difference, vendor_cost_source=cost.source)
    return rows


async def _alert_vendor_cost(order: Order, cost: VendorCost) -> list:
    from core.notifications.alerts import alert_admins_once

    charged = (f"{cost.charge.amount.normalize():f} {cost.charge.currency}" if cost.charge
               else format_money(cost.booked, order.currency))
    return await alert_admins_once(
        key=f"vendor_cost:{order.id}", message_key="admin.vendor_cost_difference", ttl=timedelta(days=30),
        params={"order_id": str(order.id), "quoted": format_money(cost.quoted, order.currency),
                "charged": charged, "difference": format_money(cost.difference, order.currency)},
        buttons=[{"text_key": "button.open_vendor", "data": "adm:vendor"}],
    )
