"""/cardlist [default | <party>]: view and edit the default agent card list, or a party's own list.

A list shows its cards in order (the order agents see in /order), paged, each with ↑ / ↓ to move it
and its name to open it (Remove, Change how it is offered). "Add a card" asks for a search text,
shows the matching catalog cards (paged), and then: a fixed card is added with its value; a range
card asks how it is offered (any amount in its range, a narrower range, or a few fixed amounts).

A party without its own list buys from the default list (agents, sub-agents) or the whole catalog
(partners); its own list replaces that, so the view offers to start from a copy of the default. The
core does every change with the admin actor and audits it (`core.catalog.cardlists`).

Callback data names the list by party (0 = the default list) and the card by product id; the list
itself is looked up on every press.
"""

from __future__ import annotations

import re
from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.context import UpdateContext
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import find, say
from bot.flows.admin_catalog.callbacks import CardListCb
from bot.flows.order.render import face_text
from bot.i18n import number
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.catalog import cardlists, lookup
from core.catalog.cardlists import InvalidCardListItem
from core.catalog.models import CardList, CardListItem, CardMode, Product
from core.db import atomic
from core.money import InvalidAmount, from_minor, parse_amount
from core.parties import service as parties
from core.parties.models import Party, PartyKind

PAGE = 8
SEARCH_PAGE = 8
NAME_WIDTH = 36  # characters of a card's name on a button
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:-|–|—|\.\.|\s)\s*(\S+)\s*$")
# "10, 20, 50", "10 20 50", "10; 20": a comma followed by a space separates (a bare comma is a decimal mark).
_AMOUNTS_SEPARATOR = re.compile(r"[\s;،]+|,\s+")


class CardListStates(StatesGroup):
    party = State()  # waiting for a party's id or name
    search = State()  # waiting for a search text; data: party, text
    range = State()  # waiting for "min-max"; data: party, product
    denominations = State()  # waiting for "10, 20, 50"; data: party, product


