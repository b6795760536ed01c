"""/discount <party|kind> <percent> [brand|product]: set a discount off face value, after a confirmation.

The target is a kind's default (`agent`, `subagent`, `partner`) or one party (id or exact name, in
quotes when it has spaces); the optional scope narrows it to a brand (`brand:<id or name>`, or a bare
name) or one card (`product:<id>`, or a bare id). From the /admin menu the same is asked step by step:
whose → which cards → the percentage.

The confirmation names the target, the scope and the percentage, with what an example party pays
for an example card now; Confirm works once (bot/confirm.py) and the result shows that price before
and after. The core decides what is allowed (a child never above its parent, kind defaults in tree
order) and writes the audit entry (`pricing.set_discount` with the admin actor).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.args import Usage, words
from bot.flows.admin.common import AdminCb
from bot.flows.admin.shared import find, say
from bot.flows.admin_catalog.callbacks import DISCOUNT_KINDS, SCOPES, DiscountCb
from bot.flows.order.render import face_text
from bot.i18n import money
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.catalog import browse, lookup
from core.catalog.cardlists import Offer
from core.catalog.models import CardMode
from core.errors import DomainError
from core.money import plain
from core.parties import service as parties
from core.parties.models import PartyKind
from core.pricing import service as pricing
from core.pricing.overview import discount_lines

CONFIRM_ACTION = "discount"
# What admins type for a kind (English; the id or name of a party otherwise).
KIND_WORDS = {"agent": "agent", "agents": "agent", "subagent": "subagent", "subagents": "subagent",
              "sub-agent": "subagent", "sub-agents": "subagent", "partner": "partner", "partners": "partner"}
_ARABIC_DIGITS = {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)},
                  0x066B: ".", 0x066A: "%"}
_PERCENT = re.compile(r"^(\d{1,2})([.,](\d{1,2}))?%?$")
EXAMPLE_CANDIDATES = 50
EXAMPLE_RANGE_FACE = Decimal(100)
LIST_LIMIT = 40


class DiscountStates(StatesGroup):
    party = State()  # waiting for a party's id or name
    brand = State()  # waiting for a brand; data: the target
    product = State()  # waiting for a card's id; data: the target
    percent = State()  # waiting for the percentage; data: the target with its scope


@dataclass(frozen=True)
class Target:
    """Whose discount (a kind's default or a party's own), on which cards (all, a brand, a card)."""

    kind: str | None = None
    party_id: int | None = None
    brand_id: int | None = None
    product_id: int | None = None

    @classmethod
    def of(cls, data: dict) -> Target | None:
        """From FSM data or a confirmation's payload; None when it names nobody (stale, forged)."""
        kind, party_id = data.get("kind"), data.get("party_id")
        brand_id, product_id = data.get("brand_id"), data.get("product_id")
        valid_kind = kind in DISCOUNT_KINDS and party_id is None
        valid_party = kind is None and isinstance(party_id, int) and party_id > 0
        ids_ok = all(v is None or (isinstance(v, int) and v > 0) for v in (brand_id, product_id))
        if not (valid_kind or valid_party) or not ids_ok or (brand_id and product_id):
            return None
        return cls(kind=kind, party_id=party_id, brand_id=brand_id, product_id=product_id)

    @classmethod
    def from_button(cls, cb: DiscountCb) -> Target | None:
        return cls.of({"kind": cb.kind or None, "party_id": cb.party or None})

    def data(self) -> dict:
        return asdict(self)


def parse_percent(text: str) -> Decimal | None:
    """`5`, `5%`, `3.5`, `3,25` (Arabic digits too) → the rate 0.05, 0.035, 0.0325; else None. 0 ≤ p < 100."""
    match = _PERCENT.match(text.strip().translate(_ARABIC_DIGITS).replace(" ", ""))
    if match is None:
        return None
    percent = Decimal(f"{match.group(1)}.{match.group(3) or '0'}")
    return (percent / 100).quantize(Decimal("0.0001"))


def percent_of(rate: Decimal) -> Decimal:
    return Decimal(plain(Decimal(rate) * 100))


# --- Naming things ---------------------------------------------------------------------------


