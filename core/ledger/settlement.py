"""Settling an order's hold: capture what was delivered, release the rest. Each exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from core.audit import service as audit
from core.db import require_transaction
from core.ledger.digest import fingerprint
from core.ledger.errors import HoldAlreadySettled, HoldNotFound, InvalidAmount
from core.ledger.models import Hold, HoldStatus, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount("the amount must be a positive number of minor units", amount=amount)
    return amount


@dataclass(frozen=True)
class Split:
    account_id: int
    amount: int
    kind: TransferKind = TransferKind.ORDER_CAPTURE


async def _lock_hold(hold_id: int) -> Hold:
    locked = await Hold.filter(id=hold_id).select_for_update()
    if not locked:
        raise HoldNotFound(f"no hold {hold_id}")
    return locked[0]


def _settle_status(h: Hold) -> HoldStatus:
    return HoldStatus.SETTLED if h.remaining == 0 else HoldStatus.OPEN


async def capture(*, hold_id: int, splits: list[Split], actor: str, idempotency_key: str,
                  extra_legs: list[Leg] | None = None, memo: str | None = None) -> Posted:
    """Move held money to where it belongs (vendor, revenue, the parent's commission). Once.

    `extra_legs` are moved in the same operation, e.g. revenue → vendor when an admin allowed a
    card to sell below cost and the platform pays the difference.
    """
    require_transaction()
    if not splits:
        raise InvalidAmount("a capture needs at least one split")
    for s in splits:
        _positive(s.amount)
    posted = await claim_operation(
        kind=TransferKind.ORDER_CAPTURE, idempotency_key=f"capture:{idempotency_key}",
        fingerprint=fingerprint("capture", hold_id, *[(s.account_id, s.amount, s.kind) for s in splits],
                                *[(leg.debit_account_id, leg.credit_account_id, leg.amount) for leg in extra_legs or []]),
        actor=actor, reference=f"hold:{hold_id}", memo=memo,
    )
    if posted.replayed:
        return posted
    h = await _lock_hold(hold_id)
    total = sum(s.amount for s in splits)
    if h.captured_at is not None:
        raise HoldAlreadySettled("this hold was already captured", hold_id=hold_id)
    if h.remaining == 0:
        raise HoldAlreadySettled("this hold was already released in full", hold_id=hold_id)
    if total > h.remaining:
        raise InvalidAmount("cannot capture more than is held", hold_id=hold_id, remaining=h.remaining)
    legs = [Leg(h.hold_account_id, s.account_id, s.amount, s.kind) for s in splits]
    await apply_legs(posted, legs + list(extra_legs or []))
    h.captured = total
    h.captured_at = posted.operation.created_at
    h.status = _settle_status(h)
    await h.save(update_fields=["captured", "captured_at", "status"])
    await audit.record(actor=actor, action="ledger.capture", object_type="hold", object_id=hold_id,
                       before={"captured": 0}, after={"captured": total, "status": h.status,
                                                      "splits": [(s.account_id, s.amount) for s in splits]})
    return posted


async def release(*, hold_id: int, actor: str, idempotency_key: str, amount: int | None = None,
                  memo: str | None = None) -> Posted:
    """Give held money back to the buyer's wallet (all that remains by default). Once."""
    require_transaction()
    posted = await claim_operation(
        kind=TransferKind.ORDER_RELEASE, idempotency_key=f"release:{idempotency_key}",
        fingerprint=fingerprint("release", hold_id, amount), actor=actor, reference=f"hold:{hold_id}",
        memo=memo,
    )
    if posted.replayed:
        return posted
    h = await _lock_hold(hold_id)
    if h.released_at is not None:
        raise HoldAlreadySettled("this hold was already released", hold_id=hold_id)
    to_release = h.remaining if amount is None else _positive(amount)
    if to_release > h.remaining:
        raise InvalidAmount("cannot release more than is held", hold_id=hold_id, remaining=h.remaining)
    if to_release > 0:
        await apply_legs(posted, [Leg(h.hold_account_id, h.wallet_account_id, to_release)])
    h.released = to_release
    h.released_at = posted.operation.created_at
    h.status = _settle_status(h)
    await h.save(update_fields=["released", "released_at", "status"])
    await audit.record(actor=actor, action="ledger.release", object_type="hold", object_id=hold_id,
                       before={"released": 0}, after={"released": to_release, "status": h.status})
    return posted
