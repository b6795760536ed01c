"""Exchange rates: Bamboo's USD-based table into `catalog_exchange_rate`, and cross rates from it.

`sync_exchange_rates` stores 1 USD = r QUOTE for every currency Bamboo lists (one request, one
upsert statement). `rate(base, quote)` answers any pair: the identity for the same currency, a
stored pair (or its inverse), else the cross rate through USD (USD→quote / USD→base). Rates are
Decimal end to end, kept to 10 decimal places (the column), banker's rounding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.catalog.models import ExchangeRate
from core.logging import get_logger
from core.vendors.bamboo import BambooClient

log = get_logger(__name__)

PIVOT = "USD"
_RATE_PLACES = Decimal("1e-10")  # catalog_exchange_rate numeric(24, 10)
_ONE = Decimal(1)


@dataclass(frozen=True)
class RatesSyncResult:
    base: str
    added: int
    changed: int
    rates: int  # pairs received
    seconds: float


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(_RATE_PLACES, rounding=ROUND_HALF_EVEN)


async def sync_exchange_rates(client: BambooClient, *, now: datetime | None = None) -> RatesSyncResult:
    """Fetch the USD-based table and upsert it per (base, quote). `synced_at` moves on every sync
    (it says how fresh the rate is); `changed` counts only rates whose value moved."""
    started = time.perf_counter()
    table = await client.get_exchange_rates()  # no parameters: every rate from USD
    base = table.base_currency_code.strip().upper()
    values: dict[str, Decimal] = {}
    for entry in table.rates:
        quote = entry.currency_code.strip().upper()
        if len(quote) != 3 or not entry.value.is_finite() or entry.value <= 0:
            log.warning("catalog.rates.skipped", base=base, quote=quote)
            continue
        values[quote] = _quantize(entry.value)
    values.pop(base, None)  # 1 USD = 1 USD: answered by rate() without a row
    stamp = now or datetime.now(UTC)
    added = changed = 0
    if values:
        async with in_transaction("default") as conn:
            rows = await conn.execute_query_dict(
                """
                INSERT INTO catalog_exchange_rate AS r (base, quote, rate, synced_at)
                SELECT $1, q, v, $4 FROM unnest($2::text[], $3::numeric[]) AS t(q, v)
                ON CONFLICT (base, quote) DO UPDATE SET rate = EXCLUDED.rate, synced_at = EXCLUDED.synced_at
                RETURNING (r.xmax = 0) AS inserted,
                          (SELECT o.rate FROM catalog_exchange_rate o WHERE o.id = r.id) AS old_rate,
                          r.rate AS new_rate
                """,
                [base, list(values), list(values.values()), stamp],
            )
        # The sub-select sees the statement's snapshot, i.e. the value before this upsert.
        added = sum(1 for r in rows if r["inserted"])
        changed = sum(1 for r in rows if not r["inserted"] and r["old_rate"] != r["new_rate"])
    result = RatesSyncResult(
        base=base, added=added, changed=changed, rates=len(values),
        seconds=time.perf_counter() - started,
    )
    log.info("catalog.rates.synced", base=base, rates=result.rates, added=added, changed=changed)
    return result


async def rate(base: str, quote: str) -> Decimal | None:
    """1 `base` = rate `quote`; None when neither a stored pair nor the USD table can answer."""
    base, quote = base.strip().upper(), quote.strip().upper()
    if base == quote:
        return _ONE
    rows = await ExchangeRate.filter(
        Q(base=base, quote=quote) | Q(base=quote, quote=base) | Q(base=PIVOT, quote__in=[base, quote])
    ).values_list("base", "quote", "rate")
    table = {(b, q): r for b, q, r in rows}
    with localcontext() as ctx:
        ctx.prec = 40
        if (base, quote) in table:
            return table[(base, quote)]
        if (quote, base) in table and table[(quote, base)] > 0:
            return _quantize(_ONE / table[(quote, base)])
        from_pivot_to_base = _ONE if base == PIVOT else table.get((PIVOT, base))
        from_pivot_to_quote = _ONE if quote == PIVOT else table.get((PIVOT, quote))
        if not from_pivot_to_base or not from_pivot_to_quote:
            return None
        return _quantize(from_pivot_to_quote / from_pivot_to_base)