async def target_text(ctx: UpdateContext, target: Target) -> str:
    if target.kind is not None:
        return ctx.t(f"admin_catalog.discount.kind.{target.kind}")
    party = await parties.get_party(target.party_id)
    return ctx.t("admin_catalog.discount.party", name=party.name, id=str(party.id))


async def scope_text(ctx: UpdateContext, actor: Actor, target: Target) -> str:
    if target.product_id is not None:
        product = await lookup.find_product(actor=actor, ref=str(target.product_id))
        return ctx.t("admin_catalog.discount.scope.product", name=product.name, id=str(product.id))
    if target.brand_id is not None:
        brand = await lookup.find_brand(actor=actor, ref=str(target.brand_id))
        return ctx.t("admin_catalog.discount.scope.brand", name=brand.name, id=str(brand.id))
    return ctx.t("admin_catalog.discount.scope.all")


# --- The example price -------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """What one party pays for one card of the discount's scope."""

    party_id: int
    party_name: str
    product_id: int
    product_name: str
    face: Decimal
    card_currency: str
    price: int  # minor units of `currency`
    currency: str


def example_face(offer: Offer) -> Decimal:
    """A fixed card's first amount; for a range, 100 (a round figure to read a discount on) within it."""
    if offer.mode == CardMode.FIXED:
        return offer.denominations[0]
    return min(max(EXAMPLE_RANGE_FACE, offer.min_face), offer.max_face)


async def _example_party(actor: Actor, target: Target):
    """The party itself, or for a kind the first active party of it without its own discount here."""
    if target.party_id is not None:
        return await parties.get_party(target.party_id)
    candidates = await parties.list_parties(actor=actor, kind=target.kind, status="active", limit=EXAMPLE_CANDIDATES)
    for party in candidates:
        book = await pricing.discount_book(party)
        if book.resolve_own(brand_id=target.brand_id, product_id=target.product_id) is None:
            return party
    return candidates[0] if candidates else None


async def find_example(actor: Actor, target: Target) -> Example | None:
    """None when no party or no card of the scope can be priced now (nothing listed, below cost, …)."""
    party = await _example_party(actor, target)
    if party is None:
        return None
    try:
        if target.product_id is not None:
            product, offer = await browse.offer(actor=actor, party_id=party.id, product_id=target.product_id)
        else:
            page = await browse.catalog_page(actor=actor, party_id=party.id, brand_id=target.brand_id, limit=20)
            item = next((i for i in page.items if i.example is not None), None)
            if item is None:
                return None
            product, offer = item.product, item.offer
        face = example_face(offer)
        quote = await browse.quote(actor=actor, party_id=party.id, product_id=product.id, face=face, quantity=1)
    except DomainError:
        return None
    return Example(party_id=party.id, party_name=party.name, product_id=product.id, product_name=product.name,
                   face=face, card_currency=product.currency, price=quote.unit_price, currency=quote.currency)


async def price_now(actor: Actor, example: Example) -> int | None:
    try:
        quote = await browse.quote(actor=actor, party_id=example.party_id, product_id=example.product_id,
                                   face=example.face, quantity=1)
    except DomainError:
        return None
    return quote.unit_price


def example_params(ctx: UpdateContext, example: Example) -> dict:
    return {"party": example.party_name, "card": example.product_name,
            "face": face_text(example.face, example.card_currency, ctx.lang)}


# --- The shortcut ------------------------------------------------------------------------------


async def discount_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                           confirmations: Confirmations) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    if not (command.args or "").strip():
        await _start(message, ctx)
        return
    try:
        args = words(command.args)
        if len(args) not in (2, 3):
            raise Usage("two or three words")
    except Usage:
        await message.answer(ctx.t("admin_catalog.discount.usage"))
        return
    kind = KIND_WORDS.get(args[0].lower())
    if kind is not None:
        target = Target(kind=kind)
    else:
        party = await find(message, ctx, actor, args[0])
        if party is None:
            return
        target = Target(party_id=party.id)
    rate = parse_percent(args[1])
    if rate is None:
        await message.answer(ctx.t("admin_catalog.discount.not_a_percent"))
        return
    if len(args) == 3:
        scoped = await _scoped(message, ctx, actor, target, args[2])
        if scoped is None:
            return
        target = scoped
    await offer(message, ctx, actor, confirmations, target, rate)


