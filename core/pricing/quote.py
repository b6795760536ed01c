"""The pricing chain of PRODUCT.md §3 as one pure function. Rounding happens here and only here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from core.money import from_minor, round_to_minor
from core.pricing.errors import InvalidQuantity, PriceBelowCost

ONE = Decimal(1)
MAX_QUANTITY = 500


@dataclass(frozen=True)
class QuoteInput:
    face: Decimal  # in the card's currency
    quantity: int
    card_currency: str
    wallet_currency: str
    # Effective discounts from the top of the buyer's chain down to the buyer itself.
    chain_discounts: tuple[Decimal, ...]
    # Bamboo's price for this face, in `vendor_currency`.
    vendor_price: Decimal
    vendor_currency: str
    fx_rate: Decimal = ONE  # 1 card currency = fx_rate wallet currency
    vendor_fx_rate: Decimal = ONE  # 1 vendor currency = vendor_fx_rate wallet currency
    fx_margin: Decimal = Decimal(0)
    allow_loss: bool = False


@dataclass(frozen=True)
class Quote:
    """Every input and every derived amount, so a statement line can always be explained."""

    face: str
    quantity: int
    card_currency: str
    currency: str  # the wallet's
    discount: str
    parent_discount: str | None
    top_discount: str
    fx_rate: str
    fx_margin: str
    unit_price: int  # minor units of `currency`
    total: int
    parent_unit_price: int | None
    commission_unit: int  # what the direct parent earns per card
    vendor_unit_cost: int
    platform_unit: int  # what the platform keeps per card
    top_unit_price: int
    quoted_at: str
    inputs: dict = field(default_factory=dict)

    @property
    def commission_total(self) -> int:
        return self.commission_unit * self.quantity

    @property
    def vendor_total(self) -> int:
        return self.vendor_unit_cost * self.quantity

    @property
    def platform_total(self) -> int:
        return self.total - self.commission_total - self.vendor_total

    @property
    def rate_of_face(self) -> Decimal:
        """Price as a fraction of face value (after FX), e.g. 0.9470."""
        return (ONE - Decimal(self.discount)).quantize(Decimal("0.0001"))

    def to_dict(self) -> dict:
        return asdict(self)


def effective_chain(discounts: list[Decimal]) -> tuple[Decimal, ...]:
    """Top to buyer: a level never gets more discount than the level above it."""
    capped: list[Decimal] = []
    for d in discounts:
        capped.append(min(d, capped[-1]) if capped else d)
    return tuple(capped)


def compute_quote(q: QuoteInput, *, now: datetime) -> Quote:
    if not 1 <= q.quantity <= MAX_QUANTITY:
        raise InvalidQuantity(f"quantity must be between 1 and {MAX_QUANTITY}")
    chain = effective_chain(list(q.chain_discounts))
    buyer_d = chain[-1]
    parent_d = chain[-2] if len(chain) > 1 else None
    top_d = chain[0]
    same_currency = q.card_currency == q.wallet_currency
    fx = ONE if same_currency else q.fx_rate * (ONE + q.fx_margin)

    def price_at(discount: Decimal) -> int:
        return round_to_minor(q.face * (ONE - discount) * fx, q.wallet_currency)

    unit = price_at(buyer_d)
    parent_unit = price_at(parent_d) if parent_d is not None else None
    top_unit = price_at(top_d)
    vendor_rate = ONE if q.vendor_currency == q.wallet_currency else q.vendor_fx_rate
    vendor_unit = round_to_minor(q.vendor_price * vendor_rate, q.wallet_currency)
    commission_unit = unit - parent_unit if parent_unit is not None else 0
    if top_unit < vendor_unit and not q.allow_loss:
        raise PriceBelowCost(
            "this card would sell below what the vendor charges us",
            top_price=str(from_minor(top_unit, q.wallet_currency)),
        )
    return Quote(
        face=str(q.face), quantity=q.quantity, card_currency=q.card_currency, currency=q.wallet_currency,
        discount=str(buyer_d), parent_discount=None if parent_d is None else str(parent_d),
        top_discount=str(top_d), fx_rate=str(q.fx_rate if not same_currency else ONE),
        fx_margin=str(q.fx_margin if not same_currency else Decimal(0)),
        unit_price=unit, total=unit * q.quantity, parent_unit_price=parent_unit,
        commission_unit=commission_unit, vendor_unit_cost=vendor_unit,
        platform_unit=unit - commission_unit - vendor_unit, top_unit_price=top_unit,
        quoted_at=now.isoformat(),
        inputs={
            "vendor_price": str(q.vendor_price), "vendor_currency": q.vendor_currency,
            "vendor_fx_rate": str(vendor_rate), "chain_discounts": [str(d) for d in q.chain_discounts],
            "allow_loss": q.allow_loss,
        },
    )


def vendor_price_for(face: Decimal, *, min_face: Decimal, max_face: Decimal,
                     price_min: Decimal, price_max: Decimal) -> Decimal:
    """Bamboo gives a price range for the face range; a range card's price is proportional."""
    if max_face == min_face:
        return price_min
    return price_min + (face - min_face) * (price_max - price_min) / (max_face - min_face)
