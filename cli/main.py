"""`steller`: the operator's command line."""

from __future__ import annotations

import asyncio
import sys
import uuid

import click

from cli.runtime import CLI_ACTOR, echo_json, parse_decimal, run_with_db, setup_logging
from core.config import get_settings


@click.group()
def main() -> None:
    """Steller: gift-card agency network. Settings come from the environment and `.env`."""


@main.command()
def migrate() -> None:
    """Create the database if missing and apply every migration."""
    from core.db import apply_migrations

    setup_logging()

    def progress(event: str, app: str, name: str) -> None:
        if event == "apply_done":
            click.echo(f"applied {app}.{name}")

    try:
        asyncio.run(apply_migrations(progress=progress))
    except OSError as exc:
        click.echo(f"error: cannot reach the database: {exc}", err=True)
        sys.exit(3)
    click.echo("database is up to date")


@main.group()
def admin() -> None:
    """Platform admins (Telegram users)."""


@admin.command("add")
@click.argument("telegram_id", type=int)
def admin_add(telegram_id: int) -> None:
    """Grant admin rights to a Telegram user id."""
    from core.parties import service as parties

    async def go() -> None:
        await parties.grant_admin(telegram_user_id=telegram_id, actor=CLI_ACTOR)

    run_with_db(go, transaction=True)
    click.echo(f"telegram user {telegram_id} is an admin")


@main.group()
def party() -> None:
    """Parties: partners, agents, sub-agents."""


@party.command("create")
@click.option("--kind", type=click.Choice(["partner", "agent", "subagent"]), required=True)
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.option("--parent", "parent_id", type=int, default=None, help="Parent party id.")
@click.option("--currency", default=None, help="Wallet currency (default: DEFAULT_CURRENCY).")
def party_create(kind: str, name: str, email: str | None, parent_id: int | None, currency: str | None) -> None:
    """Create an active party; prints its id."""
    from core.parties import service as parties
    from core.parties.models import PartyKind

    async def go() -> int:
        created = await parties.create_party(kind=PartyKind(kind), name=name, email=email,
                                             parent_id=parent_id, currency=currency, actor=CLI_ACTOR)
        return created.id

    click.echo(run_with_db(go, transaction=True))


def _party_amount(party_id: int, amount: str, *, signed: bool = False):
    """Parse an amount in the party's wallet currency into minor units (exact, or an error)."""
    from core.money import to_minor
    from core.parties import service as parties

    async def convert() -> tuple[int, str]:
        p = await parties.get_party(party_id)
        return to_minor(parse_decimal(amount, signed=signed), p.currency), p.currency

    return convert


@main.command()
@click.argument("party_id", type=int)
@click.argument("amount")
@click.option("--reference", required=True, help="External reference (bank transfer id); makes it idempotent.")
def topup(party_id: int, amount: str, reference: str) -> None:
    """Credit a wallet with money that came in from outside."""
    from core.ledger import service as ledger
    from core.money import format_money

    async def go() -> str:
        minor, currency = await _party_amount(party_id, amount)()
        posted = await ledger.topup(party_id=party_id, amount=minor, reference=reference, actor=CLI_ACTOR)
        note = " (already recorded earlier)" if posted.replayed else ""
        return f"topped up {format_money(minor, currency)} to party {party_id}{note}"

    click.echo(run_with_db(go, transaction=True))


@main.command()
@click.argument("parent_id", type=int)
@click.argument("child_id", type=int)
@click.argument("amount")
@click.option("--key", default=None, help="Idempotency key (default: a new one).")
def allocate(parent_id: int, child_id: int, amount: str, key: str | None) -> None:
    """Move money from a parent's wallet to a direct child's."""
    from core.ledger import service as ledger
    from core.money import format_money

    async def go() -> str:
        minor, currency = await _party_amount(parent_id, amount)()
        await ledger.allocate(parent_id=parent_id, child_id=child_id, amount=minor, actor=CLI_ACTOR,
                              idempotency_key=key or str(uuid.uuid4()))
        return f"allocated {format_money(minor, currency)} from party {parent_id} to party {child_id}"

    click.echo(run_with_db(go, transaction=True))


