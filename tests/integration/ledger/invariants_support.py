"""Helpers for the invariant checker's tests: run it, and edit rows the way an intruder would."""

from __future__ import annotations

from core.access.actor import Actor
from core.db import atomic
from core.ledger.invariants import CheckReport, run_check

ADMIN = Actor.admin(label="test")


async def check(*, full: bool = False) -> CheckReport:
    return await run_check(actor=ADMIN, full=full)


def rules(report: CheckReport) -> set[str]:
    return {v.rule for v in report.violations}


async def behind_the_ledgers_back(sql: str, *args) -> None:
    """Run `sql` past the immutability trigger (replica mode skips ordinary triggers)."""
    async with atomic() as conn:
        await conn.execute_query("SET LOCAL session_replication_role = replica")
        await conn.execute_query(sql, list(args))
