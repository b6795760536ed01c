"""SimulatorConfig: everything the simulator starts with. Runtime knobs start from these values
and can be changed through the admin endpoints; ``POST /_sim/reset`` goes back to them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

DEFAULT_CLIENT_ID = "sim-client"
DEFAULT_CLIENT_SECRET = "sim-secret"
DEFAULT_SEED = 42
DEFAULT_PRODUCTS = 600
DEFAULT_ORDER_DELAY = 2.0


def default_accounts() -> list[dict[str, Any]]:
    """Sandbox accounts: id, currency, opening balance, active flag."""
    return [
        {"id": 555, "currency": "USD", "balance": Decimal("100000"), "active": True},
        {"id": 556, "currency": "EUR", "balance": Decimal("50000"), "active": True},
        {"id": 557, "currency": "AED", "balance": Decimal("250000"), "active": True},
        {"id": 558, "currency": "GBP", "balance": Decimal("10000"), "active": False},
    ]


@dataclass
class SimulatorConfig:
    # Credentials accepted as HTTP Basic auth.
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_name: str = "Steller Sandbox"

    # Catalog
    seed: int = DEFAULT_SEED
    products: int = DEFAULT_PRODUCTS

    # Orders
    order_delay: float = DEFAULT_ORDER_DELAY  # seconds from place to a terminal status
    pending_hold_seconds: float = 120.0  # face value *.03: Pending this long, then Succeeded
    timeout_hang_seconds: float = 30.0  # face value *.05: place hangs this long after recording
    late_card_seconds: float = 5.0  # face value *.06: cards still Processing this long after Succeeded
    max_cards_per_order: int = 500
    accounts: list[dict[str, Any]] = field(default_factory=default_accounts)

    # Rate limits (Bamboo's, see bamboo-api.md §3)
    rate_limits: bool = True
    # The sandbox of a deployment on real Bamboo: its catalog holds Bamboo's product ids, which this
    # simulator's catalog lacks, so an unknown product id is accepted as a range card (0.01–100000)
    # in the ordering account's currency.
    accept_any_product: bool = False
    per_product_limit: bool = True  # 6 orders for the same product per minute

    # Faults
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    latency_ms: float = 0.0
    down: bool = False

    # Admin endpoints (/_sim/...): open unless a token is set (then header X-Sim-Admin-Token).
    admin_token: str | None = None

    # Notification callbacks
    notification_retries: int = 3
    notification_timeout: float = 5.0
    notification_backoff: float = 0.5
    # Optional httpx transport for callbacks (tests pass httpx.ASGITransport(receiver_app)).
    notification_transport: Any = None

    def with_overrides(self, **changes: Any) -> "SimulatorConfig":
        return replace(self, **changes)

    @classmethod
    def from_settings(cls, **overrides: Any) -> "SimulatorConfig":
        """Credentials from core.config (BAMBOO_CLIENT_ID / BAMBOO_CLIENT_SECRET)."""
        try:
            from core.config import get_settings

            settings = get_settings()
            creds = {
                "client_id": settings.bamboo_client_id,
                "client_secret": settings.bamboo_client_secret.get_secret_value(),
            }
        except ImportError:  # pragma: no cover - running without the core: documented defaults
            creds = {}
        creds.update(overrides)
        return cls(**creds)
