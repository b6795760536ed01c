"""Callback data of the admin areas in this package (the menu's own is `common.AdminCb`): ids only, and
every press re-checks admin rights (`ctx.admin_actor()`) before the core is asked anything."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

# What a confirmation confirms; the Confirm button's token is offered for exactly one of these.
CONFIRM_KINDS = ("credit", "adjust", "creditlimit", "freeze", "unfreeze", "reject", "payout", "revoke")


class PendingCb(CallbackData, prefix="apd"):
    action: str  # list | approve | reject
    party: int = 0
    page: int = 0


class AdminInviteCb(CallbackData, prefix="ainv"):
    action: str  # agent | partner | list | revoke
    invite: int = 0
    page: int = 0


class PartyCb(CallbackData, prefix="apt"):
    action: str  # card | tree | credit | adjust | creditlimit | freeze | unfreeze
    party: int = 0  # tree: 0 = the top level
    page: int = 0


class ConfirmCb(CallbackData, prefix="acf"):
    kind: str  # one of CONFIRM_KINDS
    action: str  # ok | no
    token: str = "-"  # "-": cancel while typing (no confirmation offered yet)
