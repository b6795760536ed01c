"""Bamboo's per-endpoint rate limits (bamboo-api.md §3) as sliding windows.

Only accepted requests use up the budget; a request answered 429 does not. The wait reported is
the time until the oldest request in the window leaves it (or until the 500 ms place-order
spacing has passed), rounded up to whole seconds in the 429 message and ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

# bucket: (limit, window seconds). Endpoints not listed here use OTHER (per endpoint).
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "catalog_v1": (2, 3600.0),
    "get_order": (120, 60.0),
    "place_order": (2, 1.0),
    "exchange_rates": (20, 60.0),
    "transactions": (4, 3600.0),
}
OTHER_LIMIT: tuple[int, float] = (1, 1.0)
PLACE_SPACING = 0.5  # seconds between consecutive place-order calls
PER_PRODUCT_LIMIT: tuple[int, float] = (6, 60.0)  # orders for the same product

# Endpoint name → bucket name (both place-order versions share one budget).
BUCKET_OF = {"place_order_v2": "place_order"}


def message(wait_seconds: int) -> str:
    return f"Too many requests. Please wait for {wait_seconds} seconds for the next request"


def whole_seconds(wait: float) -> int:
    return max(1, math.ceil(wait - 1e-9))


@dataclass
class Limit:
    limit: int
    window: float


class SlidingWindow:
    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self.hits: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return 0.0
        return self.hits[len(self.hits) - self.limit] + self.window - now

    def record(self, now: float) -> None:
        self.hits.append(now)


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.limits: dict[str, Limit] = {k: Limit(*v) for k, v in DEFAULT_LIMITS.items()}
        self.other = Limit(*OTHER_LIMIT)
        self.place_spacing = PLACE_SPACING
        self.per_product = Limit(*PER_PRODUCT_LIMIT)
        self._windows: dict[str, SlidingWindow] = {}
        self._products: dict[int, SlidingWindow] = {}
        self._last_place: float | None = None

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._products.clear()
            self._last_place = None

    def _limit_for(self, bucket: str) -> Limit:
        return self.limits.get(bucket, self.other)

    def _window(self, bucket: str) -> SlidingWindow:
        window = self._windows.get(bucket)
        lim = self._limit_for(bucket)
        if window is None or window.limit != lim.limit or window.window != lim.window:
            old = window.hits if window else deque()
            window = SlidingWindow(lim.limit, lim.window)
            window.hits = old
            self._windows[bucket] = window
        return window

    def hit(self, endpoint: str, now: float) -> float:
        """Take one request for ``endpoint``; 0.0 if allowed, else seconds to wait."""
        bucket = BUCKET_OF.get(endpoint, endpoint)
        with self._lock:
            window = self._window(bucket)
            wait = window.wait(now)
            if bucket == "place_order" and self._last_place is not None and self.place_spacing > 0:
                wait = max(wait, self._last_place + self.place_spacing - now)
            if wait > 0:
                return wait
            window.record(now)
            if bucket == "place_order":
                self._last_place = now
            return 0.0

    def product_wait(self, product_ids: list[int], now: float) -> float:
        with self._lock:
            wait = 0.0
            for pid in set(product_ids):
                window = self._products.get(pid)
                if window is None:
                    continue
                window.limit, window.window = self.per_product.limit, self.per_product.window
                wait = max(wait, window.wait(now))
            return wait

    def record_products(self, product_ids: list[int], now: float) -> None:
        with self._lock:
            for pid in set(product_ids):
                window = self._products.get(pid)
                if window is None:
                    window = self._products[pid] = SlidingWindow(
                        self.per_product.limit, self.per_product.window
                    )
                window.record(now)

    def configure(self, spec: dict[str, Any]) -> None:
        """{"limits": {"catalog_v2": {"limit": 5, "window": 1}}, "other": {...},
        "placeSpacing": 0.5, "perProduct": {"limit": 6, "window": 60}}"""
        with self._lock:
            for bucket, value in (spec.get("limits") or {}).items():
                lim = Limit(int(value["limit"]), float(value["window"]))
                if bucket in ("other", "default"):
                    self.other = lim
                else:
                    self.limits[BUCKET_OF.get(bucket, bucket)] = lim
            if "other" in spec:
                self.other = Limit(int(spec["other"]["limit"]), float(spec["other"]["window"]))
            if "placeSpacing" in spec:
                self.place_spacing = float(spec["placeSpacing"])
            if "perProduct" in spec:
                pp = spec["perProduct"]
                self.per_product = Limit(int(pp["limit"]), float(pp["window"]))

    def describe(self) -> dict[str, Any]:
        return {
            "limits": {k: {"limit": v.limit, "window": v.window} for k, v in self.limits.items()},
            "other": {"limit": self.other.limit, "window": self.other.window},
            "placeSpacing": self.place_spacing,
            "perProduct": {"limit": self.per_product.limit, "window": self.per_product.window},
        }
