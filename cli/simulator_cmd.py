"""`steller simulator`: run the Bamboo simulator with uvicorn.

Registered into the `steller` group elsewhere (``cli.add_command(simulator_cmd)``).
"""

from __future__ import annotations

import click

from simulator.config import (
    DEFAULT_ORDER_DELAY,
    DEFAULT_PRODUCTS,
    DEFAULT_SEED,
)


@click.command("simulator")
@click.option("--host", default=None, help="Bind address [default: SIMULATOR_HOST or 127.0.0.1]")
@click.option("--port", type=int, default=None, help="Port [default: SIMULATOR_PORT or 8090]")
@click.option("--products", type=click.IntRange(min=1), default=DEFAULT_PRODUCTS, show_default=True,
              help="Catalog size in products (9000 ≈ 27 pages of 100 brands).")
@click.option("--order-delay", type=click.FloatRange(min=0), default=DEFAULT_ORDER_DELAY,
              show_default=True, help="Seconds before an order reaches its final status.")
@click.option("--no-rate-limits", is_flag=True, help="Do not enforce Bamboo's rate limits.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Catalog seed.")
@click.option("--pending-seconds", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="How long a face value ending in .03 stays Pending.")
@click.option("--hang-seconds", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="How long place hangs for a face value ending in .05.")
@click.option("--admin-token", default=None, envvar="SIMULATOR_ADMIN_TOKEN",
              help="Require this X-Sim-Admin-Token on /_sim endpoints.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def simulator_cmd(
    host: str | None,
    port: int | None,
    products: int,
    order_delay: float,
    no_rate_limits: bool,
    seed: int,
    pending_seconds: float,
    hang_seconds: float,
    admin_token: str | None,
    log_level: str,
) -> None:
    """Run the Bamboo simulator (accepts BAMBOO_CLIENT_ID / BAMBOO_CLIENT_SECRET)."""
    import uvicorn

    from core.config import get_settings
    from simulator import SimulatorConfig, create_app

    settings = get_settings()
    config = SimulatorConfig.from_settings(
        products=products,
        order_delay=order_delay,
        rate_limits=not no_rate_limits,
        seed=seed,
        pending_hold_seconds=pending_seconds,
        timeout_hang_seconds=hang_seconds,
        admin_token=admin_token,
    )
    host = host or settings.simulator_host
    port = port or settings.simulator_port
    click.echo(
        f"Bamboo simulator on http://{host}:{port} — client id {config.client_id!r}, "
        f"{config.products} products (seed {config.seed}), order delay {config.order_delay}s, "
        f"rate limits {'on' if config.rate_limits else 'off'}; admin at /_sim"
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)


# The command object under a plain name too.
command = simulator_cmd

if __name__ == "__main__":  # python -m cli.simulator_cmd --help
    simulator_cmd()
