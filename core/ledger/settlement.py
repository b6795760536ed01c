"""Settling an order's hold: capture what was delivered, release the rest. Each exactly once.

`settle_hold` is the use case an order's settlement calls: it takes the delivered split (vendor,
the commission account owner's share, the platform's) and does the capture and the release under
one ascending lock of every account both touch. `capture` and `release` are its two halves, kept
public for callers that settle a hold in steps.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.audit import service as audit
from core.db import require_transaction
from core.ledger.accounts import party_account, system_account
from core.ledger.digest import fingerprint
from core.ledger.errors import HoldAlreadySettled, HoldNotFound, InvalidAmount
from core.ledger.models import Account, AccountKind, Hold, HoldStatus, TransferKind
from core.ledger.posting import Leg, Posted, apply_legs, claim_operation, lock_accounts


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount("the amount must be a positive number of minor units", amount=amount)
    return amount


def _not_negative(amount: int, what: str) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise InvalidAmount(f"{what} must be zero or a positive number of minor units", amount=amount)
    return amount


@dataclass(frozen=True)
class Split:
    account_id: int
    amount: int
    kind: TransferKind = TransferKind.ORDER_CAPTURE


@dataclass(frozen=True)
class DeliveredSplit:
    """Where the money for an order's delivered cards goes, in minor units of the hold's currency.

    `paid` leaves the hold (the buyer's price of the delivered cards); `vendor` is what the vendor
    charged; `commission` goes to the commission account of `commission_party_id` (the buyer's
    parent). The platform's share is the rest: the revenue account takes it, or pays it when it is
    negative (an admin let the card sell below cost, or the vendor charged more than quoted).
    """

    paid: int
    vendor: int
    commission: int = 0
    commission_party_id: int | None = None

    @property
    def platform(self) -> int:
        return self.paid - self.vendor - self.commission


@dataclass(frozen=True)
class HoldSettlement:
    capture: Posted | None  # None: nothing was delivered and the vendor charged nothing
    release: Posted | None  # None: everything held was captured

    @property
    def replayed(self) -> bool:
        return all(p.replayed for p in (self.capture, self.release) if p is not None)


async def _lock_hold(hold_id: int) -> Hold:
    locked = await Hold.filter(id=hold_id).select_for_update()
    if not locked:
        raise HoldNotFound(f"no hold {hold_id}")
    return locked[0]


def _settle_status(h: Hold) -> HoldStatus:
    return HoldStatus.SETTLED if h.remaining == 0 else HoldStatus.OPEN


async def settle_hold(*, hold_id: int, split: DeliveredSplit, actor, idempotency_key: str,
                      capture_memo: str | None = None, release_memo: str | None = None) -> HoldSettlement:
    """Capture the delivered split and release what remains, in one go. Exactly once per key.

    Every account either half touches (the buyer's wallet and holds, vendor, revenue, the commission
    account) is locked first, in one ascending batch: locked half by half, the capture would take
    the holds account before the release takes the wallet — the reverse of a new order's hold — and
    the two would deadlock. A repeated key replays; the same key with another split is refused.
    """
    require_transaction()
    for value, what in ((split.paid, "paid"), (split.vendor, "the vendor cost"), (split.commission, "commission")):
        _not_negative(value, what)
    if split.commission > split.paid:
        raise InvalidAmount("the commission cannot exceed what the buyer paid", commission=split.commission)
    if split.commission and split.commission_party_id is None:
        raise InvalidAmount("a commission needs the party whose account earns it")
    h = await _lock_hold(hold_id)
    if not h.livemode and split.commission:
        # A sandbox order earns no one a commission: its whole price stays in the sandbox book.
        split = replace(split, commission=0, commission_party_id=None)
    if split.paid > h.amount:
        raise InvalidAmount("cannot capture more than is held", hold_id=hold_id, amount=h.amount)
    ids = {h.wallet_account_id, h.hold_account_id}
    moves_to_vendor = split.paid > 0 or split.vendor > 0
    if moves_to_vendor:
        vendor = await system_account(AccountKind.VENDOR, h.currency, livemode=h.livemode)
        revenue = await system_account(AccountKind.REVENUE, h.currency, livemode=h.livemode)
        ids |= {vendor.id, revenue.id}
        commission: Account | None = None
        if split.commission:
            # Raises AccountNotFound when the owner has no commission account in the hold's currency:
            # no retry heals that, so the caller must hand the order to an admin.
            commission = await party_account(split.commission_party_id, AccountKind.COMMISSION, h.currency)
            ids.add(commission.id)
    locked = await lock_accounts(ids)
    captured = None
    if moves_to_vendor:
        splits: list[Split] = []
        extra: list[Leg] = []
        if commission is not None:
            splits.append(Split(commission.id, split.commission, TransferKind.COMMISSION_ACCRUAL))
        platform = split.platform
        if platform >= 0:
            splits += [Split(vendor.id, split.vendor), Split(revenue.id, platform)]
        else:  # the platform pays the difference out of revenue
            splits.append(Split(vendor.id, split.paid - split.commission))
            extra.append(Leg(revenue.id, vendor.id, -platform, TransferKind.ORDER_CAPTURE))
        captured = await _capture(hold=h, splits=[s for s in splits if s.amount > 0], extra_legs=extra,
                                  actor=actor, idempotency_key=idempotency_key, memo=capture_memo,
                                  locked=locked)
    released = None
    if split.paid < h.amount:
        released = await _release(hold=h, amount=None, actor=actor, idempotency_key=idempotency_key,
                                  memo=release_memo, locked=locked)
    return HoldSettlement(capture=captured, release=released)


async def capture(*, hold_id: int, splits: list[Split], actor, idempotency_key: str,
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
    return await _capture(hold=hold_id, splits=splits, extra_legs=list(extra_legs or []), actor=actor,
                          idempotency_key=idempotency_key, memo=memo, locked=None)


async def _capture(*, hold: Hold | int, splits: list[Split], extra_legs: list[Leg], actor, idempotency_key: str,
                   memo: str | None, locked: dict | None) -> Posted:
    hold_id = hold.id if isinstance(hold, Hold) else hold
    posted = await claim_operation(
        kind=TransferKind.ORDER_CAPTURE, idempotency_key=f"capture:{idempotency_key}",
        fingerprint=fingerprint("capture", hold_id, *[(s.account_id, s.amount, s.kind) for s in splits],
                                *[(leg.debit_account_id, leg.credit_account_id, leg.amount) for leg in extra_legs]),
        actor=actor, reference=f"hold:{hold_id}", memo=memo,
    )
    if posted.replayed:
        return posted
    h = hold if isinstance(hold, Hold) else await _lock_hold(hold_id)
    total = sum(s.amount for s in splits)
    if total:
        if h.captured_at is not None:
            raise HoldAlreadySettled("this hold was already captured", hold_id=hold_id)
        if h.remaining == 0:
            raise HoldAlreadySettled("this hold was already released in full", hold_id=hold_id)
        if total > h.remaining:
            raise InvalidAmount("cannot capture more than is held", hold_id=hold_id, remaining=h.remaining)
    legs = [Leg(h.hold_account_id, s.account_id, s.amount, s.kind) for s in splits]
    await apply_legs(posted, legs + extra_legs, locked=locked)
    if total:  # a vendor charge for nothing delivered moves revenue → vendor and leaves the hold alone
        h.captured = total
        h.captured_at = posted.operation.created_at
        h.status = _settle_status(h)
        await h.save(update_fields=["captured", "captured_at", "status"])
    await audit.record(actor=actor, action="ledger.capture", object_type="hold", object_id=hold_id,
                       before={"captured": 0}, after={"captured": total, "status": h.status,
                                                      "splits": [(s.account_id, s.amount) for s in splits],
                                                      "extra": [(leg.debit_account_id, leg.credit_account_id,
                                                                 leg.amount) for leg in extra_legs]})
    return posted


async def release(*, hold_id: int, actor, idempotency_key: str, amount: int | None = None,
                  memo: str | None = None) -> Posted:
    """Give held money back to the buyer's wallet (all that remains by default). Once."""
    require_transaction()
    return await _release(hold=hold_id, amount=amount, actor=actor, idempotency_key=idempotency_key,
                          memo=memo, locked=None)


async def _release(*, hold: Hold | int, amount: int | None, actor, idempotency_key: str, memo: str | None,
                   locked: dict | None) -> Posted:
    hold_id = hold.id if isinstance(hold, Hold) else hold
    posted = await claim_operation(
        kind=TransferKind.ORDER_RELEASE, idempotency_key=f"release:{idempotency_key}",
        fingerprint=fingerprint("release", hold_id, amount), actor=actor, reference=f"hold:{hold_id}",
        memo=memo,
    )
    if posted.replayed:
        return posted
    h = hold if isinstance(hold, Hold) else await _lock_hold(hold_id)
    if h.released_at is not None:
        raise HoldAlreadySettled("this hold was already released", hold_id=hold_id)
    to_release = h.remaining if amount is None else _positive(amount)
    if to_release > h.remaining:
        raise InvalidAmount("cannot release more than is held", hold_id=hold_id, remaining=h.remaining)
    if to_release > 0:
        await apply_legs(posted, [Leg(h.hold_account_id, h.wallet_account_id, to_release)], locked=locked)
    h.released = to_release
    h.released_at = posted.operation.created_at
    h.status = _settle_status(h)
    await h.save(update_fields=["released", "released_at", "status"])
    await audit.record(actor=actor, action="ledger.release", object_type="hold", object_id=hold_id,
                       before={"released": 0}, after={"released": to_release, "status": h.status})
    return posted
