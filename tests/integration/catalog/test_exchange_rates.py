"""Exchange-rate sync (USD table) and cross rates derived from it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from core.catalog.models import ExchangeRate
from core.catalog.rates import rate, sync_exchange_rates

TEN = Decimal("1e-10")
USD_TABLE = {
    "EUR": "0.92", "GBP": "0.79", "AED": "3.6725", "SAR": "3.75", "BHD": "0.376", "KWD": "0.3075",
    "QAR": "3.64", "OMR": "0.3845", "EGP": "48.5", "TRY": "32.5", "INR": "83.2", "CAD": "1.36",
    "AUD": "1.52",
}


async def test_rates_sync_stores_the_usd_table_exactly(sim):
    result = await sync_exchange_rates(sim.client)
    assert (result.base, result.rates, result.added, result.changed) == ("USD", 13, 13, 0)
    assert [r.url.path for r in sim.recorder.requests] == ["/api/integration/v1.0/exchange-rates"]
    stored = {r.quote: r.rate for r in await ExchangeRate.filter(base="USD")}
    assert stored == {q: Decimal(v) for q, v in USD_TABLE.items()}
    assert all(isinstance(v, Decimal) for v in stored.values())
    assert await ExchangeRate.all().count() == 13  # no USD→USD row: rate() knows the identity


async def test_rates_resync_counts_only_real_changes(sim):
    await sync_exchange_rates(sim.client)
    first_sync = (await ExchangeRate.get(base="USD", quote="EUR")).synced_at
    again = await sync_exchange_rates(sim.client)
    assert (again.added, again.changed) == (0, 0)
    await ExchangeRate.filter(base="USD", quote="GBP").update(rate=Decimal("0.8"))
    fixed = await sync_exchange_rates(sim.client)
    assert (fixed.added, fixed.changed) == (0, 1)
    assert (await ExchangeRate.get(base="USD", quote="GBP")).rate == Decimal("0.79")
    # Freshness moves on every sync, changed or not.
    assert (await ExchangeRate.get(base="USD", quote="EUR")).synced_at > first_sync
    assert await ExchangeRate.all().count() == 13


async def test_cross_rates_from_the_usd_table(sim):
    assert await rate("EUR", "GBP") is None  # nothing synced yet
    assert await rate("EUR", "EUR") == Decimal(1)  # identity needs no data
    await sync_exchange_rates(sim.client)
    assert await rate("USD", "EUR") == Decimal("0.92")
    assert await rate("usd", "aed") == Decimal("3.6725")
    assert await rate("EUR", "USD") == (1 / Decimal("0.92")).quantize(TEN, ROUND_HALF_EVEN)
    assert await rate("EUR", "USD") == Decimal("1.0869565217")
    assert await rate("EUR", "GBP") == (Decimal("0.79") / Decimal("0.92")).quantize(TEN, ROUND_HALF_EVEN)
    assert await rate("AED", "INR") == Decimal("22.6548672566")
    assert await rate("USD", "USD") == Decimal(1)
    assert await rate("USD", "XYZ") is None and await rate("XYZ", "EUR") is None
    # Bamboo's own cross rates are the same ratio rounded to 6 places.
    for base, quote in (("EUR", "GBP"), ("AED", "INR"), ("GBP", "EUR"), ("KWD", "EGP")):
        vendor = (await sim.client.get_exchange_rates(base_currency=base, currency=quote)).rate_for(quote)
        ours = await rate(base, quote)
        assert ours.quantize(Decimal("0.000001"), ROUND_HALF_EVEN) == vendor, (base, quote, ours, vendor)


async def test_a_stored_direct_pair_wins_over_the_cross_rate(sim):
    await sync_exchange_rates(sim.client)
    await ExchangeRate.create(base="EUR", quote="GBP", rate=Decimal("0.85"), synced_at=datetime.now(UTC))
    assert await rate("EUR", "GBP") == Decimal("0.85")
    assert await rate("GBP", "EUR") == (1 / Decimal("0.85")).quantize(TEN, ROUND_HALF_EVEN)