@main.command()
@click.argument("child_id", type=int)
@click.argument("amount")
@click.option("--key", default=None, help="Idempotency key (default: a new one).")
def reclaim(child_id: int, amount: str, key: str | None) -> None:
    """Move money from a child's wallet back to its parent's."""
    from core.ledger import service as ledger
    from core.money import format_money

    async def go() -> str:
        minor, currency = await _party_amount(child_id, amount)()
        posted = await ledger.reclaim(child_id=child_id, amount=minor, actor=CLI_ACTOR,
                                      idempotency_key=key or str(uuid.uuid4()))
        return f"reclaimed {format_money(minor, currency)} from party {child_id} (operation {posted.operation.id})"

    click.echo(run_with_db(go, transaction=True))


@main.command()
@click.argument("party_id", type=int)
@click.argument("amount")
@click.option("--reason", required=True)
@click.option("--key", default=None, help="Idempotency key (default: a new one).")
def adjust(party_id: int, amount: str, reason: str, key: str | None) -> None:
    """Admin correction: a signed amount with a reason (audited)."""
    from core.ledger import service as ledger
    from core.money import format_money

    async def go() -> str:
        minor, currency = await _party_amount(party_id, amount, signed=True)()
        await ledger.adjust(party_id=party_id, amount=minor, reason=reason, actor=CLI_ACTOR,
                            idempotency_key=key or str(uuid.uuid4()))
        return f"adjusted party {party_id} by {format_money(minor, currency)}"

    click.echo(run_with_db(go, transaction=True))


@main.command("credit-limit")
@click.argument("party_id", type=int)
@click.argument("amount")
def credit_limit(party_id: int, amount: str) -> None:
    """Set a wallet's credit limit (0 for none)."""
    from core.ledger import service as ledger
    from core.money import format_money, to_minor
    from core.parties import service as parties

    async def go() -> str:
        p = await parties.get_party(party_id)
        limit = to_minor(amount, p.currency) if amount.strip() not in ("0", "0.00") else 0
        await ledger.set_credit_limit(party_id=party_id, limit=limit, actor=CLI_ACTOR)
        return f"credit limit of party {party_id} is {format_money(limit, p.currency)}"

    click.echo(run_with_db(go, transaction=True))


