"""Fault knobs: a down switch, random errors, added latency. Changed at runtime via /_sim/faults."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

ALLOWED_ERROR_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class Faults:
    down: bool = False
    error_rate: float = 0.0  # 0.0 … 1.0: fraction of vendor calls answered with an error
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    latency_ms: float = 0.0  # added to every vendor call
    latency_jitter_ms: float = 0.0  # plus uniform 0 … jitter
    endpoints: list[str] | None = None  # limit errors/latency to these endpoint names (None = all)
    storm_retry_after: int = 1  # wait announced by injected 429s
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"steller-sim-faults:{self.seed}")

    def applies_to(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints

    def pick_error(self, endpoint: str) -> int | None:
        if self.error_rate <= 0 or not self.applies_to(endpoint):
            return None
        if self.error_rate >= 1 or self._rng.random() < self.error_rate:
            return self._rng.choice(self.error_statuses or [500])
        return None

    def delay_seconds(self, endpoint: str) -> float:
        if not self.applies_to(endpoint):
            return 0.0
        extra = self._rng.uniform(0, self.latency_jitter_ms) if self.latency_jitter_ms > 0 else 0.0
        return max(0.0, (self.latency_ms + extra) / 1000.0)

    def update(self, spec: dict[str, Any]) -> None:
        """Partial update; unknown keys raise ValueError."""
        known = {
            "down", "error_rate", "errorRate", "error_statuses", "errorStatuses", "latency_ms",
            "latencyMs", "latency_jitter_ms", "latencyJitterMs", "endpoints", "storm_retry_after",
            "stormRetryAfter",
        }
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")

        def get(*names: str) -> Any:
            for name in names:
                if name in spec:
                    return spec[name]
            return _MISSING

        if (v := get("down")) is not _MISSING:
            self.down = bool(v)
        if (v := get("error_rate", "errorRate")) is not _MISSING:
            rate = float(v)
            if not 0.0 <= rate <= 1.0:
                raise ValueError("error_rate must be within 0 … 1")
            self.error_rate = rate
        if (v := get("error_statuses", "errorStatuses")) is not _MISSING:
            statuses = [int(s) for s in v]
            if not statuses or set(statuses) - ALLOWED_ERROR_STATUSES:
                raise ValueError(f"error_statuses must be among {sorted(ALLOWED_ERROR_STATUSES)}")
            self.error_statuses = statuses
        if (v := get("latency_ms", "latencyMs")) is not _MISSING:
            self.latency_ms = max(0.0, float(v))
        if (v := get("latency_jitter_ms", "latencyJitterMs")) is not _MISSING:
            self.latency_jitter_ms = max(0.0, float(v))
        if (v := get("endpoints")) is not _MISSING:
            self.endpoints = None if v is None else [str(e) for e in v]
        if (v := get("storm_retry_after", "stormRetryAfter")) is not _MISSING:
            self.storm_retry_after = max(1, int(v))

    def describe(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "error_rate": self.error_rate,
            "error_statuses": list(self.error_statuses),
            "latency_ms": self.latency_ms,
            "latency_jitter_ms": self.latency_jitter_ms,
            "endpoints": self.endpoints,
            "storm_retry_after": self.storm_retry_after,
        }


_MISSING = object()
