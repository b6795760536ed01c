"""What the admin areas of this package share: naming a party, the words for kinds and statuses, the
buttons back, and the questions of the guided flows (FSM states)."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis

from bot.context import UpdateContext
from bot.flows.admin.callbacks import ConfirmCb, PartyCb
from bot.flows.admin.common import AdminCb
from bot.ui import keyboard, show
from core.access.actor import Actor
from core.parties import service as parties
from core.parties.errors import PartyNotFound
from core.parties.models import Party
from jobs.notifications import enqueue_deliveries

KINDS = ("partner", "agent", "subagent")
STATUSES = ("pending", "active", "frozen", "closed")
# What the guided flows ask a party for (the admin menu's areas of this package that start by naming one).
GUIDED = ("credit", "adjust", "creditlimit", "freeze", "party")
# The longest external reference / reason kept: the ledger stores "topup:<reference>" in 200 characters.
MAX_REFERENCE = 150
MAX_REASON = 300


class AdminStates(StatesGroup):
    party = State()  # waiting for a party's id or name; data: purpose (credit | adjust | creditlimit | freeze | party)
    amount = State()  # waiting for an amount; data: purpose, party
    text = State()  # waiting for the external reference (credit) or the reason (adjust); data: purpose, party, amount


def kind_text(ctx: UpdateContext, kind: str) -> str:
    return ctx.t(f"admin.kind.{kind}") if kind in KINDS else kind


def status_text(ctx: UpdateContext, status: str) -> str:
    return ctx.t(f"admin.status.{status}") if status in STATUSES else status


def menu_button(ctx: UpdateContext) -> tuple[str, str]:
    return ctx.t("admin.button.menu"), AdminCb(area="menu").pack()


def card_button(ctx: UpdateContext, party_id: int, name: str) -> tuple[str, str]:
    return ctx.t("admin.button.card", name=name), PartyCb(action="card", party=party_id).pack()


async def say(event: Message | CallbackQuery, text: str) -> None:
    """A short answer where the admin is: a toast for a press, a message for something typed."""
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)


async def find(event: Message | CallbackQuery, ctx: UpdateContext, actor: Actor, ref: str) -> Party | None:
    """The party named by id or exact name, or None after telling the admin why not."""
    try:
        return await parties.find_party(actor=actor, ref=ref)
    except parties.AmbiguousParty as exc:
        ids = ", ".join(f"#{i}" for i in exc.details.get("ids", []))
        await say(event, ctx.t("admin.party.ambiguous", ref=exc.details.get("ref", ref), ids=ids))
    except PartyNotFound:
        await say(event, ctx.t("admin.party.not_found", ref=ref.strip()))
    return None


def deliver_later(ctx: UpdateContext, arq: ArqRedis, rows) -> None:
    """Enqueue the outbox rows the core wrote (who is told of what) once the update committed."""
    if rows:
        rows = list(rows)
        ctx.later(lambda: enqueue_deliveries(arq, rows))


def cancel_markup(ctx: UpdateContext, purpose: str):
    return keyboard([[(ctx.t("button.cancel"), ConfirmCb(kind=purpose, action="no").pack())]])


async def ask_party(event: Message | CallbackQuery, ctx: UpdateContext, state: FSMContext, purpose: str) -> None:
    """Every guided flow starts here: the party's id or exact name, typed (see `router.typed_party`)."""
    await state.set_state(AdminStates.party)
    await state.set_data({"purpose": purpose})
    await show(event, ctx.t("admin.ask.party", what=ctx.t(f"admin.area.{purpose}")), cancel_markup(ctx, purpose))
