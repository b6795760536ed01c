"""`steller discount …`, `steller cardlist …` and `steller catalog show`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

from cli.runtime import CLI_ACTOR, echo_json, run_with_db
from core.money import from_minor, plain


def _percent(value: str) -> Decimal:
    try:
        percent = Decimal(value.strip().rstrip("%"))
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a percentage") from None
    return percent / 100


@click.group()
def discount() -> None:
    """Discounts off face value, by kind or party, optionally for one brand or product."""


@discount.command("set")
@click.argument("percent")
@click.option("--kind", type=click.Choice(["partner", "agent", "subagent"]), default=None)
@click.option("--party", "party_id", type=int, default=None)
@click.option("--brand", "brand_id", type=int, default=None)
@click.option("--product", "product_id", type=int, default=None)
def discount_set(percent: str, kind: str | None, party_id: int | None, brand_id: int | None,
                 product_id: int | None) -> None:
    """Set a discount, e.g. `steller discount set 5 --kind agent` or `… 3.5 --party 12 --brand 7`."""
    from core.parties.models import PartyKind
    from core.pricing import service as pricing

    rate = _percent(percent)

    async def go() -> str:
        d = await pricing.set_discount(rate=rate, actor=CLI_ACTOR, party_kind=PartyKind(kind) if kind else None,
                                       party_id=party_id, brand_id=brand_id, product_id=product_id)
        return f"discount #{d.id} is {plain(d.rate * 100)} %"

    click.echo(run_with_db(go, transaction=True))


@discount.command("list")
def discount_list() -> None:
    """Every discount, most general first."""
    from core.pricing import service as pricing

    for d in run_with_db(pricing.list_discounts):
        who = f"party {d.party_id}" if d.party_id else f"kind {d.party_kind}"
        scope = f"product {d.product_id}" if d.product_id else f"brand {d.brand_id}" if d.brand_id else "all cards"
        click.echo(f"#{d.id:<4} {who:<14} {scope:<16} {plain(d.rate * 100)} %")


@click.group()
def cardlist() -> None:
    """Which cards a party may buy (the default agent list, or a party's own)."""


def _target(party_id: int | None):
    from core.catalog import cardlists

    if party_id is None:
        return lambda: cardlists.default_agent_list(actor=CLI_ACTOR)
    return lambda: cardlists.party_list(party_id=party_id, actor=CLI_ACTOR)


@cardlist.command("show")
@click.option("--party", "party_id", type=int, default=None, help="A party's own list (default: the agent list).")
def cardlist_show(party_id: int | None) -> None:
    from core.catalog import cardlists

    async def go():
        return await cardlists.list_items(await _target(party_id)())

    for item in run_with_db(go, transaction=True):
        what = ", ".join(item.denominations) if item.denominations else f"{plain(item.min_face)}–{plain(item.max_face)}"
        click.echo(f"product {item.product_id:<10} {item.mode:<6} {what}")


@cardlist.command("add")
@click.argument("product_id", type=int)
@click.option("--party", "party_id", type=int, default=None)
@click.option("--denominations", default=None, help="Fixed values, e.g. 10,20,50.")
@click.option("--range", "face_range", default=None, help="Any amount in MIN-MAX, e.g. 1-100.")
def cardlist_add(product_id: int, party_id: int | None, denominations: str | None, face_range: str | None) -> None:
    """Add (or replace) a card on a list."""
    from core.catalog import cardlists

    low = high = None
    if face_range:
        try:
            low, high = (part.strip() for part in face_range.split("-", 1))
        except ValueError:
            raise click.BadParameter("use MIN-MAX, e.g. 1-100") from None
    values = [v.strip() for v in denominations.split(",")] if denominations else None

    async def go() -> str:
        card_list = await _target(party_id)()
        item = await cardlists.put_item(card_list=card_list, product_id=product_id, actor=CLI_ACTOR,
                                        denominations=values, min_face=low, max_face=high)
        return f"{card_list.name}: product {product_id} ({item.mode})"

    click.echo(run_with_db(go, transaction=True))


@cardlist.command("remove")
@click.argument("product_id", type=int)
@click.option("--party", "party_id", type=int, default=None)
def cardlist_remove(product_id: int, party_id: int | None) -> None:
    from core.catalog import cardlists

    async def go() -> bool:
        return await cardlists.remove_item(card_list=await _target(party_id)(), product_id=product_id,
                                           actor=CLI_ACTOR)

    click.echo("removed" if run_with_db(go, transaction=True) else "that card was not on the list")


@cardlist.command("clear")
@click.option("--party", "party_id", type=int, required=True)
def cardlist_clear(party_id: int) -> None:
    """Drop a party's own list: it falls back to the default list (or the full catalog for partners)."""
    from core.catalog import cardlists

    async def go() -> bool:
        return await cardlists.drop_party_list(party_id=party_id, actor=CLI_ACTOR)

    click.echo("dropped" if run_with_db(go, transaction=True) else "that party had no list of its own")


@click.command("show")
@click.option("--party", "party_id", type=int, default=None,
              help="Price for this party (default: the full catalog at the partner default discount).")
@click.option("--limit", default=100, show_default=True)
@click.option("--country", default=None)
@click.option("--currency", default=None)
@click.option("--brand", "brand_id", type=int, default=None)
@click.option("--q", "text", default=None, help="Text search in product and brand names.")
@click.option("--json", "as_json", is_flag=True)
def catalog_show(party_id: int | None, limit: int, country: str | None, currency: str | None,
                 brand_id: int | None, text: str | None, as_json: bool) -> None:
    """What a party may buy and at what price."""
    from core.catalog.offers import priced_catalog
    from core.parties import service as parties
    from core.parties.models import Party, PartyKind

    async def go():
        if party_id is not None:
            party = await parties.get_party(party_id)
        else:  # a stand-in top-level partner: the full catalog at the partner default
            party = Party(id=0, kind=PartyKind.PARTNER, name="catalog", currency="USD", depth=1)
        items, cursor = [], None
        while len(items) < limit:
            page = await priced_catalog(party=party, limit=min(100, limit - len(items)), cursor=cursor,
                                        country=country, currency=currency, brand_id=brand_id, text=text)
            items.extend(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        return party, items

    party, items = run_with_db(go)
    rows = []
    for o in items:
        offer = o.offer
        face = ([plain(d) for d in offer.denominations] if offer.mode == "fixed"
                else {"min": plain(offer.min_face), "max": plain(offer.max_face)})
        price = None if o.example is None else str(from_minor(o.example.unit_price, o.example.currency))
        rows.append({"id": o.product.id, "name": o.product.name, "brand": o.brand.name,
                     "country": o.product.country, "currency": o.product.currency, "face_value": face,
                     "price": price, "price_currency": o.example.currency if o.example else party.currency,
                     "price_face": plain(offer.example_face()), "available": o.available})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        face = ",".join(r["face_value"]) if isinstance(r["face_value"], list) else \
            f"{r['face_value']['min']}-{r['face_value']['max']}"
        price = f"{r['price']} {r['price_currency']} for {r['price_face']}" if r["price"] else "not for sale"
        click.echo(f"{r['id']:<10} {r['name'][:40]:<40} {r['country']:<3} {r['currency']:<4} {face:<16} {price}")
    click.echo(f"{len(rows)} product(s)")
