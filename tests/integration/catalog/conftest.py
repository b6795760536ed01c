"""Fixtures for the catalog sync tests: `sim` = a fresh simulator + client on a clean database."""

from __future__ import annotations

import pytest

from tests.integration.catalog.catalog_sim import Sim


@pytest.fixture
async def sim(db):
    s = Sim()
    try:
        yield s
    finally:
        await s.aclose()