@main.command()
@click.argument("party_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def wallet(party_id: int, as_json: bool) -> None:
    """Balance, held, available and credit limit of a party's wallet."""
    from core.ledger import service as ledger
    from core.money import from_minor

    async def go():
        return await ledger.wallet_summary(actor=CLI_ACTOR, party_id=party_id)

    w = run_with_db(go)
    fields = ["balance", "held", "available", "credit_limit", "spendable", "commission"]
    if as_json:
        data = {"party_id": w.party_id, "currency": w.currency}
        data.update({f: str(from_minor(getattr(w, f), w.currency)) for f in fields})
        echo_json(data)
        return
    click.echo(f"party {w.party_id} wallet ({w.currency})")
    for f in fields:
        click.echo(f"  {f.replace('_', ' '):<13} {from_minor(getattr(w, f), w.currency):>14}")


@main.command()
@click.argument("party_id", type=int)
@click.option("--limit", default=20, show_default=True)
def statement(party_id: int, limit: int) -> None:
    """The wallet's latest lines: signed amount and balance after each."""
    from core.ledger import service as ledger
    from core.money import from_minor
    from core.parties import service as parties

    async def go():
        p = await parties.get_party(party_id)
        return p.currency, await ledger.wallet_statement(actor=CLI_ACTOR, party_id=party_id, limit=limit)

    currency, lines = run_with_db(go)
    for line in lines:
        click.echo(f"{line.created_at:%Y-%m-%d %H:%M:%S}  #{line.seq:<5} {line.kind:<20} "
                   f"{from_minor(line.amount, currency):>12} → {from_minor(line.balance_after, currency):>12}"
                   f"  {line.reference or ''} {line.memo or ''}".rstrip())


@main.command()
@click.option("--full", "mode", flag_value="full", default=True,
              help="Re-verify every transfer, hold and account (the default).")
@click.option("--incremental", "mode", flag_value="incremental",
              help="Only what changed since the last clean check, as the 10-minute cron does.")
def check(mode: str) -> None:
    """Run the invariant checker; exit 1 on any violation. A clean run moves the checkpoint."""
    from core.ledger.invariants import run_check

    report = run_with_db(lambda: run_check(actor=CLI_ACTOR, full=mode == "full", wait=True))
    scope = "full sweep" if report.full else "incremental"
    click.echo(f"{scope}: {report.transfers_verified} transfer(s) verified, "
               f"{report.accounts_advanced} account(s) checkpointed", err=True)
    if report.violations:
        for v in report.violations:
            click.echo(str(v))
        click.echo(f"{len(report.violations)} violation(s)", err=True)
        sys.exit(1)
    click.echo("ledger ok: every invariant holds in the live and sandbox books")


def _setup_server_logging() -> None:
    """Logging for the long-running commands: LOG_FORMAT, else console in development and JSON elsewhere."""
    from core.logging import configure_logging

    configure_logging(level=get_settings().log_level)


def _fast_event_loop() -> None:
    """uvloop where it is installed (uvicorn[standard] brings it): the API spends less time in the loop."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def _run_until_stopped(main_coro) -> None:
    """Run a server until SIGINT/SIGTERM; a stop is a clean exit 0, also before the handlers are in place."""
    try:
        _fast_event_loop()
        asyncio.run(main_coro)
    except KeyboardInterrupt:  # Ctrl-C before the event loop's own handlers were installed
        click.echo("stopped", err=True)


@main.command()
@click.option("--host", default=None, help="Default: API_HOST.")
@click.option("--port", type=int, default=None, help="Default: API_PORT.")
def api(host: str | None, port: int | None) -> None:
    """Run the partner API alone (scale it out behind a load balancer). SIGTERM lets in-flight requests finish."""
    from api.app import create_app
    from cli.serving import asgi_service, serve_all

    _setup_server_logging()
    settings = get_settings()
    service = asgi_service("api", create_app(), host=host or settings.api_host, port=port or settings.api_port)
    _run_until_stopped(serve_all([service]))


@main.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit (for scripts and tests).")
def worker_command(burst: bool) -> None:
    """Run the arq worker: vendor calls, polling, notifications, periodic jobs. SIGTERM lets running jobs
    finish (up to 30 s). WORKER_METRICS_PORT serves its /metrics."""
    from arq.worker import run_worker

    from jobs.worker import WorkerSettings

    _setup_server_logging()
    run_worker(WorkerSettings, burst=burst)


@main.command()
@click.option("--no-migrate", is_flag=True, help="Skip applying migrations first.")
@click.option("--demo", is_flag=True,
              help="Seed a small demo network (once; safe to repeat) and print what to try. Simulator only.")
def up(no_migrate: bool, demo: bool) -> None:
    """Everything on one machine: migrations, the first catalog sync, then the API, the worker, the bot
    (with TELEGRAM_BOT_TOKEN) and (without Bamboo credentials) the simulator. Ctrl-C or SIGTERM stops it cleanly."""
    from cli.platform import run_platform

    _setup_server_logging()
    if demo and not get_settings().uses_simulator:
        raise click.UsageError("--demo runs on the simulator only (its orders would buy real cards from Bamboo): "
                               "unset BAMBOO_CLIENT_ID/BAMBOO_CLIENT_SECRET")
    _run_until_stopped(run_platform(migrate=not no_migrate, demo=demo))


from cli.pricing_cmd import cardlist, catalog_show, discount  # noqa: E402
from cli.orders_cmd import order  # noqa: E402
from cli.simulator_cmd import simulator_cmd  # noqa: E402
from cli.bot_cmd import bot_cmd, invite, party_commands  # noqa: E402
from cli.api_keys_cmd import api_key  # noqa: E402

main.add_command(discount)
main.add_command(cardlist)
main.add_command(simulator_cmd)
main.add_command(order)
main.add_command(bot_cmd)
main.add_command(invite)
main.add_command(api_key)
party_commands(party)

from cli.catalog_cmd import catalog  # noqa: E402

catalog.add_command(catalog_show)
main.add_command(catalog)

def run() -> None:
    """The `steller` entry point: settings that cannot load are one clear line, not a traceback."""
    from pydantic import ValidationError

    try:
        main()
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)).removeprefix("Value error, ") for e in exc.errors())
        click.echo(f"error: settings: {problems}", err=True)
        sys.exit(3)


if __name__ == "__main__":
    run()