def _short(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[:NAME_WIDTH - 1] + "…"


def offer_text(ctx: UpdateContext, item: CardListItem, product: Product) -> str:
    if item.mode == CardMode.FIXED:
        values = ", ".join(number(Decimal(d).normalize(), ctx.lang) for d in item.denominations)
        return ctx.t("admin_catalog.cardlist.offer.fixed", values=values, currency=product.currency)
    return ctx.t("admin_catalog.cardlist.offer.range", low=number(item.min_face.normalize(), ctx.lang),
                 high=number(item.max_face.normalize(), ctx.lang), currency=product.currency)


async def _target(actor: Actor, party_id: int) -> tuple[Party | None, CardList | None]:
    """(the party or None for the default list, its list or None when it has none)."""
    if party_id == 0:
        return None, await cardlists.default_list(actor=actor)
    return await parties.get_party(party_id), await cardlists.own_list(actor=actor, party_id=party_id)


async def _ensure_list(actor: Actor, party_id: int) -> CardList:
    if party_id == 0:
        return await cardlists.default_agent_list(actor=actor)
    return await cardlists.party_list(party_id=party_id, actor=actor)


def _back_to_lists(ctx: UpdateContext) -> list[tuple[str, str]]:
    return [(ctx.t("admin_catalog.cardlist.button.lists"), CardListCb(action="home").pack()),
            (ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())]


# --- Which list ----------------------------------------------------------------------------------


async def cardlist_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    ref = (command.args or "").strip()
    if not ref:
        await _home(message, ctx)
        return
    if ref.lower() in ("default", "agents"):
        await show_list(message, ctx, actor, 0)
        return
    party = await find(message, ctx, actor, ref)
    if party is not None:
        await show_list(message, ctx, actor, party.id)


async def cardlist_home(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await ctx.admin_actor()
    await _home(query, ctx)


async def _home(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    await show(event, ctx.t("admin_catalog.cardlist.home"), keyboard([
        [(ctx.t("admin_catalog.cardlist.button.default"), CardListCb(action="open").pack())],
        [(ctx.t("admin_catalog.cardlist.button.party"), CardListCb(action="party").pack())],
        [(ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())],
    ]))


async def party_asked(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await ctx.admin_actor()
    await state.set_state(CardListStates.party)
    await state.set_data({})
    await show(query, ctx.t("admin_catalog.cardlist.ask.party"),
               keyboard([[(ctx.t("button.cancel"), CardListCb(action="home").pack())]]))


async def typed_party(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    party = await find(message, ctx, actor, message.text or "")
    if party is None:  # told why; the question stays
        return
    await state.clear()
    await show_list(message, ctx, actor, party.id)


# --- A list --------------------------------------------------------------------------------------


async def show_list(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, party_id: int, *,
                    page: int = 0, notice: str | None = None) -> None:
    party, card_list = await _target(actor, party_id)
    items = await cardlists.list_items(card_list) if card_list is not None else []
    lines = [notice, ""] if notice else []
    rows: list[list[tuple[str, str]]] = []
    if party is None:
        lines.append(ctx.t("admin_catalog.cardlist.title.default", count=len(items)))
    elif card_list is not None:
        lines.append(ctx.t("admin_catalog.cardlist.title.own", name=party.name, id=str(party.id), count=len(items)))
    else:
        default = await cardlists.default_list(actor=actor)
        default_count = len(await cardlists.list_items(default)) if default is not None else 0
        if party.kind == PartyKind.PARTNER:
            lines.append(ctx.t("admin_catalog.cardlist.title.catalog", name=party.name, id=str(party.id)))
        else:
            lines.append(ctx.t("admin_catalog.cardlist.title.uses_default", name=party.name, id=str(party.id),
                               count=default_count))
            rows.append([(ctx.t("admin_catalog.cardlist.button.copy"),
                          CardListCb(action="copy", party=party_id).pack())])
    pages = max(1, (len(items) + PAGE - 1) // PAGE)
    page = min(max(page, 0), pages - 1)
    if items:
        lines.append("")
        if pages > 1:
            lines.append(ctx.t("admin_catalog.cardlist.page", page=page + 1, pages=pages))
    for index in range(page * PAGE, min(len(items), (page + 1) * PAGE)):
        item = items[index]
        product = item.product
        mark = "" if product.available else ctx.t("admin_catalog.cardlist.unavailable")
        lines.append(ctx.t("admin_catalog.cardlist.line", index=index + 1, name=product.name, id=str(product.id),
                           offer=offer_text(ctx, item, product)) + mark)
        rows.append([(f"{index + 1}. {_short(product.name)}",
                      CardListCb(action="item", party=party_id, product=product.id, page=page).pack()),
                     ("↑", CardListCb(action="up", party=party_id, product=product.id, page=page).pack()),
                     ("↓", CardListCb(action="down", party=party_id, product=product.id, page=page).pack())])
    nav = []
    if page > 0:
        nav.append((ctx.t("admin_catalog.button.previous"), CardListCb(action="open", party=party_id, page=page - 1).pack()))
    if page + 1 < pages:
        nav.append((ctx.t("admin_catalog.button.next"), CardListCb(action="open", party=party_id, page=page + 1).pack()))
    rows.append(nav)
    add_key = "add_first" if party is not None and card_list is None else "add"
    rows.append([(ctx.t(f"admin_catalog.cardlist.button.{add_key}"), CardListCb(action="add", party=party_id).pack())])
    if party is not None and card_list is not None:
        rows.append([(ctx.t("admin_catalog.cardlist.button.drop"), CardListCb(action="drop", party=party_id).pack())])
    rows.append(_back_to_lists(ctx))
    await show(event, "\n".join(lines), keyboard(rows))


async def opened(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    await show_list(query, ctx, actor, callback_data.party, page=callback_data.page)


async def _item_of(query: CallbackQuery, ctx: UpdateContext, actor: Actor,
                   callback_data: CardListCb) -> tuple[CardList, list[CardListItem], int] | None:
    """The list, its items and the pressed card's index; None (after a refusal) when it is not on it."""
    _, card_list = await _target(actor, callback_data.party)
    items = await cardlists.list_items(card_list) if card_list is not None else []
    index = next((i for i, item in enumerate(items) if item.product_id == callback_data.product), None)
    if card_list is None or index is None:
        await query.answer(ctx.t("admin_catalog.cardlist.not_on_list"), show_alert=True)
        await show_list(query, ctx, actor, callback_data.party, page=callback_data.page)
        return None
    return card_list, items, index


async def item_opened(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    found = await _item_of(query, ctx, actor, callback_data)
    if found is None:
        return
    _, items, index = found
    item = items[index]
    product = await lookup.find_product(actor=actor, ref=str(item.product_id))
    text = ctx.t("admin_catalog.cardlist.item", name=product.name, id=str(product.id), brand=product.brand.name,
                 country=product.country, offer=offer_text(ctx, item, product), position=index + 1, count=len(items))
    if not product.available:
        text += ctx.t("admin_catalog.cardlist.unavailable")
    party_id, page = callback_data.party, index // PAGE
    rows = [
        [(ctx.t("admin_catalog.cardlist.button.up"), CardListCb(action="up", party=party_id, product=product.id, page=page).pack()),
         (ctx.t("admin_catalog.cardlist.button.down"), CardListCb(action="down", party=party_id, product=product.id, page=page).pack())],
        [(ctx.t("admin_catalog.cardlist.button.remove"), CardListCb(action="rm", party=party_id, product=product.id, page=page).pack())],
    ]
    if not product.is_fixed:
        rows.append([(ctx.t("admin_catalog.cardlist.button.change"),
                      CardListCb(action="pick", party=party_id, product=product.id).pack())])
    rows.append([(ctx.t("admin_catalog.cardlist.button.back"), CardListCb(action="open", party=party_id, page=page).pack())])
    await show(query, text, keyboard(rows))


async def moved(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    found = await _item_of(query, ctx, actor, callback_data)
    if found is None:
        return
    card_list, _, index = found
    up = callback_data.action == "up"
    if not await cardlists.move_item(actor=actor, card_list=card_list, product_id=callback_data.product, up=up):
        await query.answer(ctx.t(f"admin_catalog.cardlist.already.{'top' if up else 'bottom'}"))
        return
    new_index = index - 1 if up else index + 1
    await show_list(query, ctx, actor, callback_data.party, page=new_index // PAGE)


async def remove_asked(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    found = await _item_of(query, ctx, actor, callback_data)
    if found is None:
        return
    _, items, index = found
    party_id = callback_data.party
    await show(query, ctx.t("admin_catalog.cardlist.remove.confirm", name=items[index].product.name,
                            list=await _list_name(ctx, actor, party_id)), keyboard([[
        (ctx.t("admin_catalog.cardlist.button.remove_yes"),
         CardListCb(action="rmok", party=party_id, product=callback_data.product, page=callback_data.page).pack()),
        (ctx.t("button.cancel"), CardListCb(action="open", party=party_id, page=callback_data.page).pack()),
    ]]))


async def removed(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext) -> None:
    """A second press finds the card gone already: nothing more changes."""
    actor = await ctx.admin_actor()
    _, card_list = await _target(actor, callback_data.party)
    done = card_list is not None and await cardlists.remove_item(card_list=card_list, product_id=callback_data.product,
                                                                 actor=actor)
    if not done:
        await query.answer(ctx.t("admin_catalog.cardlist.not_on_list"), show_alert=True)
    notice = ctx.t("admin_catalog.cardlist.removed") if done else None
    await show_list(query, ctx, actor, callback_data.party, page=callback_data.page, notice=notice)


async def _list_name(ctx: UpdateContext, actor: Actor, party_id: int) -> str:
    if party_id == 0:
        return ctx.t("admin_catalog.cardlist.name.default")
    party = await parties.get_party(party_id)
    return ctx.t("admin_catalog.cardlist.name.party", name=party.name, id=str(party.id))


async def copied(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    if callback_data.party == 0:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    _, existing = await _target(actor, callback_data.party)
    if existing is not None:  # pressed twice, or the list was made meanwhile: it is left as it is
        await query.answer(ctx.t("admin_catalog.cardlist.has_own"), show_alert=True)
        await show_list(query, ctx, actor, callback_data.party)
        return
    await cardlists.copy_default_to_party(actor=actor, party_id=callback_data.party)
    await show_list(query, ctx, actor, callback_data.party, notice=ctx.t("admin_catalog.cardlist.copied"))


async def drop_asked(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext) -> None:
    await ctx.admin_actor()
    if callback_data.party == 0:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    party = await parties.get_party(callback_data.party)
    key = "catalog" if party.kind == PartyKind.PARTNER else "default"
    await show(query, ctx.t(f"admin_catalog.cardlist.drop.confirm.{key}", name=party.name, id=str(party.id)), keyboard([[
        (ctx.t("admin_catalog.cardlist.button.drop_yes"), CardListCb(action="dropok", party=party.id).pack()),
        (ctx.t("button.cancel"), CardListCb(action="open", party=party.id).pack()),
    ]]))


async def dropped(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext) -> None:
    actor = await ctx.admin_actor()
    if callback_data.party == 0:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    done = await cardlists.drop_party_list(party_id=callback_data.party, actor=actor)
    if not done:
        await query.answer(ctx.t("admin_catalog.cardlist.no_own"), show_alert=True)
    await show_list(query, ctx, actor, callback_data.party,
                    notice=ctx.t("admin_catalog.cardlist.dropped") if done else None)


# --- Adding a card: search → pick → how it is offered ---------------------------------------------


async def add_asked(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    await _target(actor, callback_data.party)  # a forged party id is refused here
    await state.set_state(CardListStates.search)
    await state.set_data({"party": callback_data.party})
    await show(query, ctx.t("admin_catalog.cardlist.ask.search", list=await _list_name(ctx, actor, callback_data.party)),
               keyboard([[(ctx.t("button.cancel"), CardListCb(action="open", party=callback_data.party).pack())]]))


async def typed_search(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    data = await state.get_data()
    party_id = data.get("party")
    if not isinstance(party_id, int):
        await state.clear()
        await message.answer(ctx.t("error.stale_button"))
        return
    text = (message.text or "").strip()
    await state.update_data(text=text)  # still searching: another text searches again
    await _results(message, ctx, actor, party_id, text, cursor=None)


async def more_results(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    data = await state.get_data()
    if await state.get_state() != CardListStates.search.state or data.get("party") != callback_data.party:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _results(query, ctx, actor, callback_data.party, data.get("text") or "", cursor=callback_data.page or None)


async def _results(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, party_id: int, text: str, *,
                   cursor: int | None) -> None:
    found = await cardlists.search_catalog(actor=actor, text=text, limit=SEARCH_PAGE, cursor=cursor)
    cancel = [(ctx.t("button.cancel"), CardListCb(action="open", party=party_id).pack())]
    if not found.items:
        await show(event, ctx.t("admin_catalog.cardlist.search.none", text=text), keyboard([cancel]))
        return
    rows = [[(f"{_short(p.name)} · {p.country}", CardListCb(action="pick", party=party_id, product=p.id).pack())]
            for p in found.items]
    if found.next_cursor is not None:
        rows.append([(ctx.t("admin_catalog.button.next"),
                      CardListCb(action="more", party=party_id, page=found.next_cursor).pack())])
    rows.append(cancel)
    await show(event, ctx.t("admin_catalog.cardlist.search.results", text=text), keyboard(rows))


async def picked(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    await _target(actor, callback_data.party)
    product = await lookup.find_product(actor=actor, ref=str(callback_data.product))
    if product.gone_at is not None:
        await query.answer(ctx.t("admin_catalog.cardlist.gone"), show_alert=True)
        return
    if product.is_fixed:
        await _put(query, ctx, actor, callback_data.party, product, denominations=[product.min_face])
        return
    party_id = callback_data.party
    low, high = face_text(product.min_face, product.currency, ctx.lang), face_text(product.max_face, product.currency, ctx.lang)
    await show(query, ctx.t("admin_catalog.cardlist.how", name=product.name, low=low, high=high), keyboard([
        [(ctx.t("admin_catalog.cardlist.button.full", low=low, high=high),
          CardListCb(action="full", party=party_id, product=product.id).pack())],
        [(ctx.t("admin_catalog.cardlist.button.range"), CardListCb(action="range", party=party_id, product=product.id).pack()),
         (ctx.t("admin_catalog.cardlist.button.denominations"),
          CardListCb(action="denoms", party=party_id, product=product.id).pack())],
        [(ctx.t("button.cancel"), CardListCb(action="open", party=party_id).pack())],
    ]))


async def full_range(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    product = await lookup.find_product(actor=actor, ref=str(callback_data.product))
    await _put(query, ctx, actor, callback_data.party, product)


async def shape_asked(query: CallbackQuery, callback_data: CardListCb, ctx: UpdateContext, state: FSMContext) -> None:
    """A narrower range, or fixed amounts: typed next."""
    actor = await ctx.admin_actor()
    await _target(actor, callback_data.party)
    product = await lookup.find_product(actor=actor, ref=str(callback_data.product))
    question = CardListStates.range if callback_data.action == "range" else CardListStates.denominations
    await state.set_state(question)
    await state.set_data({"party": callback_data.party, "product": product.id})
    low, high = face_text(product.min_face, product.currency, ctx.lang), face_text(product.max_face, product.currency, ctx.lang)
    key = "range" if question == CardListStates.range else "denominations"
    await show(query, ctx.t(f"admin_catalog.cardlist.ask.{key}", name=product.name, low=low, high=high),
               keyboard([[(ctx.t("button.cancel"), CardListCb(action="open", party=callback_data.party).pack())]]))


def _amount(text: str, currency: str) -> Decimal:
    return from_minor(parse_amount(text, currency), currency)


async def typed_shape(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    data = await state.get_data()
    party_id, product_id = data.get("party"), data.get("product")
    if not isinstance(party_id, int) or not isinstance(product_id, int):
        await state.clear()
        await message.answer(ctx.t("error.stale_button"))
        return
    product = await lookup.find_product(actor=actor, ref=str(product_id))
    text = (message.text or "").strip()
    as_range = await state.get_state() == CardListStates.range.state
    try:
        if as_range:
            match = _RANGE.match(text)
            if match is None:
                raise InvalidAmount("not a range")
            shape = {"min_face": _amount(match.group(1), product.currency),
                     "max_face": _amount(match.group(2), product.currency)}
        else:
            parts = [p for p in _AMOUNTS_SEPARATOR.split(text) if p]
            if not parts:
                raise InvalidAmount("no amounts")
            shape = {"denominations": [_amount(p, product.currency) for p in parts]}
    except InvalidAmount:
        await message.answer(ctx.t(f"admin_catalog.cardlist.not.{'range' if as_range else 'denominations'}"))
        return
    if await _put(message, ctx, actor, party_id, product, **shape):
        await state.clear()


async def _put(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, party_id: int, product: Product,
               **shape) -> bool:
    """Add (or replace) the card; a shape outside the card's range is explained and nothing changes."""
    await _target(actor, party_id)
    try:
        async with atomic():  # a savepoint: a refused card leaves no new (empty) list behind either
            card_list = await _ensure_list(actor, party_id)
            await cardlists.put_item(card_list=card_list, product_id=product.id, actor=actor, **shape)
    except InvalidCardListItem:
        await say(event, ctx.t("admin_catalog.cardlist.outside", name=product.name,
                               low=face_text(product.min_face, product.currency, ctx.lang),
                               high=face_text(product.max_face, product.currency, ctx.lang)))
        return False
    items = await cardlists.list_items(card_list)
    index = next((i for i, item in enumerate(items) if item.product_id == product.id), 0)
    await show_list(event, ctx, actor, party_id, page=index // PAGE,
                    notice=ctx.t("admin_catalog.cardlist.added", name=product.name))
    return True


def register(router: Router) -> None:
    router.message.register(cardlist_command, Command("cardlist"))
    router.callback_query.register(cardlist_home, AdminCb.filter(F.area == "cardlist"))
    router.callback_query.register(cardlist_home, CardListCb.filter(F.action == "home"))
    router.callback_query.register(party_asked, CardListCb.filter(F.action == "party"))
    router.callback_query.register(opened, CardListCb.filter(F.action == "open"))
    router.callback_query.register(item_opened, CardListCb.filter(F.action == "item"))
    router.callback_query.register(moved, CardListCb.filter(F.action.in_({"up", "down"})))
    router.callback_query.register(remove_asked, CardListCb.filter(F.action == "rm"))
    router.callback_query.register(removed, CardListCb.filter(F.action == "rmok"))
    router.callback_query.register(copied, CardListCb.filter(F.action == "copy"))
    router.callback_query.register(drop_asked, CardListCb.filter(F.action == "drop"))
    router.callback_query.register(dropped, CardListCb.filter(F.action == "dropok"))
    router.callback_query.register(add_asked, CardListCb.filter(F.action == "add"))
    router.callback_query.register(more_results, CardListCb.filter(F.action == "more"))
    router.callback_query.register(picked, CardListCb.filter(F.action == "pick"))
    router.callback_query.register(full_range, CardListCb.filter(F.action == "full"))
    router.callback_query.register(shape_asked, CardListCb.filter(F.action.in_({"range", "denoms"})))
    typed = F.text & ~F.text.startswith("/")  # a command leaves the question, it is not an answer
    router.message.register(typed_party, StateFilter(CardListStates.party), typed)
    router.message.register(typed_search, StateFilter(CardListStates.search), typed)
    router.message.register(typed_shape, StateFilter(CardListStates.range, CardListStates.denominations), typed)