async def _scoped(event: Message, ctx: UpdateContext, actor: Actor, target: Target, ref: str) -> Target | None:
    """`brand:<id or name>`, `product:<id>`, a bare id (a card) or a bare name (a brand)."""
    head, _, rest = ref.partition(":")
    if rest and head.lower() in ("brand", "product"):
        as_product, ref = head.lower() == "product", rest
    else:
        as_product = ref.strip().lstrip("#").isdigit()
    if as_product:
        product = await _product(event, ctx, actor, ref)
        return None if product is None else Target(kind=target.kind, party_id=target.party_id, product_id=product.id)
    brand = await _brand(event, ctx, actor, ref)
    return None if brand is None else Target(kind=target.kind, party_id=target.party_id, brand_id=brand.id)


async def _brand(event: Message, ctx: UpdateContext, actor: Actor, ref: str):
    try:
        return await lookup.find_brand(actor=actor, ref=ref)
    except lookup.AmbiguousBrand as exc:
        await say(event, ctx.t("admin_catalog.brand.ambiguous", ref=ref.strip(),
                               ids=", ".join(f"#{i}" for i in exc.details.get("ids", []))))
    except lookup.BrandNotFound:
        await say(event, ctx.t("admin_catalog.brand.not_found", ref=ref.strip()))
    return None


async def _product(event: Message, ctx: UpdateContext, actor: Actor, ref: str):
    try:
        return await lookup.find_product(actor=actor, ref=ref)
    except lookup.NoSuchProduct:
        await say(event, ctx.t("admin_catalog.product.not_found", ref=ref.strip()))
    return None


# --- The confirmation ----------------------------------------------------------------------------


async def offer(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, confirmations: Confirmations,
                target: Target, rate: Decimal) -> None:
    """The summary with Confirm / Cancel: target, cards, percentage, and an example price now."""
    lines = [ctx.t("admin_catalog.discount.confirm", target=await target_text(ctx, target),
                   scope=await scope_text(ctx, actor, target), percent=percent_of(rate))]
    example = await find_example(actor, target)
    if example is not None:
        lines.append(ctx.t("admin_catalog.discount.example.now", **example_params(ctx, example),
                           price=money(example.price, example.currency)))
    else:
        lines.append(ctx.t("admin_catalog.discount.example.none"))
    token = await confirmations.offer(ctx.telegram_user_id, CONFIRM_ACTION, {**target.data(), "rate": str(rate)})
    await show(event, "\n\n".join(lines), keyboard([[
        (ctx.t("button.confirm"), DiscountCb(action="ok", token=token).pack()),
        (ctx.t("button.cancel"), DiscountCb(action="no", token=token).pack()),
    ]]))


