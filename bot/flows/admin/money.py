"""/credit, /adjust and /creditlimit: a summary with the party's name, the exact amount and the balance
after → Confirm (works once) → the core moves the money, audits it, and tells the party.

Shortcuts: `/credit <party> <amount> <external reference>`, `/adjust <party> <±amount> <reason>`,
`/creditlimit <party> <amount>` — a party by id or exact name (a name with spaces in quotes). The
command alone, the admin menu and a party's card ask step by step instead (party → amount → reference
or reason). Amounts are read strictly (`core.money.parse_amount`; an adjustment carries its sign).

Idempotency: a top-up is keyed by its external reference (the same reference again moves nothing); an
adjustment by the confirmation's token; a credit limit is a value set, not a move.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.confirm import Confirmations
from bot.context import UpdateContext
from bot.flows.admin.args import Usage, amount_or_zero, signed_amount, words
from bot.flows.admin.callbacks import ConfirmCb, PartyCb
from bot.flows.admin.shared import (
    MAX_REASON,
    MAX_REFERENCE,
    AdminStates,
    ask_party,
    cancel_markup,
    card_button,
    deliver_later,
    find,
    kind_text,
    menu_button,
    status_text,
)
from bot.i18n import money
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.errors import DomainError
from core.ledger import service as ledger
from core.money import parse_amount
from core.parties import service as parties
from core.parties.models import Party

MONEY_KINDS = ("credit", "adjust", "creditlimit")
_PARTS = {"credit": 3, "adjust": 3, "creditlimit": 2}  # words a shortcut needs


def _amount(kind: str, text: str, currency: str) -> int:
    if kind == "adjust":
        return signed_amount(text, currency)
    if kind == "creditlimit":
        return amount_or_zero(text, currency)
    return parse_amount(text, currency)


# --- Shortcuts --------------------------------------------------------------------------------


async def _shortcut(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations, kind: str) -> None:
    await state.clear()
    actor = await ctx.admin_actor()
    if not (command.args or "").strip():
        await ask_party(message, ctx, state, kind)
        return
    try:
        parts = words(command.args)
        if len(parts) < _PARTS[kind] or (kind == "creditlimit" and len(parts) > 2):
            raise Usage(kind)
    except Usage:
        await message.answer(ctx.t(f"admin.{kind}.usage"))
        return
    party = await find(message, ctx, actor, parts[0])
    if party is None:
        return
    amount = _amount(kind, parts[1], party.currency)  # not an amount → the error boundary says so
    text = " ".join(parts[2:])
    if kind != "creditlimit" and not await _text_fits(message, ctx, kind, text):
        return
    await offer(message, ctx, actor, confirmations, kind, party, amount, text)


async def credit_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                         confirmations: Confirmations) -> None:
    await _shortcut(message, command, ctx, state, confirmations, "credit")


async def adjust_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                         confirmations: Confirmations) -> None:
    await _shortcut(message, command, ctx, state, confirmations, "adjust")


async def creditlimit_command(message: Message, command: CommandObject, ctx: UpdateContext, state: FSMContext,
                              confirmations: Confirmations) -> None:
    await _shortcut(message, command, ctx, state, confirmations, "creditlimit")


async def _text_fits(message: Message, ctx: UpdateContext, kind: str, text: str) -> bool:
    limit = MAX_REFERENCE if kind == "credit" else MAX_REASON
    if text.strip() and len(text) <= limit:
        return True
    await message.answer(ctx.t(f"admin.{kind}.text_invalid", limit=limit))
    return False


# --- Guided: party → amount → reference / reason ------------------------------------------------


async def ask_amount(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext, actor: Actor,
                     kind: str, party: Party) -> None:
    wallet = await ledger.wallet_summary(actor=actor, party_id=party.id)
    await state.set_state(AdminStates.amount)
    await state.set_data({"purpose": kind, "party": party.id})
    await show(event, ctx.t(f"admin.{kind}.ask_amount", party=party.name, id=party.id,
                            available=money(wallet.available, wallet.currency),
                            limit=money(wallet.credit_limit, wallet.currency)),
               cancel_markup(ctx, kind))


async def from_card(query: CallbackQuery, callback_data: PartyCb, ctx: UpdateContext, state: FSMContext) -> None:
    """Credit / Adjust / Credit limit on a party's card: the party is known, the amount is asked."""
    await state.clear()
    actor = await ctx.admin_actor()
    party = await find(query, ctx, actor, str(callback_data.party))
    if party is None or party.id != callback_data.party:
        return
    await ask_amount(query, ctx, state, actor, callback_data.action, party)


