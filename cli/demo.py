"""`steller up --demo`: a small demo network, seeded through the core services, and what to try with it.

The network (seeded once; a second `--demo` finds every piece and adds nothing):

* an admin: ADMIN_TELEGRAM_IDS, or DEMO_ADMIN_TELEGRAM_ID when none is set;
* "Demo Partner" (a partner, USD) with money in its live wallet (its test wallet starts funded);
* "Demo Agent", founded through an admin invite, with two sub-agents that joined through the
  agent's own invites, money topped up and allocated down;
* the default agent card list with a few cards from the synced catalog;
* a few orders (partner live and test, agent, sub-agent), placed by the worker on the simulator.

The demo's people are Telegram ids above Telegram's 52-bit range: nobody real can be them.

Credentials are secrets shown once, so each `--demo` run issues fresh ones and revokes the previous
demo ones: a live and a test key for Demo Partner, and three invites (manager of Demo Agent, a new
sub-agent under it, a new agent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.access.actor import Actor
from core.config import get_settings
from core.logging import get_logger

log = get_logger("steller.demo")

DEMO_ACTOR = Actor.admin(label="demo")
DEMO_ADMIN_TELEGRAM_ID = 9_000_000_000_000_001
DEMO_AGENT_TELEGRAM_ID = 9_000_000_000_000_011
DEMO_SUBAGENT_TELEGRAM_IDS = (9_000_000_000_000_021, 9_000_000_000_000_022)
PARTNER_NAME, PARTNER_EMAIL = "Demo Partner", "demo-partner@example.com"
AGENT_NAME = "Demo Agent"
SUBAGENT_NAMES = ("Demo Shop North", "Demo Shop South")
KEY_NAME = "demo"
PARTNER_TOPUP, AGENT_TOPUP = Decimal(1000), Decimal(500)
SUBAGENT_ALLOCATIONS = (Decimal(100), Decimal(50))
# Fixed cards the simulator always has (Steam 10/20/50 USD); any other catalog: its first fixed USD cards.
PREFERRED_PRODUCTS = (439685, 439686, 439687)
DEMO_CARDS = 3
INVITE_USES = 5
_LOCK = "steller:demo"


@dataclass
class DemoNetwork:
    partner_id: int
    agent_id: int
    subagent_ids: list[int]
    admin_ids: list[int]
    admins_from_env: bool
    live_key: str
    test_key: str
    invites: dict[str, str]  # what it is for → start payload "inv_…"
    products: list[int]
    created: list[str] = field(default_factory=list)  # what this run added (empty on a second run)
    orders: list[str] = field(default_factory=list)  # order ids (new or found)


async def _lock() -> None:
    from tortoise.connection import get_connection

    await get_connection("default").execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [_LOCK])


async def _member(telegram_user_id: int):
    from core.parties.models import Member, MemberStatus

    return await Member.get_or_none(telegram_user_id=telegram_user_id, status=MemberStatus.ACTIVE)


async def _joined(*, inviter: Actor, inviter_party_id: int | None, telegram_user_id: int, name: str,
                  kind, created: list[str]):
    """The party this demo person founded through an invite: found, or made now by invite + redeem."""
    from core.parties import invites
    from core.parties import service as parties

    member = await _member(telegram_user_id)
    if member is not None:
        return await parties.get_party(member.party_id), member
    invite = await invites.create_invite(actor=inviter, inviter_party_id=inviter_party_id, child_kind=kind)
    party, member = await invites.redeem_invite(code=invite.code, telegram_user_id=telegram_user_id,
                                                display_name=name, party_name=name, outbox=[])
    created.append(f"{kind} {party.name} (#{party.id}, through an invite)")
    return party, member


async def _demo_products(currency: str) -> list[int]:
    from core.catalog.models import Product

    usable = Product.filter(gone_at=None, brand_live=True, currency=currency, price_currency=currency)
    preferred = [p for p in await usable.filter(id__in=PREFERRED_PRODUCTS).order_by("id")
                 if p.available and p.is_fixed and p.stock is None]
    if len(preferred) >= DEMO_CARDS:
        return [p.id for p in preferred[:DEMO_CARDS]]
    fixed = [p for p in await usable.filter(stock=None).order_by("id").limit(200) if p.is_fixed]
    return [p.id for p in fixed[:DEMO_CARDS]]


async def _card_list(products: list[int], created: list[str]) -> None:
    from core.catalog import cardlists
    from core.catalog.models import Product

    card_list = await cardlists.default_agent_list(actor=DEMO_ACTOR)
    have = {item.product_id for item in await cardlists.list_items(card_list)}
    for product_id in products:
        if product_id in have:
            continue
        product = await Product.get(id=product_id)
        await cardlists.put_item(card_list=card_list, product_id=product_id, actor=DEMO_ACTOR,
                                 denominations=[product.min_face])
        created.append(f"card {product.name} on the agents' card list")


async def _order(*, actor: Actor, party_id: int, product_id: int, reference: str, created: list[str],
                 placed: list, outbox: list) -> str:
    from core.catalog.models import Product
    from core.orders import service as orders
    from core.orders.models import Order

    existing = await Order.get_or_none(party_id=party_id, reference=reference)
    if existing is not None:
        return str(existing.id)
    product = await Product.get(id=product_id)
    made = await orders.create_order(actor=actor, party_id=party_id, product_id=product_id,
                                     face_value=product.min_face, quantity=1, reference=reference)
    placed.append(made.order.id)
    outbox.extend(made.notifications)
    created.append(f"{'live' if made.order.livemode else 'test'} order {reference}")
    return str(made.order.id)


async def _fresh_keys(partner_id: int) -> tuple[str, str]:
    """A new live and test key named "demo"; the demo keys before them are revoked."""
    from core.access import api_keys

    before = [k for k in await api_keys.list_keys(actor=DEMO_ACTOR, party_id=partner_id)
              if k.name == KEY_NAME and k.revoked_at is None]
    live = await api_keys.create_key(actor=DEMO_ACTOR, party_id=partner_id, livemode=True, name=KEY_NAME)
    test = await api_keys.create_key(actor=DEMO_ACTOR, party_id=partner_id, livemode=False, name=KEY_NAME)
    for key in before:
        await api_keys.revoke_key(actor=DEMO_ACTOR, key_id=key.id)
    return live.secret, test.secret


async def _fresh_invites(*, agent_id: int, agent_actor: Actor) -> dict[str, str]:
    """Three invites to try in the bot; the open ones of an earlier demo run are revoked."""
    from core.parties import invites
    from core.parties.models import MemberRole, PartyKind

    for inviter_actor, inviter_party_id in ((DEMO_ACTOR, None), (agent_actor, agent_id)):
        for invite in await invites.open_invites(actor=inviter_actor, inviter_party_id=inviter_party_id):
            if invite.created_by == inviter_actor.label:
                await invites.revoke_invite(actor=inviter_actor, invite_id=invite.id)
    manager = await invites.create_member_invite(actor=agent_actor, party_id=agent_id, role=MemberRole.MANAGER)
    subagent = await invites.create_invite(actor=agent_actor, inviter_party_id=agent_id, max_uses=INVITE_USES,
                                           child_kind=PartyKind.SUBAGENT)
    agent = await invites.create_invite(actor=DEMO_ACTOR, inviter_party_id=None, max_uses=INVITE_USES,
                                        child_kind=PartyKind.AGENT)
    return {f"be a manager of {AGENT_NAME} (its wallet, sub-agents, orders)": manager.start_payload,
            f"join {AGENT_NAME}'s network as a new sub-agent": subagent.start_payload,
            "join as a new agent": agent.start_payload}


# Below the simulator's own discount on its cards (about 5 %), so every demo card sells at a profit
# and the agent earns its spread on the sub-agents' sales. Set only where no default exists yet.
DEMO_DISCOUNTS = (("partner", "0.0300"), ("agent", "0.0400"), ("subagent", "0.0250"))


async def _default_discounts(created: list[str]) -> None:
    from core.parties.models import PartyKind
    from core.pricing import service as pricing
    from core.pricing.models import Discount

    for kind, rate in DEMO_DISCOUNTS:
        if await Discount.filter(party_kind=kind, party_id=None, brand_id=None, product_id=None).exists():
            continue
        await pricing.set_discount(actor=DEMO_ACTOR, rate=rate, party_kind=PartyKind(kind))
        created.append(f"default discount for {kind}s: {Decimal(rate) * 100:g} % off face")


async def _seed(placed: list, outbox: list) -> DemoNetwork:
    """The whole seed: one use case, one transaction, serialized against a concurrent `--demo`."""
    from core.ledger import service as ledger
    from core.money import to_minor
    from core.parties import service as parties
    from core.parties.models import Party, PartyKind

    await _lock()
    settings = get_settings()
    created: list[str] = []
    admins_from_env = bool(settings.admin_telegram_ids)
    admin_ids = list(settings.admin_telegram_ids) or [DEMO_ADMIN_TELEGRAM_ID]
    if not admins_from_env:
        if not await parties.is_admin(DEMO_ADMIN_TELEGRAM_ID):
            created.append(f"admin {DEMO_ADMIN_TELEGRAM_ID}")
        await parties.grant_admin(actor=DEMO_ACTOR, telegram_user_id=DEMO_ADMIN_TELEGRAM_ID)

    await _default_discounts(created)
    partner = await Party.get_or_none(email=PARTNER_EMAIL)
    if partner is None:
        partner = await parties.create_party(actor=DEMO_ACTOR, kind=PartyKind.PARTNER, name=PARTNER_NAME,
                                             email=PARTNER_EMAIL)
        created.append(f"partner {partner.name} (#{partner.id})")
    agent, agent_member = await _joined(inviter=DEMO_ACTOR, inviter_party_id=None, telegram_user_id=DEMO_AGENT_TELEGRAM_ID,
                                        name=AGENT_NAME, kind=PartyKind.AGENT, created=created)
    agent_actor = Actor.member(agent_member)
    subagents = []
    for telegram_id, name in zip(DEMO_SUBAGENT_TELEGRAM_IDS, SUBAGENT_NAMES, strict=True):
        sub, sub_member = await _joined(inviter=agent_actor, inviter_party_id=agent.id, telegram_user_id=telegram_id,
                                        name=name, kind=PartyKind.SUBAGENT, created=created)
        subagents.append((sub, sub_member))

    # Money: top-ups keyed by their reference, allocations by their idempotency key (replays add nothing).
    for party, amount in ((partner, PARTNER_TOPUP), (agent, AGENT_TOPUP)):
        posted = await ledger.topup(actor=DEMO_ACTOR, party_id=party.id, amount=to_minor(amount, party.currency),
                                    reference=f"demo:topup:{party.id}")
        if not posted.replayed:
            created.append(f"top-up {amount} {party.currency} to {party.name}")
    for (sub, _), amount in zip(subagents, SUBAGENT_ALLOCATIONS, strict=True):
        posted = await ledger.allocate(actor=agent_actor, parent_id=agent.id, child_id=sub.id,
                                       amount=to_minor(amount, sub.currency), idempotency_key=f"demo:allocate:{sub.id}")
        if not getattr(posted, "replayed", False):
            created.append(f"allocation {amount} {sub.currency} to {sub.name}")

    products = await _demo_products(agent.currency)
    await _card_list(products, created)

    live_key, test_key = await _fresh_keys(partner.id)
    invites = await _fresh_invites(agent_id=agent.id, agent_actor=agent_actor)

    from core.access import api_keys

    live_actor = await api_keys.authenticate(secret=live_key)
    test_actor = await api_keys.authenticate(secret=test_key)
    order_ids = []
    if products:
        first, second = products[0], products[min(1, len(products) - 1)]
        wanted = [(live_actor, partner.id, first, "demo-partner-live-1"),
                  (test_actor, partner.id, first, "demo-partner-test-1"),
                  (agent_actor, agent.id, second, "demo-agent-1"),
                  (Actor.member(subagents[0][1]), subagents[0][0].id, first, "demo-subagent-1")]
        for actor, party_id, product_id, reference in wanted:
            order_ids.append(await _order(actor=actor, party_id=party_id, product_id=product_id, reference=reference,
                                          created=created, placed=placed, outbox=outbox))
    return DemoNetwork(partner_id=partner.id, agent_id=agent.id, subagent_ids=[s.id for s, _ in subagents],
                       admin_ids=admin_ids, admins_from_env=admins_from_env, live_key=live_key, test_key=test_key,
                       invites=invites, products=products, created=created, orders=order_ids)


async def seed_demo(*, echo=print) -> DemoNetwork:
    """Seed (or find) the demo network, then enqueue its new orders and notifications after the commit."""
    from arq import create_pool
    from arq.connections import RedisSettings

    from core.db import run_atomic
    from core.notifications.service import collect_outbox
    from jobs.enqueue import enqueue_place
    from jobs.notifications import enqueue_deliveries

    async def attempt() -> DemoNetwork:
        placed.clear()
        outbox.clear()
        return await _seed(placed, outbox)

    placed: list = []
    outbox: list = []
    with collect_outbox() as written:
        network = await run_atomic(attempt)
    redis = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
    try:
        for order_id in placed:
            await enqueue_place(redis, order_id)
        await enqueue_deliveries(redis, {row.id: row for row in [*written, *outbox]}.values())
    finally:
        await redis.aclose()
    if network.created:
        echo(f"demo: seeded {len(network.created)} thing(s):")
        for line in network.created:
            echo(f"  + {line}")
    else:
        echo("demo: the demo network is already there (nothing new seeded)")
    log.info("demo_seeded", created=len(network.created), orders=len(network.orders))
    return network


async def _bot_username() -> str | None:
    settings = get_settings()
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.telegram_bot_token is None:
        return None
    from bot.notifier import make_bot

    bot = make_bot(settings)
    try:
        return (await bot.get_me()).username
    except Exception as exc:  # noqa: BLE001 - without the name the codes are shown instead of links
        log.warning("demo_bot_username_unknown", error_type=type(exc).__name__)
        return None
    finally:
        await bot.session.close()


async def what_to_try(network: DemoNetwork) -> list[str]:
    settings = get_settings()
    base = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "",
        "── what to try ─────────────────────────────────────────────────────────────",
        f"API base URL   {base}/v1",
        f"API docs       {base}/docs",
        f"live key       {network.live_key}   (Demo Partner, #{network.partner_id})",
        f"test key       {network.test_key}   (sandbox: test wallet, simulator orders)",
        "               (new keys each --demo run; the previous demo keys are revoked)",
        "",
        f'  curl -H "Authorization: Bearer {network.live_key}" "{base}/v1/catalog?limit=3"',
        f'  curl -H "Authorization: Bearer {network.live_key}" "{base}/v1/wallet"',
        f'  curl -H "Authorization: Bearer {network.live_key}" "{base}/v1/orders"',
        "",
        f"network        {AGENT_NAME} #{network.agent_id} with sub-agents "
        + ", ".join(f"#{i}" for i in network.subagent_ids) + f"; {len(network.orders)} demo orders",
    ]
    if network.admins_from_env:
        lines.append("admins         " + ", ".join(map(str, network.admin_ids)) + " (ADMIN_TELEGRAM_IDS): /admin in the bot")
    else:
        lines.append(f"admins         demo admin {DEMO_ADMIN_TELEGRAM_ID}; to be an admin yourself set "
                     "ADMIN_TELEGRAM_IDS=<your Telegram id>")
    username = await _bot_username()
    if username:
        lines.append(f"bot            https://t.me/{username}")
        lines += [f"  {purpose}: https://t.me/{username}?start={payload}" for purpose, payload in network.invites.items()]
    else:
        lines.append("bot            not running: set TELEGRAM_BOT_TOKEN (from @BotFather) and restart; then open")
        lines.append("               the bot and send /start with one of these invites:")
        lines += [f"  {purpose}: /start {payload}" for purpose, payload in network.invites.items()]
    lines.append("─" * 77)
    return lines
