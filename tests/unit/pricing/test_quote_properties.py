"""The pricing chain as a pure function: properties that must hold for any inputs."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import round_to_minor
from core.pricing.errors import InvalidQuantity, PriceBelowCost
from core.pricing.quote import QuoteInput, compute_quote, effective_chain, vendor_price_for

NOW = datetime(2026, 11, 23, tzinfo=UTC)
discounts = st.decimals(min_value=0, max_value=Decimal("0.30"), places=4)
faces = st.decimals(min_value=1, max_value=1000, places=2)
rates = st.decimals(min_value=Decimal("0.2"), max_value=Decimal("5"), places=6)
vendor_shares = st.decimals(min_value=Decimal("0.50"), max_value=Decimal("1.10"), places=4)


def make(face, chain, vendor_share, *, quantity=1, fx=Decimal(1), card="USD", wallet="USD",
         allow_loss=False, margin=Decimal("0.02")):
    return QuoteInput(face=face, quantity=quantity, card_currency=card, wallet_currency=wallet,
                      chain_discounts=tuple(chain), vendor_price=face * vendor_share, vendor_currency=card,
                      fx_rate=fx, vendor_fx_rate=fx, fx_margin=margin, allow_loss=allow_loss)


@given(faces, st.lists(discounts, min_size=1, max_size=4), vendor_shares, st.integers(1, 500),
       rates, st.booleans())
def test_quote_properties(face, chain, vendor_share, quantity, fx, cross_currency):
    wallet = "EUR" if cross_currency else "USD"
    q = make(face, chain, vendor_share, quantity=quantity, fx=fx, wallet=wallet)
    try:
        quote = compute_quote(q, now=NOW)
    except PriceBelowCost:
        # Refused only when the cheapest level of the chain really is below cost.
        top = effective_chain(chain)[0]
        fx_eff = fx * Decimal("1.02") if cross_currency else Decimal(1)
        vendor = round_to_minor(face * vendor_share * (fx if cross_currency else 1), wallet)
        assert round_to_minor(face * (1 - top) * fx_eff, wallet) < vendor
        return
    # Never below vendor cost (platform keeps zero or more), never above face value.
    assert quote.platform_unit >= 0
    face_in_wallet = round_to_minor(face * (fx * Decimal("1.02") if cross_currency else 1), wallet)
    assert quote.unit_price <= face_in_wallet
    # The spread to the parent is never negative, and the split adds up to the total exactly.
    assert quote.commission_unit >= 0
    assert quote.vendor_total + quote.commission_total + quote.platform_total == quote.total
    assert quote.total == quote.unit_price * quantity


@given(faces, discounts, st.decimals(min_value=Decimal("1.0001"), max_value=Decimal("1.2"), places=4))
def test_allowed_loss_is_quoted_even_below_cost(face, discount, vendor_share):
    quote = compute_quote(make(face, [discount], vendor_share, allow_loss=True), now=NOW)
    assert quote.platform_unit == quote.unit_price - quote.vendor_unit_cost
    if quote.platform_unit < 0:  # the same card without the admin's allowance is refused
        with pytest.raises(PriceBelowCost):
            compute_quote(make(face, [discount], vendor_share), now=NOW)


def test_subagent_pays_exactly_the_spread_above_its_agent():
    agent = compute_quote(make(Decimal("100"), [Decimal("0.05")], Decimal("0.90")), now=NOW)
    sub = compute_quote(make(Decimal("100"), [Decimal("0.05"), Decimal("0.03")], Decimal("0.90")), now=NOW)
    assert (agent.unit_price, sub.unit_price) == (95_00, 97_00)
    assert sub.commission_unit == 2_00 and sub.parent_unit_price == agent.unit_price
    assert sub.platform_unit == 95_00 - 90_00


def test_a_child_discount_above_its_parent_is_capped_to_the_parent():
    sub = compute_quote(make(Decimal("50"), [Decimal("0.04"), Decimal("0.09")], Decimal("0.90")), now=NOW)
    assert sub.discount == "0.04" and sub.commission_unit == 0


def test_fx_conversion_with_margin_rounds_half_up_once():
    q = make(Decimal("10"), [Decimal("0.05")], Decimal("0.90"), fx=Decimal("1.1"), card="EUR", wallet="USD")
    quote = compute_quote(q, now=NOW)
    # 10 × 0.95 × 1.1 × 1.02 = 10.659 → 10.66
    assert quote.unit_price == 10_66 and quote.fx_rate == "1.1" and quote.fx_margin == "0.02"
    assert quote.vendor_unit_cost == 9_90  # vendor cost converts at the plain rate


def test_quantity_limits_and_profit_guard():
    with pytest.raises(InvalidQuantity):
        compute_quote(make(Decimal("10"), [Decimal("0")], Decimal("0.9"), quantity=0), now=NOW)
    with pytest.raises(InvalidQuantity):
        compute_quote(make(Decimal("10"), [Decimal("0")], Decimal("0.9"), quantity=501), now=NOW)
    with pytest.raises(PriceBelowCost):
        compute_quote(make(Decimal("10"), [Decimal("0.15")], Decimal("0.9")), now=NOW)


def test_range_card_vendor_price_is_proportional():
    price = vendor_price_for(Decimal("55"), min_face=Decimal("10"), max_face=Decimal("100"),
                             price_min=Decimal("9"), price_max=Decimal("90"))
    assert price == Decimal("49.5")
