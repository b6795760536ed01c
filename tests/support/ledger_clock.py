"""A settable clock for ledger tests: operations (and so their transfers) are stamped with it.

Commission payouts cut at month ends; tests move the clock instead of waiting for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.ledger import posting


@dataclass
class LedgerClock:
    now: datetime

    def set(self, *args: int) -> datetime:
        """`clock.set(2026, 10, 10)` or `clock.set(2026, 11, 1, 0, 15)`, in UTC."""
        self.now = datetime(*args, tzinfo=UTC)
        return self.now


def install_ledger_clock(monkeypatch, *modules) -> LedgerClock:
    """`datetime.now()` in the posting module (and in `modules`) reads the returned clock."""
    clock = LedgerClock(datetime.now(UTC))

    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return clock.now.astimezone(tz) if tz is not None else clock.now.replace(tzinfo=None)

    for module in (posting, *modules):
        monkeypatch.setattr(module, "datetime", ClockDatetime)
    return clock
