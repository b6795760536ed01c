"""Simulator properties (hypothesis): exact money in JSON, exact debits, at-most-once orders."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import Simulator, SimulatorConfig
from simulator.jsonutil import dumps, loads
from simulator.rates import rate
from simulator.state import OrderLine, SimError


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**9, max_value=10**9))
def test_decimals_round_trip_exactly_through_json(value):
    text = dumps({"v": value})
    assert "e" not in text.lower()
    assert loads(text)["v"] == value


# (product id, face currency, discount %) of fixed test products, and range values for 900001.
FIXED = [(439685, Decimal(10), "USD", Decimal("5.2995")), (2120025, Decimal(25), "EUR", Decimal(5)),
         (2121010, Decimal(10), "GBP", Decimal(4)), (2118020, Decimal(20), "AED", Decimal(2))]


@settings(max_examples=60, deadline=None)
@given(
    choice=st.integers(0, len(FIXED)),
    cents=st.integers(100, 100000),
    quantity=st.integers(1, 40),
    account=st.sampled_from([555, 556, 557]),
)
def test_debit_equals_formula_and_final_charge_matches_delivered_cards(choice, cents, quantity, account):
    sim = Simulator(SimulatorConfig(products=60, order_delay=0, rate_limits=False))
    acct = sim.accounts[account]
    if choice < len(FIXED):
        product_id, face, currency, discount = FIXED[choice]
    else:
        product_id, face, currency, discount = 900001, Decimal(cents) / 100, "USD", Decimal(5)
    before = acct.balance
    request_id = str(uuid.uuid4())
    if face % 1 == Decimal("0.04"):  # magic: HTTP 500, nothing recorded
        with pytest.raises(SimError) as err:
            sim.place(request_id, account, [OrderLine(product_id, quantity, face)])
        assert err.value.status == 500 and acct.balance == before and not sim.orders
        return
    order = sim.place(request_id, account, [OrderLine(product_id, quantity, face)])
    exact = face * (1 - discount / 100) * quantity * rate(currency, acct.currency)
    charged = exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    assert order.total == charged
    assert before - acct.balance == charged

    sim.finalize(order)  # no event loop here: the status is settled explicitly
    delivered = sum(len(item.cards) for item in order.items)
    expected_cards = {"Failed": 0, "PartialFailed": quantity // 2}.get(order.final_status, quantity)
    assert delivered == expected_cards
    final = (face * (1 - discount / 100) * delivered * rate(currency, acct.currency)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    assert before - acct.balance == order.total == final

    with pytest.raises(SimError) as repeat:
        sim.place(request_id.upper(), account, [OrderLine(product_id, quantity, face)])
    assert repeat.value.message == "OrderAlreadyExists"
    assert len(sim.orders) == 1 and sim.stats.placements[request_id]["duplicates"] == 1
