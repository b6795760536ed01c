"""Small builders for test data, going through the real services."""

from __future__ import annotations

from core.access.actor import Actor
import itertools

from core.db import atomic
from core.ledger import service as ledger
from core.parties import service as parties
from core.parties.models import Party, PartyKind, PartyStatus

_refs = itertools.count(1)


async def make_party(
    kind: PartyKind = PartyKind.AGENT,
    *,
    parent: Party | None = None,
    name: str | None = None,
    funds: int = 0,
    status: PartyStatus = PartyStatus.ACTIVE,
    currency: str | None = None,
) -> Party:
    async with atomic():
        party = await parties.create_party(
            kind=kind, name=name or f"{kind} {next(_refs)}", parent_id=parent.id if parent else None,
            actor=Actor.admin(label="test"), currency=currency,
            status=PartyStatus.PENDING if status == PartyStatus.PENDING else PartyStatus.ACTIVE,
        )
        if funds:
            await ledger.topup(party_id=party.id, amount=funds, reference=f"seed-{next(_refs)}", actor=Actor.admin(label="test"))
        if status not in (PartyStatus.ACTIVE, PartyStatus.PENDING):
            await parties.change_status(party_id=party.id, to=status, actor=Actor.admin(label="test"))
    return party


async def make_tree(funds: int = 100_00) -> tuple[Party, Party, Party]:
    """An agent with two sub-agents; the agent holds `funds`."""
    agent = await make_party(PartyKind.AGENT, funds=funds)
    first = await make_party(PartyKind.SUBAGENT, parent=agent)
    second = await make_party(PartyKind.SUBAGENT, parent=agent)
    return agent, first, second


async def balance(party_id: int) -> int:
    return (await ledger.read_wallet(party_id=party_id)).available


def next_ref(prefix: str = "ref") -> str:
    return f"{prefix}-{next(_refs)}"


async def make_product(
    product_id: int,
    *,
    face: str | tuple[str, str] = "10",
    currency: str = "USD",
    vendor_discount: str = "0.10",
    brand_name: str = "Brand",
    country: str = "US",
    stock: int | None = None,
    allow_loss: bool = False,
):
    """A catalog product as a sync would store it: `face` is one value (fixed) or (min, max)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from core.catalog.models import Brand, Product

    low, high = (face, face) if isinstance(face, str) else face
    low, high = Decimal(low), Decimal(high)
    keep = 1 - Decimal(vendor_discount)
    now = datetime.now(UTC)
    brand, _ = await Brand.get_or_create(
        vendor_key=f"{brand_name}|{country}|{currency}",
        defaults={"name": brand_name, "country": country, "currency": currency, "synced_at": now},
    )
    return await Product.create(
        id=product_id, brand=brand, name=f"{brand_name} {face}", country=country, currency=currency,
        min_face=low, max_face=high, price_min=low * keep, price_max=high * keep, price_currency=currency,
        stock=stock, allow_loss=allow_loss, synced_at=now,
    )


ADMIN = Actor.admin(label="test-admin")
_telegram_ids = itertools.count(900_000_001)


async def make_member(party: Party, *, role: str = "owner", telegram_user_id: int | None = None):
    """A Telegram user bound to `party` with `role` (as an accepted invite would)."""
    from core.parties.models import MemberRole

    tg = telegram_user_id or next(_telegram_ids)
    async with atomic():
        await parties.lock_telegram_user(tg)
        return await parties.bind_member(party_id=party.id, telegram_user_id=tg, role=MemberRole(role),
                                         actor=f"tg:{tg}", display_name=f"user {tg}")


async def member_actor(party: Party, *, role: str = "owner", telegram_user_id: int | None = None) -> Actor:
    """The acting member a bot update would carry: a fresh member of `party` with `role`."""
    return Actor.member(await make_member(party, role=role, telegram_user_id=telegram_user_id))