async def _stale(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await message.answer(ctx.t("error.stale_button"))


async def typed_amount(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    data = await state.get_data()
    kind, party_id = data.get("purpose"), data.get("party")
    if kind not in MONEY_KINDS or not isinstance(party_id, int):
        await _stale(message, ctx, state)
        return
    party = await parties.find_party(actor=actor, ref=str(party_id))
    amount = _amount(kind, message.text or "", party.currency)  # not an amount → said, the question stays
    if kind == "creditlimit":
        await state.clear()
        await offer(message, ctx, actor, confirmations, kind, party, amount, "")
        return
    await state.set_state(AdminStates.text)
    await state.update_data(amount=amount)
    await message.answer(ctx.t(f"admin.{kind}.ask_text", party=party.name, amount=money(amount, party.currency)),
                         reply_markup=cancel_markup(ctx, kind))


async def typed_text(message: Message, ctx: UpdateContext, state: FSMContext, confirmations: Confirmations) -> None:
    actor = await ctx.admin_actor()
    data = await state.get_data()
    kind, party_id, amount = data.get("purpose"), data.get("party"), data.get("amount")
    if kind not in ("credit", "adjust") or not isinstance(party_id, int) or not isinstance(amount, int):
        await _stale(message, ctx, state)
        return
    text = (message.text or "").strip()
    if not await _text_fits(message, ctx, kind, text):
        return
    party = await parties.find_party(actor=actor, ref=str(party_id))
    await state.clear()
    await offer(message, ctx, actor, confirmations, kind, party, amount, text)


# --- The summary and Confirm -------------------------------------------------------------------


async def offer(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, confirmations: Confirmations,
                kind: str, party: Party, amount: int, text: str) -> None:
    """The exact summary, with a Confirm that works once."""
    wallet = await ledger.wallet_summary(actor=actor, party_id=party.id)
    cur = wallet.currency
    params = {"party": party.name, "id": party.id, "kind": kind_text(ctx, str(party.kind)),
              "amount": money(amount, cur), "available": money(wallet.available, cur)}
    if kind == "creditlimit":
        summary = ctx.t("admin.creditlimit.confirm", **params, before=money(wallet.credit_limit, cur),
                        spendable=money(wallet.available + amount, cur))
    else:
        summary = ctx.t(f"admin.{kind}.confirm", **params, text=text, after=money(wallet.available + amount, cur))
    if kind == "credit" and str(party.status) != "active":  # the core will refuse it; say so before Confirm
        summary += "\n\n" + ctx.t("admin.credit.not_active", status=status_text(ctx, str(party.status)))
    payload = {"party": party.id, "amount": amount, "text": text}
    token = await confirmations.offer(ctx.telegram_user_id, f"admin.{kind}", payload)
    await show(event, summary, keyboard([[(ctx.t("button.confirm"), ConfirmCb(kind=kind, action="ok", token=token).pack()),
                                          (ctx.t("button.cancel"), ConfirmCb(kind=kind, action="no", token=token).pack())]]))


async def confirmed(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext, confirmations: Confirmations,
                    arq: ArqRedis) -> None:
    actor = await ctx.admin_actor()
    kind, token = callback_data.kind, callback_data.token
    payload = await confirmations.take(ctx.telegram_user_id, token, f"admin.{kind}")
    if payload is None:
        await query.answer(ctx.t("confirm.used_or_expired"), show_alert=True)
        return
    party_id, amount, text = payload["party"], payload["amount"], payload["text"]
    replayed = False
    try:
        if kind == "credit":
            posted = await ledger.topup(actor=actor, party_id=party_id, amount=amount, reference=text)
        elif kind == "adjust":
            posted = await ledger.adjust(actor=actor, party_id=party_id, amount=amount, reason=text,
                                         idempotency_key=token)
        else:
            posted = None
            await ledger.set_credit_limit(actor=actor, party_id=party_id, limit=amount)
    except DomainError:
        # Refused and rolled back with the update: the same Confirm may be pressed again once fixed.
        await confirmations.put_back(ctx.telegram_user_id, token, {"action": f"admin.{kind}", **payload})
        raise
    if posted is not None:
        replayed = posted.replayed
        deliver_later(ctx, arq, posted.notifications)
    party = await parties.find_party(actor=actor, ref=str(party_id))
    wallet = await ledger.wallet_summary(actor=actor, party_id=party_id)
    cur = wallet.currency
    key = "admin.credit.replayed" if replayed else f"admin.{kind}.done"
    done = ctx.t(key, party=party.name, amount=money(amount, cur), text=text,
                 available=money(wallet.available, cur), limit=money(wallet.credit_limit, cur))
    await show(query, done, keyboard([[card_button(ctx, party.id, party.name), menu_button(ctx)]]))


async def cancelled(query: CallbackQuery, callback_data: ConfirmCb, ctx: UpdateContext, state: FSMContext,
                    confirmations: Confirmations) -> None:
    """Cancel on any admin question or summary of this package: nothing changes."""
    await state.clear()
    if callback_data.token != "-":
        await confirmations.take(ctx.telegram_user_id, callback_data.token, f"admin.{callback_data.kind}")
    await show(query, ctx.t("admin.cancelled"), keyboard([[menu_button(ctx)]]))


async def cancel_typing(message: Message, ctx: UpdateContext, state: FSMContext) -> None:
    await state.clear()
    await message.answer(ctx.t("admin.cancelled"), reply_markup=keyboard([[menu_button(ctx)]]))


def register(router: Router) -> None:
    router.message.register(credit_command, Command("credit"))
    router.message.register(adjust_command, Command("adjust"))
    router.message.register(creditlimit_command, Command("creditlimit"))
    router.callback_query.register(from_card, PartyCb.filter(F.action.in_(MONEY_KINDS)))
    asking = StateFilter(AdminStates.party, AdminStates.amount, AdminStates.text)
    router.message.register(cancel_typing, asking, Command("cancel"))
    typed = F.text & ~F.text.startswith("/")  # a command leaves the question, it is not an answer
    router.message.register(typed_amount, StateFilter(AdminStates.amount), typed)
    router.message.register(typed_text, StateFilter(AdminStates.text), typed)
    router.callback_query.register(confirmed, ConfirmCb.filter(F.kind.in_(MONEY_KINDS) & (F.action == "ok")))
    router.callback_query.register(cancelled, ConfirmCb.filter(F.action == "no"))
