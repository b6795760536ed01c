"""Per-key rate limits (being built): a token bucket in Redis, RateLimit-* headers on every response."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Adds the rate-limit middleware to `app`."""
