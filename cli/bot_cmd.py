"""`steller bot`, `steller invite …` and `steller party list|approve|reject|freeze|unfreeze`: running the
bot and bootstrapping the network without the admin bot."""

from __future__ import annotations

import asyncio

import click

from cli.runtime import CLI_ACTOR, echo_json, run_with_db, setup_logging
from core.config import get_settings


@click.command("bot")
def bot_cmd() -> None:
    """Run the Telegram bot alone (polling); needs TELEGRAM_BOT_TOKEN."""
    from bot.app import run_bot
    from core.db import database

    setup_logging()
    settings = get_settings()
    if settings.telegram_bot_token is None:
        raise click.ClickException("TELEGRAM_BOT_TOKEN is not set")
    if settings.telegram_webhook_url is not None:
        raise click.ClickException("TELEGRAM_WEBHOOK_URL is set: in webhook mode `steller api` serves the bot")

    async def main() -> None:
        async with database():
            await run_bot(settings)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


async def bot_username() -> str:
    """TELEGRAM_BOT_USERNAME, else asked from Telegram (getMe)."""
    settings = get_settings()
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.telegram_bot_token is None:
        raise click.ClickException("set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN, to ask Telegram)")
    from bot.notifier import make_bot

    bot = make_bot(settings)
    try:
        return (await bot.get_me()).username
    finally:
        await bot.session.close()


@click.group()
def invite() -> None:
    """Invite links for new agents, partners' agents and sub-agents."""


@invite.command("create")
@click.option("--kind", type=click.Choice(["agent", "partner", "subagent"]), default=None,
              help="What the invitee becomes (default: agent at the top, sub-agent under an agent).")
@click.option("--parent", "parent_id", type=int, default=None, help="The inviting party (default: Steller).")
@click.option("--uses", type=int, default=1, show_default=True)
@click.option("--ttl-hours", type=int, default=None, help="Default: INVITE_DEFAULT_TTL_HOURS.")
def invite_create(kind: str | None, parent_id: int | None, uses: int, ttl_hours: int | None) -> None:
    """Create an invite; the link is printed alone on the last line."""
    from core.parties import invites
    from core.parties.models import PartyKind

    async def go():
        return await invites.create_invite(actor=CLI_ACTOR, inviter_party_id=parent_id, max_uses=uses,
                                           ttl_hours=ttl_hours, child_kind=PartyKind(kind) if kind else None)

    created = run_with_db(go, transaction=True)
    username = asyncio.run(bot_username())
    inv = created.invite
    click.echo(f"invite {inv.id} ({inv.code_hint}): {inv.child_kind}, {inv.max_uses} use(s) left, "
               f"expires {inv.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo(created.link(username))


def _party_dict(p) -> dict:
    return {"id": p.id, "kind": str(p.kind), "name": p.name, "status": str(p.status),
            "parent_id": p.parent_id, "currency": p.currency}


def party_commands(party: click.Group) -> None:
    """Adds list / approve / reject / freeze / unfreeze to the `party` group."""

    @party.command("list")
    @click.option("--kind", type=click.Choice(["partner", "agent", "subagent"]), default=None)
    @click.option("--status", type=click.Choice(["pending", "active", "frozen", "closed"]), default=None)
    @click.option("--parent", "parent_id", type=int, default=None)
    @click.option("--json", "as_json", is_flag=True)
    def party_list(kind: str | None, status: str | None, parent_id: int | None, as_json: bool) -> None:
        """Parties: id, kind, name, status, parent, currency."""
        from core.parties import service as parties

        async def go():
            return await parties.list_parties(actor=CLI_ACTOR, kind=kind, status=status, parent_id=parent_id)

        rows = [_party_dict(p) for p in run_with_db(go)]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            click.echo(f"{r['id']:<6} {r['kind']:<9} {r['status']:<8} parent {str(r['parent_id'] or '-'):<6} "
                       f"{r['currency']}  {r['name']}")

    def _status_command(name: str, use_case: str, doc: str) -> None:
        @party.command(name, help=doc)
        @click.argument("party_id", type=int)
        def command(party_id: int) -> None:
            from core.parties import service as parties

            async def go():
                return await getattr(parties, use_case)(actor=CLI_ACTOR, party_id=party_id)

            p = run_with_db(go, transaction=True)
            click.echo(f"party {p.id} ({p.name}) is {p.status}")

    _status_command("approve", "approve", "Approve a pending application: the party becomes active.")
    _status_command("reject", "reject", "Reject a pending application: the party is closed.")
    _status_command("freeze", "freeze", "Freeze a party: it can read, not order or move money.")
    _status_command("unfreeze", "unfreeze", "Unfreeze a frozen party.")