async def confirmed(query: CallbackQuery, callback_data: DiscountCb, ctx: UpdateContext,
                    confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    payload = await confirmations.take(ctx.telegram_user_id, callback_data.token, CONFIRM_ACTION)
    target = Target.of(payload) if payload is not None else None
    if payload is None or target is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    rate = Decimal(payload["rate"])
    example = await find_example(actor, target)
    try:
        await pricing.set_discount(actor=actor, rate=rate, party_kind=PartyKind(target.kind) if target.kind else None,
                                   party_id=target.party_id, brand_id=target.brand_id, product_id=target.product_id)
    except DomainError:
        # Refused and rolled back with the update: the admin may fix the cause and press again.
        await confirmations.put_back(ctx.telegram_user_id, callback_data.token, payload)
        raise
    lines = [ctx.t("admin_catalog.discount.done", target=await target_text(ctx, target),
                   scope=await scope_text(ctx, actor, target), percent=percent_of(rate))]
    after = await price_now(actor, example) if example is not None else None
    if example is not None and after is not None:
        lines.append(ctx.t("admin_catalog.discount.example.changed", **example_params(ctx, example),
                           before=money(example.price, example.currency), after=money(after, example.currency)))
    else:
        example = await find_example(actor, target)  # the card may have become sellable (or the first)
        if example is not None:
            lines.append(ctx.t("admin_catalog.discount.example.now", **example_params(ctx, example),
                               price=money(example.price, example.currency)))
    await show(query, "\n\n".join(lines), keyboard([
        [(ctx.t("admin_catalog.discount.button.another"), DiscountCb(action="start").pack()),
         (ctx.t("admin_catalog.discount.button.list"), DiscountCb(action="list").pack())],
        [(ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())],
    ]))


async def cancelled(query: CallbackQuery, callback_data: DiscountCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    await state.clear()
    await ctx.admin_actor()
    if callback_data.token != "-":
        await confirmations.take(ctx.telegram_user_id, callback_data.token, CONFIRM_ACTION)
    await show(query, ctx.t("admin_catalog.discount.cancelled"), keyboard([
        [(ctx.t("admin_catalog.discount.button.another"), DiscountCb(action="start").pack()),
         (ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())],
    ]))


# --- The guided way: whose → which cards → the percentage ---------------------------------------


def _cancel_row(ctx: UpdateContext) -> list[tuple[str, str]]:
    return [(ctx.t("button.cancel"), DiscountCb(action="no").pack())]


async def _start(event: Message | CallbackQuery, ctx: UpdateContext) -> None:
    await show(event, ctx.t("admin_catalog.discount.start"), keyboard([
        [(ctx.t("admin_catalog.discount.button.kind.agent"), DiscountCb(action="kind", kind="agent").pack()),
         (ctx.t("admin_catalog.discount.button.kind.subagent"), DiscountCb(action="kind", kind="subagent").pack())],
        [(ctx.t("admin_catalog.discount.button.kind.partner"), DiscountCb(action="kind", kind="partner").pack()),
         (ctx.t("admin_catalog.discount.button.party"), DiscountCb(action="party").pack())],
        [(ctx.t("admin_catalog.discount.button.list"), DiscountCb(action="list").pack())],
        [(ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())],
    ]))


async def discount_start(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    """The menu's Discount button (and /discount without arguments)."""
    await state.clear()
    await ctx.admin_actor()
    await _start(event, ctx)


async def kind_chosen(query: CallbackQuery, callback_data: DiscountCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await ctx.admin_actor()
    target = Target.from_button(callback_data)
    if target is None:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    await _ask_scope(query, ctx, target)


async def party_asked(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await ctx.admin_actor()
    await state.set_state(DiscountStates.party)
    await state.set_data({})
    await show(query, ctx.t("admin_catalog.discount.ask.party"), keyboard([_cancel_row(ctx)]))


async def typed_party(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    actor = await ctx.admin_actor()
    party = await find(message, ctx, actor, message.text or "")
    if party is None:  # told why; the question stays
        return
    await state.clear()
    await _ask_scope(message, ctx, Target(party_id=party.id))


async def _ask_scope(event: Message | CallbackQuery, ctx: UpdateContext, target: Target) -> None:
    def button(scope: str) -> tuple[str, str]:
        return (ctx.t(f"admin_catalog.discount.button.scope.{scope}"),
                DiscountCb(action="scope", kind=target.kind or "", party=target.party_id or 0, scope=scope).pack())

    await show(event, ctx.t("admin_catalog.discount.ask.scope", target=await target_text(ctx, target)),
               keyboard([[button("all")], [button("brand"), button("product")], _cancel_row(ctx)]))


async def scope_chosen(query: CallbackQuery, callback_data: DiscountCb, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await ctx.admin_actor()
    target = Target.from_button(callback_data)
    if target is None or callback_data.scope not in SCOPES:
        await query.answer(ctx.t("error.stale_button"), show_alert=True)
        return
    if target.party_id is not None:
        await parties.get_party(target.party_id)  # a forged or deleted party is refused here
    question = {"all": (DiscountStates.percent, "percent"), "brand": (DiscountStates.brand, "brand"),
                "product": (DiscountStates.product, "product")}[callback_data.scope]
    await state.set_state(question[0])
    await state.set_data(target.data())
    await show(query, ctx.t(f"admin_catalog.discount.ask.{question[1]}", target=await target_text(ctx, target)),
               keyboard([_cancel_row(ctx)]))


async def _target_in_state(message: Message, ctx: UpdateContext, state: FSMContext) -> Target | None:
    target = Target.of(await state.get_data())
    if target is None:
        await state.clear()
        await message.answer(ctx.t("error.stale_button"))
    return target


async def typed_scope(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    """The brand's id or name, or the card's id: then the percentage."""
    actor = await ctx.admin_actor()
    target = await _target_in_state(message, ctx, state)
    if target is None:
        return
    text = message.text or ""
    if await state.get_state() == DiscountStates.product.state:
        product = await _product(message, ctx, actor, text)
        if product is None:
            return
        target = Target(kind=target.kind, party_id=target.party_id, product_id=product.id)
    else:
        brand = await _brand(message, ctx, actor, text)
        if brand is None:
            return
        target = Target(kind=target.kind, party_id=target.party_id, brand_id=brand.id)
    await state.set_state(DiscountStates.percent)
    await state.set_data(target.data())
    await message.answer(ctx.t("admin_catalog.discount.ask.percent", target=await target_text(ctx, target)),
                         reply_markup=keyboard([_cancel_row(ctx)]))


async def typed_percent(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    target = await _target_in_state(message, ctx, state)
    if target is None:
        return
    rate = parse_percent(message.text or "")
    if rate is None:
        await message.answer(ctx.t("admin_catalog.discount.not_a_percent"))  # the question stays
        return
    await state.clear()
    await offer(message, ctx, actor, confirmations, target, rate)


# --- What is set now -----------------------------------------------------------------------------


async def list_shown(query: CallbackQuery, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    lines, total = await discount_lines(actor=actor, limit=LIST_LIMIT)
    text = [ctx.t("admin_catalog.discount.list.title", count=total)]
    for line in lines:
        who = (ctx.t(f"admin_catalog.discount.kind.{line.party_kind}") if line.party_kind in DISCOUNT_KINDS
               else ctx.t("admin_catalog.discount.party", name=line.party_name or "?", id=str(line.party_id or 0)))
        if line.product_id:
            scope = ctx.t("admin_catalog.discount.scope.product", name=line.product_name or "?", id=str(line.product_id))
        elif line.brand_id:
            scope = ctx.t("admin_catalog.discount.scope.brand", name=line.brand_name or "?", id=str(line.brand_id))
        else:
            scope = ctx.t("admin_catalog.discount.scope.all")
        text.append(ctx.t("admin_catalog.discount.list.line", target=who, scope=scope, percent=percent_of(line.rate)))
    if total > len(lines):
        text.append(ctx.t("admin_catalog.discount.list.more", count=total - len(lines)))
    await show(query, "\n".join(text), keyboard([
        [(ctx.t("admin_catalog.discount.button.another"), DiscountCb(action="start").pack())],
        [(ctx.t("admin_catalog.button.menu"), AdminCb(area="menu").pack())],
    ]))


def register(router: Router) -> None:
    router.message.register(discount_command, Command("discount"))
    router.callback_query.register(discount_start, AdminCb.filter(F.area == "discount"))
    router.callback_query.register(discount_start, DiscountCb.filter(F.action == "start"))
    router.callback_query.register(kind_chosen, DiscountCb.filter(F.action == "kind"))
    router.callback_query.register(party_asked, DiscountCb.filter(F.action == "party"))
    router.callback_query.register(scope_chosen, DiscountCb.filter(F.action == "scope"))
    router.callback_query.register(list_shown, DiscountCb.filter(F.action == "list"))
    router.callback_query.register(confirmed, DiscountCb.filter(F.action == "ok"))
    router.callback_query.register(cancelled, DiscountCb.filter(F.action == "no"))
    typed = F.text & ~F.text.startswith("/")  # a command leaves the question, it is not an answer
    router.message.register(typed_party, StateFilter(DiscountStates.party), typed)
    router.message.register(typed_scope, StateFilter(DiscountStates.brand, DiscountStates.product), typed)
    router.message.register(typed_percent, StateFilter(DiscountStates.percent), typed)
