"""Bamboo Card Portal simulator: a FastAPI stand-in for Bamboo's Integration API.

    from simulator import SimulatorConfig, create_app
    app = create_app(SimulatorConfig(order_delay=0, rate_limits=False))

See simulator/README.md for magic values, knobs and the /_sim admin endpoints. Exports are loaded
lazily so that importing ``simulator.config`` (e.g. from the CLI) does not pull in FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.app import create_app
    from simulator.config import SimulatorConfig
    from simulator.state import Simulator

__all__ = ["SimulatorConfig", "Simulator", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from simulator.app import create_app

        return create_app
    if name == "SimulatorConfig":
        from simulator.config import SimulatorConfig

        return SimulatorConfig
    if name == "Simulator":
        from simulator.state import Simulator

        return Simulator
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
