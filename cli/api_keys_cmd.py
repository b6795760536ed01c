"""`steller api-key`: an operator creates, lists and revokes a partner's API keys."""

from __future__ import annotations

import click

from cli.runtime import CLI_ACTOR, echo_json, run_with_db


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@click.group("api-key")
def api_key() -> None:
    """Partner API keys (sk_live_… / sk_test_…)."""


@api_key.command("create")
@click.argument("party_id", type=int)
@click.option("--test", "test_mode", is_flag=True, help="A test key (sk_test_…); the default is a live key.")
@click.option("--name", default=None, help="A label for the key.")
def api_key_create(party_id: int, test_mode: bool, name: str | None) -> None:
    """Create a key for a partner; the key is printed once, alone on the last line."""
    from core.access import api_keys

    async def go():
        return await api_keys.create_key(actor=CLI_ACTOR, party_id=party_id, livemode=not test_mode, name=name)

    created = run_with_db(go, transaction=True)
    key = created.key
    click.echo(f"created {key.mode} key {key.id} ({key.display_prefix}…) for party {party_id}"
               + (f" named {key.name!r}" if key.name else ""))
    click.echo("store it now: it is not shown again")
    click.echo(created.secret)


@api_key.command("list")
@click.argument("party_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def api_key_list(party_id: int, as_json: bool) -> None:
    """A partner's keys (never the keys themselves)."""
    from dataclasses import asdict

    from core.access import api_keys

    async def go():
        return await api_keys.list_keys(actor=CLI_ACTOR, party_id=party_id)

    rows = run_with_db(go)
    if as_json:
        echo_json([asdict(r) for r in rows])
        return
    if not rows:
        click.echo(f"party {party_id} has no API keys")
        return
    click.echo(f"{'id':>6}  {'prefix':<17} {'mode':<5} {'name':<20} {'created':<21} {'last used':<21} revoked")
    for r in rows:
        click.echo(f"{r.id:>6}  {r.display:<17} {r.mode:<5} {(r.name or '-')[:20]:<20} {_when(r.created_at):<21} "
                   f"{_when(r.last_used_at):<21} {_when(r.revoked_at)}")


@api_key.command("revoke")
@click.argument("key_id", type=int)
@click.option("--force", is_flag=True, help="Also revoke the party's last live key.")
def api_key_revoke(key_id: int, force: bool) -> None:
    """Revoke a key at once (idempotent)."""
    from core.access import api_keys

    async def go():
        return await api_keys.revoke_key(actor=CLI_ACTOR, key_id=key_id, force=force)

    view = run_with_db(go, transaction=True)
    click.echo(f"revoked key {view.id} ({view.display}…) of party {view.party_id} at {_when(view.revoked_at)}")
