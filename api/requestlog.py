"""The partner's API request log (being built): recorded without a database round trip per request."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Adds the request-log middleware and its flusher to `app`."""
